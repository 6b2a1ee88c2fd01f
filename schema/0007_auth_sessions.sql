-- 0007_auth_sessions.sql - refresh families as named sessions, a grace window that hands back
-- the same successor, login failures that cost the same whether or not the account exists,
-- and contexts that refuse a deleted user.
--
-- Functions whose signature changes are dropped and created again (their owner and grants
-- with them, at the end); the others are replaced in place and keep theirs.

-- ---- Refresh rotation: the successor, recoverable only with its predecessor --------------

-- A rotated token points at the token that replaced it and carries that token's 32 random
-- bytes sealed under a key derived from the rotated token itself (the application seals
-- and opens them: README "Tokens"). The database never holds a usable token: the sealed
-- bytes open only with the predecessor, which is stored as a hash too.
ALTER TABLE refresh_tokens
	ADD COLUMN successor_id uuid REFERENCES refresh_tokens (id) ON DELETE SET NULL,
	ADD COLUMN successor_box bytea CHECK (length(successor_box) = 32);
CREATE INDEX refresh_tokens_successor ON refresh_tokens (successor_id);

DROP FUNCTION auth_refresh_use(bytea, bytea, int, int, text, text);
DROP FUNCTION auth_refresh_rotate(bytea, bytea, int, int);

-- Rotation, atomically under a row lock. Outcomes:
--   ok      the token was current: p_new_hash replaces it, and p_new_box (the new token
--           sealed under the old one) is kept on the old row;
--   grace   it was rotated less than p_grace seconds ago (two tabs refreshing at once):
--           nothing is written; boxes holds the sealed successors from it to the family's
--           current token (32 bytes each, in order) and current_hash that token's hash, so
--           the caller hands out the same token again and the family never branches;
--   reuse   it was rotated earlier: a stolen token is being replayed, so the WHOLE family
--           is revoked and the caller revokes the session's access tokens and answers 401;
--   revoked / expired / invalid / gone (user disabled or no longer a member) / conflict (a
--           grace replay whose successor cannot be recovered: rotated before 0007).
CREATE FUNCTION auth_refresh_rotate(p_old_hash bytea, p_new_hash bytea, p_new_box bytea,
                                    p_grace int, p_ttl_seconds int)
	RETURNS TABLE (outcome text, user_id uuid, tenant_id uuid, family_id uuid, role text,
	               token_version int, boxes bytea, current_hash bytea)
	LANGUAGE plpgsql SECURITY DEFINER
	SET search_path = public, pg_temp
	AS $$
DECLARE
	t refresh_tokens%ROWTYPE;
	cur refresh_tokens%ROWTYPE;
	new_id uuid;
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
	IF t.rotated_at IS NULL THEN
		INSERT INTO refresh_tokens (token_hash, family_id, user_id, tenant_id, expires_at)
		VALUES (p_new_hash, t.family_id, t.user_id, t.tenant_id,
		        now() + make_interval(secs => p_ttl_seconds))
		RETURNING id INTO new_id;
		UPDATE refresh_tokens rt
		   SET rotated_at = now(), successor_id = new_id, successor_box = p_new_box
		 WHERE rt.id = t.id;
		outcome := 'ok'; RETURN NEXT; RETURN;
	END IF;
	-- A replay inside the grace window: follow the successors to the current token. Each
	-- link is a rotation inside the window too, so a real chain is one or two long; the
	-- bound only stops a corrupted one.
	boxes := ''::bytea;
	cur := t;
	FOR i IN 1..16 LOOP
		EXIT WHEN cur.rotated_at IS NULL;
		IF cur.successor_box IS NULL OR cur.successor_id IS NULL THEN
			EXIT;
		END IF;
		boxes := boxes || cur.successor_box;
		SELECT * INTO cur FROM refresh_tokens rt WHERE rt.id = cur.successor_id;
		IF NOT FOUND THEN
			EXIT;
		END IF;
	END LOOP;
	IF cur.rotated_at IS NOT NULL OR cur.family_id IS DISTINCT FROM t.family_id THEN
		outcome := 'conflict'; RETURN NEXT; RETURN;
	END IF;
	IF cur.revoked_at IS NOT NULL THEN
		outcome := 'revoked'; RETURN NEXT; RETURN;
	END IF;
	IF cur.expires_at <= now() THEN
		outcome := 'expired'; RETURN NEXT; RETURN;
	END IF;
	outcome := 'grace';
	current_hash := cur.token_hash;
	RETURN NEXT;
END
$$;

-- Refresh: rotation plus the audit row when a rotated token is replayed, which must be
-- written even though the caller answers 401.
CREATE FUNCTION auth_refresh_use(p_old_hash bytea, p_new_hash bytea, p_new_box bytea,
                                 p_grace int, p_ttl_seconds int, p_ip text, p_request_id text)
	RETURNS TABLE (outcome text, user_id uuid, tenant_id uuid, family_id uuid, role text,
	               token_version int, boxes bytea, current_hash bytea)
	LANGUAGE plpgsql SECURITY DEFINER
	SET search_path = public, pg_temp
	AS $$
DECLARE
	r record;
BEGIN
	SELECT * INTO r
	  FROM auth_refresh_rotate(p_old_hash, p_new_hash, p_new_box, p_grace, p_ttl_seconds);
	outcome := r.outcome; user_id := r.user_id; tenant_id := r.tenant_id;
	family_id := r.family_id; role := r.role; token_version := r.token_version;
	boxes := r.boxes; current_hash := r.current_hash;
	IF r.outcome = 'reuse' THEN
		PERFORM auth_audit(r.tenant_id, r.user_id, 'refresh_reuse_detected',
		                   r.family_id::text, p_ip, p_request_id);
	END IF;
	RETURN NEXT;
END
$$;

-- ---- Sessions named by the application --------------------------------------------------
-- A refresh family is a session, and access tokens carry its id (sid) so that revoking the
-- session kills them at once. The application picks the family id before the round trip
-- that creates it, so the token it signs in the same response can name it.

DROP FUNCTION auth_signup_session(text, text, text, text, text, bytea, int, text, text);
CREATE FUNCTION auth_signup_session(p_email text, p_password_hash text, p_name text,
                                    p_tenant_name text, p_slug_base text, p_refresh_hash bytea,
                                    p_family uuid, p_ttl_seconds int, p_ip text,
                                    p_request_id text)
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
	PERFORM auth_refresh_issue(p_refresh_hash, p_family, user_id, tenant_id, p_ttl_seconds);
	PERFORM auth_audit(tenant_id, user_id, 'signup', user_id::text, p_ip, p_request_id);
	tenant_slug := s;
	RETURN NEXT;
END
$$;

DROP FUNCTION auth_switch_tenant(uuid, bytea, int, text, text);
CREATE FUNCTION auth_switch_tenant(p_tenant uuid, p_refresh_hash bytea, p_family uuid,
                                   p_ttl_seconds int, p_ip text, p_request_id text)
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
	PERFORM auth_refresh_issue(p_refresh_hash, p_family, me, p_tenant, p_ttl_seconds);
	PERFORM auth_audit(p_tenant, me, 'switch_tenant', me::text, p_ip, p_request_id);
	RETURN NEXT;
END
$$;

-- Logout by cookie: revokes the presented token's family, audits it, and names the family
-- so the caller can revoke the session's access tokens. No row when the token is unknown
-- (logout stays idempotent); a row again for a family already revoked, so a logout retried
-- after a failed revocation completes.
DROP FUNCTION auth_logout(bytea, text, text);
CREATE FUNCTION auth_logout(p_hash bytea, p_ip text, p_request_id text)
	RETURNS TABLE (user_id uuid, tenant_id uuid, family_id uuid)
	LANGUAGE plpgsql SECURITY DEFINER
	SET search_path = public, pg_temp
	AS $$
DECLARE
	f uuid;
BEGIN
	SELECT rt.user_id, rt.tenant_id, rt.family_id INTO user_id, tenant_id, f
	  FROM refresh_tokens rt WHERE rt.token_hash = p_hash;
	IF f IS NULL THEN
		RETURN;
	END IF;
	UPDATE refresh_tokens rt SET revoked_at = coalesce(rt.revoked_at, now())
	 WHERE rt.family_id = f;
	PERFORM auth_audit(tenant_id, user_id, 'logout', user_id::text, p_ip, p_request_id);
	family_id := f;
	RETURN NEXT;
END
$$;

-- ---- Login: the same work for every failure ---------------------------------------------

-- The tenant a login names (by id or slug) or, without one, the most recently joined; with
-- p_fallback, the most recently joined also when the named one is not the user's (the
-- audit row of a failure). Every branch is a fixed number of index probes, run with a user
-- id that matches nothing when the e-mail has no account: neither the account's existence
-- nor its number of tenants shows in the time a failure takes.
CREATE INDEX memberships_user_joined ON memberships (user_id, created_at DESC, tenant_id);

CREATE FUNCTION auth_login_tenant(p_user uuid, p_tenant text, p_fallback boolean)
	RETURNS TABLE (tenant_id uuid, role text)
	LANGUAGE plpgsql STABLE SECURITY DEFINER
	SET search_path = public, pg_temp
	AS $$
DECLARE
	u uuid := coalesce(p_user, '00000000-0000-0000-0000-000000000000');
	by_id uuid;
BEGIN
	IF coalesce(p_tenant, '') <> '' THEN
		IF p_tenant ~ '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' THEN
			by_id := p_tenant::uuid;
		END IF;
		SELECT m.tenant_id, m.role INTO tenant_id, role
		  FROM tenants t JOIN memberships m ON m.tenant_id = t.id AND m.user_id = u
		 WHERE t.id = by_id OR t.slug = p_tenant
		 ORDER BY t.id = by_id DESC NULLS LAST
		 LIMIT 1;
		IF FOUND OR NOT p_fallback THEN
			IF FOUND THEN
				RETURN NEXT;
			END IF;
			RETURN;
		END IF;
	END IF;
	SELECT m.tenant_id, m.role INTO tenant_id, role
	  FROM memberships m WHERE m.user_id = u
	 ORDER BY m.created_at DESC, m.tenant_id
	 LIMIT 1;
	IF FOUND THEN
		RETURN NEXT;
	END IF;
END
$$;

-- Failed logins for e-mails that match no account. A failure for a real account writes an
-- audit row in its tenant; this is the same kind of write for the others, so that a failure
-- costs the same whether or not the e-mail has an account (a timing oracle otherwise). It
-- doubles as the record of credential stuffing. Read by operators only (menhir_app has no
-- grant); nothing here names the e-mail that was tried.
CREATE TABLE unknown_account_logins (
	id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	ip inet,
	request_id text,
	created_at timestamptz NOT NULL DEFAULT now(),
	updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX unknown_account_logins_created ON unknown_account_logins (created_at DESC);
CREATE INDEX unknown_account_logins_ip ON unknown_account_logins (ip, created_at DESC);
GRANT INSERT ON unknown_account_logins TO menhir_auth;

-- A failed login, for every failure (wrong password, unknown e-mail, disabled account, no
-- usable password): one tenant lookup and one row written, whoever the e-mail belongs to.
CREATE FUNCTION auth_login_failed(p_user uuid, p_tenant text, p_ip text, p_request_id text)
	RETURNS void
	LANGUAGE plpgsql SECURITY DEFINER
	SET search_path = public, pg_temp
	AS $$
DECLARE
	t uuid;
BEGIN
	SELECT lt.tenant_id INTO t FROM auth_login_tenant(p_user, p_tenant, true) lt;
	IF p_user IS NOT NULL AND t IS NOT NULL THEN
		-- Written here rather than through auth_audit, so that both branches are one
		-- planned INSERT of the same cost (measured: within about 40 µs of each other).
		INSERT INTO audit_log (tenant_id, actor_id, action, target, ip, request_id)
		VALUES (t, p_user, 'login_failed', p_user::text, nullif(p_ip, '')::inet,
		        p_request_id);
	ELSE
		INSERT INTO unknown_account_logins (ip, request_id)
		VALUES (nullif(p_ip, '')::inet, p_request_id);
	END IF;
END
$$;

-- A successful login (the caller verified the password): picks the tenant, starts the
-- session (refresh family p_family) and audits it. No row when the user is disabled or not
-- a member of the tenant asked for (or of any).
CREATE FUNCTION auth_login_session(p_user uuid, p_tenant text, p_refresh_hash bytea,
                                   p_family uuid, p_ttl_seconds int, p_ip text,
                                   p_request_id text)
	RETURNS TABLE (tenant_id uuid, role text, token_version int)
	LANGUAGE plpgsql SECURITY DEFINER
	SET search_path = public, pg_temp
	AS $$
BEGIN
	SELECT lt.tenant_id, lt.role INTO tenant_id, role
	  FROM auth_login_tenant(p_user, p_tenant, false) lt;
	IF tenant_id IS NULL THEN
		RETURN;
	END IF;
	SELECT u.token_version INTO token_version
	  FROM users u WHERE u.id = p_user AND u.disabled_at IS NULL;
	IF NOT FOUND THEN
		RETURN;
	END IF;
	PERFORM auth_refresh_issue(p_refresh_hash, p_family, p_user, tenant_id, p_ttl_seconds);
	PERFORM auth_audit(tenant_id, p_user, 'login', p_user::text, p_ip, p_request_id);
	RETURN NEXT;
END
$$;

-- ---- Deleted users ----------------------------------------------------------------------

-- An audit row whose actor has been deleted since the request began keeps the event and
-- loses the name (what audit_log_actor_fk's ON DELETE SET NULL does to older rows), instead
-- of failing the request on the foreign key. PL/pgSQL rather than SQL: its INSERT is
-- planned once per connection, not on every call.
CREATE OR REPLACE FUNCTION auth_audit(p_tenant uuid, p_actor uuid, p_action text,
                                      p_target text, p_ip text, p_request_id text)
	RETURNS void
	LANGUAGE plpgsql SECURITY DEFINER
	SET search_path = public, pg_temp
	AS $$
BEGIN
	INSERT INTO audit_log (tenant_id, actor_id, action, target, ip, request_id)
	VALUES (p_tenant, (SELECT u.id FROM users u WHERE u.id = p_actor), p_action, p_target,
	        nullif(p_ip, '')::inet, p_request_id);
END
$$;

-- As in 0002, and a context with a user but no tenant (logout everywhere, switching tenants,
-- a login's own writes) now requires that user to exist: the still-valid token of a deleted
-- user gets SQLSTATE MH401 (401) instead of reaching statements that write in its name. With
-- a tenant, the membership check already refuses it (MH403).
CREATE OR REPLACE FUNCTION app_enter(p_tenant text, p_user text, p_min_role text) RETURNS text
	LANGUAGE plpgsql
	SET search_path = public, pg_temp
	AS $$
DECLARE
	r text;
BEGIN
	PERFORM set_config('app.tenant_id', coalesce(p_tenant, ''), true);
	PERFORM set_config('app.user_id', coalesce(p_user, ''), true);
	PERFORM set_config('app.role', '', true);
	IF coalesce(p_user, '') = '' THEN
		RETURN NULL;
	END IF;
	IF coalesce(p_tenant, '') = '' THEN
		IF NOT EXISTS (SELECT 1 FROM users u WHERE u.id = p_user::uuid) THEN
			RAISE EXCEPTION 'no such user' USING ERRCODE = 'MH401';
		END IF;
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

DO $$
DECLARE
	f text;
BEGIN
	FOREACH f IN ARRAY ARRAY[
		'auth_refresh_rotate(bytea,bytea,bytea,int,int)',
		'auth_login_tenant(uuid,text,boolean)']
	LOOP
		-- Called only from the definer functions below, never by the application.
		EXECUTE format('ALTER FUNCTION %s OWNER TO menhir_auth', f);
		EXECUTE format('REVOKE ALL ON FUNCTION %s FROM PUBLIC', f);
	END LOOP;
	FOREACH f IN ARRAY ARRAY[
		'auth_refresh_use(bytea,bytea,bytea,int,int,text,text)',
		'auth_signup_session(text,text,text,text,text,bytea,uuid,int,text,text)',
		'auth_switch_tenant(uuid,bytea,uuid,int,text,text)',
		'auth_logout(bytea,text,text)',
		'auth_login_failed(uuid,text,text,text)',
		'auth_login_session(uuid,text,bytea,uuid,int,text,text)']
	LOOP
		EXECUTE format('ALTER FUNCTION %s OWNER TO menhir_auth', f);
		EXECUTE format('REVOKE ALL ON FUNCTION %s FROM PUBLIC', f);
		EXECUTE format('GRANT EXECUTE ON FUNCTION %s TO menhir_app', f);
	END LOOP;
END
$$;
