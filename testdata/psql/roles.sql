\set QUIET on
CREATE ROLE app_user LOGIN PASSWORD 'app-secret';
CREATE ROLE readonly;
CREATE ROLE ops CREATEDB CREATEROLE CONNECTION LIMIT 3;
CREATE USER admin2 SUPERUSER NOINHERIT;
\echo == du
\du
\echo == du ops
\du ops
\echo == roles
SELECT rolname, rolsuper, rolinherit, rolcreaterole, rolcreatedb, rolcanlogin, rolconnlimit
FROM pg_roles WHERE rolname !~ '^pg_' ORDER BY rolname;
\echo == password stored as a SCRAM verifier
SELECT rolname, left(rolpassword, 14) AS scheme FROM pg_authid WHERE rolname = 'app_user';
\echo == errors
CREATE ROLE readonly;
DROP ROLE nosuch;
CREATE ROLE pg_mine;
DROP ROLE app_user, readonly, ops, admin2;
DROP ROLE IF EXISTS app_user;
