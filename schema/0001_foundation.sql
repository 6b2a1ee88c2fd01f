-- 0001_foundation.sql - tenants, the RLS context functions, and the first tenant-scoped table.
--
-- Runs as menhir_owner (see roles.sql). menhir_app gets only the privileges named here.

-- Refuse to build on a misconfigured application role: RLS is only a wall if the role that
-- serves requests cannot step around it.
DO $$
BEGIN
	IF EXISTS (SELECT FROM pg_roles WHERE rolname = 'menhir_app'
	           AND (rolsuper OR rolbypassrls)) THEN
		RAISE EXCEPTION 'menhir_app must be NOSUPERUSER NOBYPASSRLS';
	END IF;
END
$$;

-- The request's context, set per transaction by the framework with
-- set_config('app.tenant_id', ..., true). An unset or empty setting is NULL, so every
-- tenant policy compares with NULL and shows nothing: the default is deny. Policies call
-- these as (select app_tenant_id()) so PostgreSQL evaluates them once per statement.
CREATE FUNCTION app_tenant_id() RETURNS uuid
	LANGUAGE sql STABLE PARALLEL SAFE
	AS $$ SELECT nullif(current_setting('app.tenant_id', true), '')::uuid $$;
CREATE FUNCTION app_user_id() RETURNS uuid
	LANGUAGE sql STABLE PARALLEL SAFE
	AS $$ SELECT nullif(current_setting('app.user_id', true), '')::uuid $$;
CREATE FUNCTION app_role() RETURNS text
	LANGUAGE sql STABLE PARALLEL SAFE
	AS $$ SELECT nullif(current_setting('app.role', true), '') $$;

REVOKE ALL ON FUNCTION app_tenant_id(), app_user_id(), app_role() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION app_tenant_id(), app_user_id(), app_role() TO menhir_app;

-- Keeps updated_at honest without trusting every UPDATE statement to set it.
CREATE FUNCTION touch_updated_at() RETURNS trigger
	LANGUAGE plpgsql
	AS $$ BEGIN NEW.updated_at := now(); RETURN NEW; END $$;

CREATE TABLE tenants (
	id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	name text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
	slug text NOT NULL UNIQUE CHECK (slug ~ '^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$'),
	created_at timestamptz NOT NULL DEFAULT now(),
	updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE TRIGGER tenants_touch BEFORE UPDATE ON tenants
	FOR EACH ROW EXECUTE FUNCTION touch_updated_at();

-- A tenant sees only its own row. Creating tenants happens outside any tenant context
-- (signup, the admin command) and goes through a narrowly-granted path added with auth.
ALTER TABLE tenants ENABLE ROW LEVEL SECURITY;
ALTER TABLE tenants FORCE ROW LEVEL SECURITY;
CREATE POLICY tenants_self ON tenants
	USING (id = (SELECT app_tenant_id()));
GRANT SELECT, UPDATE (name, slug) ON tenants TO menhir_app;

-- What happened in a tenant, by whom: the first tenant-scoped table, and the pattern
-- every later one follows (tenant_id NOT NULL, ENABLE + FORCE RLS, one policy on
-- app_tenant_id() for reads and writes alike).
CREATE TABLE audit_log (
	id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
	actor_id uuid,
	action text NOT NULL CHECK (length(action) BETWEEN 1 AND 100),
	target text,
	ip inet,
	request_id text,
	created_at timestamptz NOT NULL DEFAULT now(),
	updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX audit_log_tenant_created ON audit_log (tenant_id, created_at DESC, id DESC);
CREATE INDEX audit_log_actor ON audit_log (actor_id);

ALTER TABLE audit_log ENABLE ROW LEVEL SECURITY;
ALTER TABLE audit_log FORCE ROW LEVEL SECURITY;
CREATE POLICY audit_log_tenant ON audit_log
	USING (tenant_id = (SELECT app_tenant_id()))
	WITH CHECK (tenant_id = (SELECT app_tenant_id()));
-- Append-only for the application: history is not rewritten.
GRANT SELECT, INSERT ON audit_log TO menhir_app;
