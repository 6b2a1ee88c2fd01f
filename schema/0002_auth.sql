-- 0002_auth.sql - users, memberships, refresh tokens, and the narrow paths that run before a
-- tenant is known.
--
-- Tables that must be read before any tenant context exists (a login by e-mail, a refresh by
-- cookie, a signup) are reached only through SECURITY DEFINER functions owned by
-- menhir_auth (NOLOGIN BYPASSRLS, see roles.sql). menhir_app may execute those functions and
-- cannot read password hashes or refresh tokens directly at all.

DO $$
BEGIN
	IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'menhir_auth') THEN
		RAISE EXCEPTION 'role menhir_auth is missing: run schema/roles.sql as a superuser';
	END IF;
	IF pg_has_role('menhir_app', 'menhir_auth', 'MEMBER') THEN
		RAISE EXCEPTION 'menhir_app must not be a member of menhir_auth';
	END IF;
END
$$;

-- Roles in rank order; the route table's minimum role compares with these ranks.
CREATE FUNCTION app_role_rank(r text) RETURNS int
	LANGUAGE sql IMMUTABLE PARALLEL SAFE
	AS $$ SELECT CASE r WHEN 'viewer' THEN 1 WHEN 'member' THEN 2 WHEN 'admin' THEN 3
	                    WHEN 'owner' THEN 4 ELSE 0 END $$;

CREATE TABLE users (
	id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	-- Stored lower-cased, so the unique index is case-insensitive.
	email text NOT NULL CHECK (email = lower(email) AND length(email) BETWEEN 3 AND 254),
	name text NOT NULL DEFAULT '' CHECK (length(name) <= 200),
	password_hash text NOT NULL,
	-- Raising it kills every token the user holds (logout-all, password change).
	token_version int NOT NULL DEFAULT 0,
	created_at timestamptz NOT NULL DEFAULT now(),
	updated_at timestamptz NOT NULL DEFAULT now(),
	disabled_at timestamptz
);
CREATE UNIQUE INDEX users_email ON users (email);
CREATE TRIGGER users_touch BEFORE UPDATE ON users
	FOR EACH ROW EXECUTE FUNCTION touch_updated_at();

CREATE TABLE memberships (
	id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
	user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	role text NOT NULL CHECK (role IN ('owner', 'admin', 'member', 'viewer')),
	created_at timestamptz NOT NULL DEFAULT now(),
	updated_at timestamptz NOT NULL DEFAULT now(),
	UNIQUE (tenant_id, user_id)
);
CREATE INDEX memberships_user ON memberships (user_id);
CREATE TRIGGER memberships_touch BEFORE UPDATE ON memberships
	FOR EACH ROW EXECUTE FUNCTION touch_updated_at();

CREATE TABLE refresh_tokens (
	id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	-- SHA-256 of the 256-bit token: the token itself is never stored.
	token_hash bytea NOT NULL UNIQUE CHECK (length(token_hash) = 32),
	family_id uuid NOT NULL,
	user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
	issued_at timestamptz NOT NULL DEFAULT now(),
	expires_at timestamptz NOT NULL,
	rotated_at timestamptz,
	revoked_at timestamptz,
	created_at timestamptz NOT NULL DEFAULT now(),
	updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX refresh_tokens_family ON refresh_tokens (family_id);
CREATE INDEX refresh_tokens_user ON refresh_tokens (user_id);
CREATE INDEX refresh_tokens_tenant ON refresh_tokens (tenant_id);
CREATE INDEX refresh_tokens_expires ON refresh_tokens (expires_at);

ALTER TABLE audit_log ADD CONSTRAINT audit_log_actor_fk
	FOREIGN KEY (actor_id) REFERENCES users (id) ON DELETE SET NULL;

-- RLS. A user row is visible to the user themself and to the members of a tenant it belongs
-- to (the member list); memberships and audit rows only inside their tenant; refresh tokens
-- to nobody but the definer functions.
ALTER TABLE users ENABLE ROW LEVEL SECURITY;
ALTER TABLE users FORCE ROW LEVEL SECURITY;
CREATE POLICY users_visible ON users FOR SELECT
	USING (id = (SELECT app_user_id())
	       OR id IN (SELECT m.user_id FROM memberships m
	                 WHERE m.tenant_id = (SELECT app_tenant_id())));
CREATE POLICY users_self_update ON users FOR UPDATE
	USING (id = (SELECT app_user_id()))
	WITH CHECK (id = (SELECT app_user_id()));

ALTER TABLE memberships ENABLE ROW LEVEL SECURITY;
ALTER TABLE memberships FORCE ROW LEVEL SECURITY;
CREATE POLICY memberships_tenant ON memberships
	USING (tenant_id = (SELECT app_tenant_id()))
	WITH CHECK (tenant_id = (SELECT app_tenant_id()));

ALTER TABLE refresh_tokens ENABLE ROW LEVEL SECURITY;
ALTER TABLE refresh_tokens FORCE ROW LEVEL SECURITY;

-- Column grants: the application never reads a password hash; it may rename itself.
GRANT SELECT (id, email, name, token_version, created_at, updated_at, disabled_at) ON users
	TO menhir_app;
GRANT UPDATE (name) ON users TO menhir_app;
GRANT SELECT, INSERT, DELETE ON memberships TO menhir_app;
GRANT UPDATE (role) ON memberships TO menhir_app;
GRANT EXECUTE ON FUNCTION app_role_rank(text) TO menhir_app;

-- The definer functions' owner needs the tables it serves, the context functions, and
-- CREATE on the schema (required to own functions in it; it cannot log in to use it).
GRANT USAGE, CREATE ON SCHEMA public TO menhir_auth;
GRANT EXECUTE ON FUNCTION app_tenant_id(), app_user_id(), app_role(), app_role_rank(text)
	TO menhir_auth;
GRANT SELECT, INSERT, UPDATE ON users, tenants, memberships, refresh_tokens TO menhir_auth;
GRANT INSERT ON audit_log TO menhir_auth;

-- Every request's context, set inside its transaction before any of its statements: the
-- tenant, the user, and the user's CURRENT role in that tenant, read from memberships (not
-- trusted from the 15-minute token). A non-member, a disabled user or a role below what the
-- route requires raises SQLSTATE MH403, which aborts the pipelined transaction before the
-- handler's statements run. Empty arguments mean "no such context" (public routes).
CREATE FUNCTION app_enter(p_tenant text, p_user text, p_min_role text) RETURNS text
	LANGUAGE plpgsql
	SET search_path = public, pg_temp
	AS $$
DECLARE
	r text;
BEGIN
	PERFORM set_config('app.tenant_id', coalesce(p_tenant, ''), true);
	PERFORM set_config('app.user_id', coalesce(p_user, ''), true);
	PERFORM set_config('app.role', '', true);
	IF coalesce(p_tenant, '') = '' OR coalesce(p_user, '') = '' THEN
		RETURN NULL;
	END IF;
	SELECT m.role INTO r
	  FROM memberships m JOIN users u ON u.id = m.user_id
	 WHERE m.tenant_id = p_tenant::uuid AND m.user_id = p_user::uuid
	   AND u.disabled_at IS NULL;
	IF r IS NULL THEN
		RAISE EXCEPTION 'not a member of this tenant' USING ERRCODE = 'MH403';
	END IF;
	IF app_role_rank(r) < app_role_rank(coalesce(nullif(p_min_role, ''), 'viewer')) THEN
		RAISE EXCEPTION 'role % is below %', r, p_min_role USING ERRCODE = 'MH403';
	END IF;
	PERFORM set_config('app.role', r, true);
	RETURN r;
END
$$;
REVOKE ALL ON FUNCTION app_enter(text, text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION app_enter(text, text, text) TO menhir_app;

-- ---- Definer functions (owned by menhir_auth below) ---------------------------------------

-- Signup: a user, their tenant and the owner membership, atomically.
CREATE FUNCTION auth_signup(p_email text, p_password_hash text, p_name text,
                            p_tenant_name text, p_tenant_slug text)
	RETURNS TABLE (user_id uuid, tenant_id uuid)
	LANGUAGE plpgsql SECURITY DEFINER
	SET search_path = public, pg_temp
	AS $$
BEGIN
	INSERT INTO users (email, password_hash, name)
	VALUES (lower(p_email), p_password_hash, coalesce(p_name, ''))
	RETURNING id INTO user_id;
	INSERT INTO tenants (name, slug) VALUES (p_tenant_name, p_tenant_slug)
	RETURNING id INTO tenant_id;
	INSERT INTO memberships (tenant_id, user_id, role) VALUES (tenant_id, user_id, 'owner');
	RETURN NEXT;
END
$$;

-- Login: what is needed to check a password, by e-mail.
CREATE FUNCTION auth_login_lookup(p_email text)
	RETURNS TABLE (user_id uuid, password_hash text, token_version int, disabled boolean)
	LANGUAGE sql STABLE SECURITY DEFINER
	SET search_path = public, pg_temp
	AS $$
	SELECT id, password_hash, token_version, disabled_at IS NOT NULL
	  FROM users WHERE email = lower(p_email)
$$;

-- The tenants a user belongs to, most recently joined first.
CREATE FUNCTION auth_user_tenants(p_user_id uuid)
	RETURNS TABLE (tenant_id uuid, role text, tenant_name text, tenant_slug text,
	               joined_at timestamptz)
	LANGUAGE sql STABLE SECURITY DEFINER
	SET search_path = public, pg_temp
	AS $$
	SELECT t.id, m.role, t.name, t.slug, m.created_at
	  FROM memberships m JOIN tenants t ON t.id = m.tenant_id
	 WHERE m.user_id = p_user_id
	 ORDER BY m.created_at DESC, t.id
$$;

-- A new refresh token (hash only) in a family; a NULL family starts a new one.
CREATE FUNCTION auth_refresh_issue(p_hash bytea, p_family uuid, p_user uuid, p_tenant uuid,
                                   p_ttl_seconds int)
	RETURNS uuid
	LANGUAGE sql SECURITY DEFINER
	SET search_path = public, pg_temp
	AS $$
	INSERT INTO refresh_tokens (token_hash, family_id, user_id, tenant_id, expires_at)
	VALUES (p_hash, coalesce(p_family, gen_random_uuid()), p_user, p_tenant,
	        now() + make_interval(secs => p_ttl_seconds))
	RETURNING family_id
$$;

-- Rotation, atomically under a row lock. Outcomes:
--   ok      the token was current: it is now rotated and p_new_hash replaces it;
--   grace   it was rotated less than p_grace seconds ago (two tabs refreshing at once):
--           p_new_hash joins the family too, nothing is revoked;
--   reuse   it was rotated earlier: a stolen token is being replayed, so the WHOLE family
--           is revoked and the caller answers 401;
--   revoked / expired / invalid / gone (user disabled or no longer a member).
CREATE FUNCTION auth_refresh_rotate(p_old_hash bytea, p_new_hash bytea, p_grace int,
                                    p_ttl_seconds int)
	RETURNS TABLE (outcome text, user_id uuid, tenant_id uuid, family_id uuid, role text,
	               token_version int)
	LANGUAGE plpgsql SECURITY DEFINER
	SET search_path = public, pg_temp
	AS $$
DECLARE
	t refresh_tokens%ROWTYPE;
BEGIN
	SELECT * INTO t FROM refresh_tokens rt WHERE rt.token_hash = p_old_hash FOR UPDATE;
	IF NOT FOUND THEN
		outcome := 'invalid'; RETURN NEXT; RETURN;
	END IF;
	user_id := t.user_id; tenant_id := t.tenant_id; family_id := t.family_id;
	IF t.revoked_at IS NOT NULL THEN
		outcome := 'revoked'; RETURN NEXT; RETURN;
	END IF;
	IF t.expires_at <= now() THEN
		outcome := 'expired'; RETURN NEXT; RETURN;
	END IF;
	IF t.rotated_at IS NOT NULL AND t.rotated_at < now() - make_interval(secs => p_grace) THEN
		UPDATE refresh_tokens rt SET revoked_at = now()
		 WHERE rt.family_id = t.family_id AND rt.revoked_at IS NULL;
		outcome := 'reuse'; RETURN NEXT; RETURN;
	END IF;
	SELECT m.role, u.token_version INTO role, token_version
	  FROM memberships m JOIN users u ON u.id = m.user_id
	 WHERE m.user_id = t.user_id AND m.tenant_id = t.tenant_id AND u.disabled_at IS NULL;
	IF NOT FOUND THEN
		UPDATE refresh_tokens rt SET revoked_at = now() WHERE rt.family_id = t.family_id;
		outcome := 'gone'; RETURN NEXT; RETURN;
	END IF;
	outcome := CASE WHEN t.rotated_at IS NULL THEN 'ok' ELSE 'grace' END;
	IF t.rotated_at IS NULL THEN
		UPDATE refresh_tokens rt SET rotated_at = now() WHERE rt.id = t.id;
	END IF;
	INSERT INTO refresh_tokens (token_hash, family_id, user_id, tenant_id, expires_at)
	VALUES (p_new_hash, t.family_id, t.user_id, t.tenant_id,
	        now() + make_interval(secs => p_ttl_seconds));
	RETURN NEXT;
END
$$;

-- Logout: revokes the family of the presented token; returns its user (NULL if unknown).
CREATE FUNCTION auth_refresh_revoke_family(p_hash bytea)
	RETURNS TABLE (user_id uuid, tenant_id uuid)
	LANGUAGE sql SECURITY DEFINER
	SET search_path = public, pg_temp
	AS $$
	UPDATE refresh_tokens rt SET revoked_at = coalesce(rt.revoked_at, now())
	 WHERE rt.family_id = (SELECT family_id FROM refresh_tokens WHERE token_hash = p_hash)
	RETURNING rt.user_id, rt.tenant_id
$$;

-- Logout everywhere / password change: bump token_version (every access token dies) and
-- revoke every refresh token. Only for the user of the current context.
CREATE FUNCTION auth_revoke_all(p_keep_family uuid)
	RETURNS int
	LANGUAGE plpgsql SECURITY DEFINER
	SET search_path = public, pg_temp
	AS $$
DECLARE
	v int;
	me uuid := app_user_id();
BEGIN
	IF me IS NULL THEN
		RAISE EXCEPTION 'no user in context' USING ERRCODE = 'MH401';
	END IF;
	UPDATE users SET token_version = token_version + 1 WHERE id = me
	RETURNING token_version INTO v;
	UPDATE refresh_tokens SET revoked_at = now()
	 WHERE refresh_tokens.user_id = me AND revoked_at IS NULL
	   AND family_id IS DISTINCT FROM p_keep_family;
	RETURN v;
END
$$;

-- Password change for the user of the current context; the caller has checked the current
-- password with auth_password_hash() first.
CREATE FUNCTION auth_password_hash() RETURNS text
	LANGUAGE sql STABLE SECURITY DEFINER
	SET search_path = public, pg_temp
	AS $$ SELECT password_hash FROM users WHERE id = app_user_id() $$;

CREATE FUNCTION auth_set_password(p_hash text) RETURNS void
	LANGUAGE plpgsql SECURITY DEFINER
	SET search_path = public, pg_temp
	AS $$
BEGIN
	IF app_user_id() IS NULL THEN
		RAISE EXCEPTION 'no user in context' USING ERRCODE = 'MH401';
	END IF;
	UPDATE users SET password_hash = p_hash WHERE id = app_user_id();
END
$$;

-- Adding a member by e-mail needs the global user table: finds the user, or creates one
-- with no usable password (they set it through a reset flow). Admin+ of the context only.
CREATE FUNCTION auth_user_for_invite(p_email text) RETURNS uuid
	LANGUAGE plpgsql SECURITY DEFINER
	SET search_path = public, pg_temp
	AS $$
DECLARE
	id_ uuid;
BEGIN
	IF app_tenant_id() IS NULL OR app_role_rank(app_role()) < app_role_rank('admin') THEN
		RAISE EXCEPTION 'admin role required' USING ERRCODE = 'MH403';
	END IF;
	SELECT id INTO id_ FROM users WHERE email = lower(p_email);
	IF id_ IS NULL THEN
		INSERT INTO users (email, password_hash) VALUES (lower(p_email), '!')
		RETURNING id INTO id_;
	END IF;
	RETURN id_;
END
$$;

-- Audit rows for events that happen before a tenant context exists (failed logins, refresh
-- reuse): written through here with the tenant named explicitly.
CREATE FUNCTION auth_audit(p_tenant uuid, p_actor uuid, p_action text, p_target text,
                           p_ip text, p_request_id text) RETURNS void
	LANGUAGE sql SECURITY DEFINER
	SET search_path = public, pg_temp
	AS $$
	INSERT INTO audit_log (tenant_id, actor_id, action, target, ip, request_id)
	VALUES (p_tenant, p_actor, p_action, p_target, nullif(p_ip, '')::inet, p_request_id)
$$;

DO $$
DECLARE
	f text;
BEGIN
	FOREACH f IN ARRAY ARRAY[
		'auth_signup(text,text,text,text,text)',
		'auth_login_lookup(text)',
		'auth_user_tenants(uuid)',
		'auth_refresh_issue(bytea,uuid,uuid,uuid,int)',
		'auth_refresh_rotate(bytea,bytea,int,int)',
		'auth_refresh_revoke_family(bytea)',
		'auth_revoke_all(uuid)',
		'auth_password_hash()',
		'auth_set_password(text)',
		'auth_user_for_invite(text)',
		'auth_audit(uuid,uuid,text,text,text,text)']
	LOOP
		EXECUTE format('ALTER FUNCTION %s OWNER TO menhir_auth', f);
		EXECUTE format('REVOKE ALL ON FUNCTION %s FROM PUBLIC', f);
		EXECUTE format('GRANT EXECUTE ON FUNCTION %s TO menhir_app', f);
	END LOOP;
END
$$;

-- The audit log is read by admins through RLS; writes in a tenant context go straight in.
