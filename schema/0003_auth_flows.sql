-- 0003_auth_flows.sql - the auth, tenants and users modules' statements that need more than
-- one step: each flow is one function so a request stays one pipelined round trip.
--
-- Two kinds, on purpose:
--   * SECURITY DEFINER, owned by menhir_auth (BYPASSRLS), for what runs before a tenant
--     context exists (signup, refresh by cookie, logout by cookie, switching tenants): each
--     does one narrow thing, takes no table or column names, and writes its own audit row;
--   * SECURITY INVOKER (run as menhir_app, under RLS) for member management: the
--     last-owner rule and the owner-only rule live next to the rows they protect, and the
--     policies still confine every statement to the caller's tenant.
-- Custom SQLSTATEs: MH403 forbidden, MH404 no such member, MH409 conflict (last owner,
-- e-mail taken), MH422 invalid value.

-- Keyset pagination of the member list: (tenant, joined, user).
CREATE INDEX memberships_tenant_created ON memberships (tenant_id, created_at, user_id);

-- Signup: user, tenant (slug derived from the name, with a random suffix while taken), owner
-- membership, the first refresh token of a new family, and the audit row, atomically.
CREATE FUNCTION auth_signup_session(p_email text, p_password_hash text, p_name text,
                                    p_tenant_name text, p_slug_base text, p_refresh_hash bytea,
                                    p_ttl_seconds int, p_ip text, p_request_id text)
	RETURNS TABLE (user_id uuid, tenant_id uuid, tenant_slug text, token_version int)
	LANGUAGE plpgsql SECURITY DEFINER
	SET search_path = public, pg_temp
	AS $$
DECLARE
	s text := left(p_slug_base, 56);
BEGIN
	IF EXISTS (SELECT 1 FROM users u WHERE u.email = lower(p_email)) THEN
		RAISE EXCEPTION 'email taken' USING ERRCODE = 'MH409';
	END IF;
	FOR i IN 1..8 LOOP
		EXIT WHEN NOT EXISTS (SELECT 1 FROM tenants t WHERE t.slug = s);
		s := left(p_slug_base, 56) || '-' || substr(md5(gen_random_uuid()::text), 1, 6);
	END LOOP;
	INSERT INTO users (email, password_hash, name)
	VALUES (lower(p_email), p_password_hash, coalesce(p_name, ''))
	RETURNING id, users.token_version INTO user_id, token_version;
	INSERT INTO tenants (name, slug) VALUES (p_tenant_name, s) RETURNING id INTO tenant_id;
	INSERT INTO memberships (tenant_id, user_id, role) VALUES (tenant_id, user_id, 'owner');
	PERFORM auth_refresh_issue(p_refresh_hash, NULL, user_id, tenant_id, p_ttl_seconds);
	PERFORM auth_audit(tenant_id, user_id, 'signup', user_id::text, p_ip, p_request_id);
	tenant_slug := s;
	RETURN NEXT;
END
$$;

-- Refresh: rotation (auth_refresh_rotate) plus the audit row when a rotated token is
-- replayed, which must be written even though the caller answers 401.
CREATE FUNCTION auth_refresh_use(p_old_hash bytea, p_new_hash bytea, p_grace int,
                                 p_ttl_seconds int, p_ip text, p_request_id text)
	RETURNS TABLE (outcome text, user_id uuid, tenant_id uuid, role text, token_version int)
	LANGUAGE plpgsql SECURITY DEFINER
	SET search_path = public, pg_temp
	AS $$
DECLARE
	r record;
BEGIN
	SELECT * INTO r FROM auth_refresh_rotate(p_old_hash, p_new_hash, p_grace, p_ttl_seconds);
	outcome := r.outcome; user_id := r.user_id; tenant_id := r.tenant_id;
	role := r.role; token_version := r.token_version;
	IF r.outcome = 'reuse' THEN
		PERFORM auth_audit(r.tenant_id, r.user_id, 'refresh_reuse_detected',
		                   r.family_id::text, p_ip, p_request_id);
	END IF;
	RETURN NEXT;
END
$$;

-- Logout by cookie: revokes the presented token's family and audits it. No row when the
-- token is unknown (logout stays idempotent).
CREATE FUNCTION auth_logout(p_hash bytea, p_ip text, p_request_id text)
	RETURNS TABLE (user_id uuid, tenant_id uuid)
	LANGUAGE plpgsql SECURITY DEFINER
	SET search_path = public, pg_temp
	AS $$
BEGIN
	SELECT f.user_id, f.tenant_id INTO user_id, tenant_id
	  FROM auth_refresh_revoke_family(p_hash) f LIMIT 1;
	IF user_id IS NULL THEN
		RETURN;
	END IF;
	PERFORM auth_audit(tenant_id, user_id, 'logout', user_id::text, p_ip, p_request_id);
	RETURN NEXT;
END
$$;

-- Switching tenants, for the user of the current context: when they are an active member of
-- p_tenant, starts a refresh family there, audits, and returns the role and token version
-- for the new access token; otherwise returns no row.
CREATE FUNCTION auth_switch_tenant(p_tenant uuid, p_refresh_hash bytea, p_ttl_seconds int,
                                   p_ip text, p_request_id text)
	RETURNS TABLE (role text, token_version int)
	LANGUAGE plpgsql SECURITY DEFINER
	SET search_path = public, pg_temp
	AS $$
DECLARE
	me uuid := app_user_id();
BEGIN
	IF me IS NULL THEN
		RAISE EXCEPTION 'no user in context' USING ERRCODE = 'MH401';
	END IF;
	SELECT m.role, u.token_version INTO role, token_version
	  FROM memberships m JOIN users u ON u.id = m.user_id
	 WHERE m.user_id = me AND m.tenant_id = p_tenant AND u.disabled_at IS NULL;
	IF NOT FOUND THEN
		RETURN;
	END IF;
	PERFORM auth_refresh_issue(p_refresh_hash, NULL, me, p_tenant, p_ttl_seconds);
	PERFORM auth_audit(p_tenant, me, 'switch_tenant', me::text, p_ip, p_request_id);
	RETURN NEXT;
END
$$;

-- The shell's `menhir admin`: runs as menhir_owner (migrate_database_url), never as
-- menhir_app, so a compromised worker cannot mint tenants or users through these.
CREATE FUNCTION admin_create_user(p_email text, p_password_hash text, p_name text)
	RETURNS uuid
	LANGUAGE plpgsql SECURITY DEFINER
	SET search_path = public, pg_temp
	AS $$
DECLARE
	id_ uuid;
BEGIN
	IF EXISTS (SELECT 1 FROM users u WHERE u.email = lower(p_email)) THEN
		RAISE EXCEPTION 'a user with this e-mail already exists' USING ERRCODE = 'MH409';
	END IF;
	INSERT INTO users (email, password_hash, name)
	VALUES (lower(p_email), p_password_hash, coalesce(p_name, ''))
	RETURNING id INTO id_;
	RETURN id_;
END
$$;

CREATE FUNCTION admin_create_tenant(p_name text, p_slug text, p_owner_email text)
	RETURNS TABLE (tenant_id uuid, owner_id uuid)
	LANGUAGE plpgsql SECURITY DEFINER
	SET search_path = public, pg_temp
	AS $$
BEGIN
	SELECT u.id INTO owner_id FROM users u WHERE u.email = lower(p_owner_email);
	IF owner_id IS NULL THEN
		RAISE EXCEPTION 'no user with e-mail %', lower(p_owner_email) USING ERRCODE = 'MH404';
	END IF;
	IF EXISTS (SELECT 1 FROM tenants t WHERE t.slug = p_slug) THEN
		RAISE EXCEPTION 'a tenant with slug % already exists', p_slug USING ERRCODE = 'MH409';
	END IF;
	INSERT INTO tenants (name, slug) VALUES (p_name, p_slug) RETURNING id INTO tenant_id;
	INSERT INTO memberships (tenant_id, user_id, role) VALUES (tenant_id, owner_id, 'owner');
	PERFORM auth_audit(tenant_id, NULL, 'tenant_created', p_slug, NULL, 'menhir-admin');
	RETURN NEXT;
END
$$;

DO $$
DECLARE
	f text;
BEGIN
	FOREACH f IN ARRAY ARRAY[
		'auth_signup_session(text,text,text,text,text,bytea,int,text,text)',
		'auth_refresh_use(bytea,bytea,int,int,text,text)',
		'auth_logout(bytea,text,text)',
		'auth_switch_tenant(uuid,bytea,int,text,text)']
	LOOP
		EXECUTE format('ALTER FUNCTION %s OWNER TO menhir_auth', f);
		EXECUTE format('REVOKE ALL ON FUNCTION %s FROM PUBLIC', f);
		EXECUTE format('GRANT EXECUTE ON FUNCTION %s TO menhir_app', f);
	END LOOP;
	FOREACH f IN ARRAY ARRAY[
		'admin_create_user(text,text,text)',
		'admin_create_tenant(text,text,text)']
	LOOP
		EXECUTE format('ALTER FUNCTION %s OWNER TO menhir_auth', f);
		EXECUTE format('REVOKE ALL ON FUNCTION %s FROM PUBLIC', f);
		EXECUTE format('GRANT EXECUTE ON FUNCTION %s TO menhir_owner', f);
	END LOOP;
END
$$;

-- ---- Member management (SECURITY INVOKER: runs as menhir_app, under RLS) ------------------

-- Locks the tenant's owner memberships, so two concurrent demotions or removals cannot both
-- see "another owner is left".
CREATE FUNCTION members_lock_owners() RETURNS int
	LANGUAGE sql
	SET search_path = public, pg_temp
	AS $$
	SELECT count(*)::int FROM (SELECT 1 FROM memberships m
	  WHERE m.tenant_id = (SELECT app_tenant_id()) AND m.role = 'owner' FOR UPDATE) o
$$;

CREATE FUNCTION members_add(p_email text, p_role text, p_ip text, p_request_id text)
	RETURNS TABLE (user_id uuid, email text, name text, role text, joined_at timestamptz)
	LANGUAGE plpgsql
	SET search_path = public, pg_temp
	AS $$
DECLARE
	uid uuid;
BEGIN
	IF p_role = 'owner' AND app_role() IS DISTINCT FROM 'owner' THEN
		RAISE EXCEPTION 'only an owner can add an owner' USING ERRCODE = 'MH403';
	END IF;
	uid := auth_user_for_invite(p_email);
	INSERT INTO memberships (tenant_id, user_id, role) VALUES (app_tenant_id(), uid, p_role);
	INSERT INTO audit_log (tenant_id, actor_id, action, target, ip, request_id)
	VALUES (app_tenant_id(), app_user_id(), 'member_added', uid::text || ' ' || p_role,
	        nullif(p_ip, '')::inet, p_request_id);
	RETURN QUERY SELECT m.user_id, u.email, u.name, m.role, m.created_at
	  FROM memberships m JOIN users u ON u.id = m.user_id
	 WHERE m.tenant_id = app_tenant_id() AND m.user_id = uid;
END
$$;

CREATE FUNCTION members_set_role(p_user uuid, p_role text, p_ip text, p_request_id text)
	RETURNS TABLE (user_id uuid, email text, name text, role text, joined_at timestamptz)
	LANGUAGE plpgsql
	SET search_path = public, pg_temp
	AS $$
DECLARE
	owners int := members_lock_owners();
	cur text;
BEGIN
	SELECT m.role INTO cur FROM memberships m
	 WHERE m.tenant_id = app_tenant_id() AND m.user_id = p_user FOR UPDATE;
	IF cur IS NULL THEN
		RAISE EXCEPTION 'no such member' USING ERRCODE = 'MH404';
	END IF;
	IF (cur = 'owner' OR p_role = 'owner') AND app_role() IS DISTINCT FROM 'owner' THEN
		RAISE EXCEPTION 'only an owner can grant or take the owner role' USING ERRCODE = 'MH403';
	END IF;
	IF cur = 'owner' AND p_role <> 'owner' AND owners <= 1 THEN
		RAISE EXCEPTION 'the last owner cannot be demoted' USING ERRCODE = 'MH409';
	END IF;
	IF cur <> p_role THEN
		UPDATE memberships m SET role = p_role
		 WHERE m.tenant_id = app_tenant_id() AND m.user_id = p_user;
		INSERT INTO audit_log (tenant_id, actor_id, action, target, ip, request_id)
		VALUES (app_tenant_id(), app_user_id(), 'role_changed',
		        p_user::text || ' ' || cur || '->' || p_role, nullif(p_ip, '')::inet,
		        p_request_id);
	END IF;
	RETURN QUERY SELECT m.user_id, u.email, u.name, m.role, m.created_at
	  FROM memberships m JOIN users u ON u.id = m.user_id
	 WHERE m.tenant_id = app_tenant_id() AND m.user_id = p_user;
END
$$;

CREATE FUNCTION members_remove(p_user uuid, p_ip text, p_request_id text) RETURNS void
	LANGUAGE plpgsql
	SET search_path = public, pg_temp
	AS $$
DECLARE
	owners int := members_lock_owners();
	cur text;
BEGIN
	SELECT m.role INTO cur FROM memberships m
	 WHERE m.tenant_id = app_tenant_id() AND m.user_id = p_user FOR UPDATE;
	IF cur IS NULL THEN
		RAISE EXCEPTION 'no such member' USING ERRCODE = 'MH404';
	END IF;
	IF cur = 'owner' AND app_role() IS DISTINCT FROM 'owner' THEN
		RAISE EXCEPTION 'only an owner can remove an owner' USING ERRCODE = 'MH403';
	END IF;
	IF cur = 'owner' AND owners <= 1 THEN
		RAISE EXCEPTION 'the last owner cannot be removed' USING ERRCODE = 'MH409';
	END IF;
	DELETE FROM memberships m WHERE m.tenant_id = app_tenant_id() AND m.user_id = p_user;
	INSERT INTO audit_log (tenant_id, actor_id, action, target, ip, request_id)
	VALUES (app_tenant_id(), app_user_id(), 'member_removed', p_user::text || ' ' || cur,
	        nullif(p_ip, '')::inet, p_request_id);
END
$$;

REVOKE ALL ON FUNCTION members_lock_owners(), members_add(text, text, text, text),
	members_set_role(uuid, text, text, text), members_remove(uuid, text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION members_lock_owners(), members_add(text, text, text, text),
	members_set_role(uuid, text, text, text), members_remove(uuid, text, text) TO menhir_app;
