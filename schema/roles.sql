-- schema/roles.sql — Menhir's database roles and database; run once by a superuser with psql,
-- before the first `menhir migrate`. Idempotent: safe to run again after an upgrade.
--
--   psql -v ON_ERROR_STOP=1 -U postgres -d postgres -f schema/roles.sql
--
-- menhir_owner owns the schema and runs migrations; menhir_app is what `menhir serve` and
-- `menhir work` connect as, and is subject to row-level security (NOBYPASSRLS, not owner of
-- any table). Creating roles is the one thing migrations cannot do, hence this file.
-- Passwords are not set here: in production set them with \password (or use peer auth);
-- the local stack (script/lib/pg.sh) sets generated ones after running this file.
\set ON_ERROR_STOP on

DO $$
BEGIN
	IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = 'menhir_owner') THEN
		CREATE ROLE menhir_owner LOGIN;
	END IF;
	IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = 'menhir_app') THEN
		CREATE ROLE menhir_app LOGIN;
	END IF;
	IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = 'menhir_auth') THEN
		CREATE ROLE menhir_auth NOLOGIN BYPASSRLS;
	END IF;
END
$$;

-- Re-assert the attributes every run, so a role created by hand with more power loses it.
ALTER ROLE menhir_owner LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS;
ALTER ROLE menhir_app LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS;
-- menhir_auth can log in nowhere; it only owns the few SECURITY DEFINER functions that must
-- work before a tenant is known (login by e-mail, refresh by cookie, signup). menhir_app may
-- execute those functions and nothing else of menhir_auth's: it never gains BYPASSRLS itself.
-- menhir_owner is a member only so that migrations can hand those functions to it.
ALTER ROLE menhir_auth NOLOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION BYPASSRLS;
GRANT menhir_auth TO menhir_owner;

-- CREATE DATABASE cannot run inside a DO block (it refuses a transaction), hence \gexec.
SELECT 'CREATE DATABASE menhir OWNER menhir_owner ENCODING ''UTF8'' TEMPLATE template0'
WHERE NOT EXISTS (SELECT FROM pg_catalog.pg_database WHERE datname = 'menhir')
\gexec
ALTER DATABASE menhir OWNER TO menhir_owner;

-- Only our two roles may connect; menhir_app gets no TEMPORARY (it needs no temp tables).
REVOKE ALL ON DATABASE menhir FROM PUBLIC;
GRANT CONNECT ON DATABASE menhir TO menhir_app;

\connect menhir

-- PostgreSQL 15 already revokes CREATE on public from PUBLIC; older servers do not.
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
-- menhir_owner creates the tables; giving it the schema makes that explicit whatever the
-- server version (15 makes the database owner the schema owner through pg_database_owner).
ALTER SCHEMA public OWNER TO menhir_owner;
GRANT USAGE ON SCHEMA public TO menhir_app;
-- Table, sequence and function privileges for menhir_app are granted by the migrations that
-- create those objects, one by one, so what the app may touch is reviewed with the schema.
