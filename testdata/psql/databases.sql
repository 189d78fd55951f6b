\pset format unaligned
\echo == l
\l
