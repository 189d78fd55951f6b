\echo == d
\d
\echo == dt
\dt
\echo == d accounts
\d accounts
\echo == d items
\d items
\echo == di
\di
\echo == dn
\dn
\echo == du
\du
\echo == d accounts_pkey
\d accounts_pkey
