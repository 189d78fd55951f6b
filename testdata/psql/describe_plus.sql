\echo == d+ accounts
\d+ accounts
\echo == d+ items
\d+ items
