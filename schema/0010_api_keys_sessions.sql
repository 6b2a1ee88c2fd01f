-- 0010_api_keys_sessions.sql - sessions a user can list and end (refresh families with the
-- device and coarse network that used them), and API keys that authenticate machine clients
-- through the same RLS context as a person.
--
-- Functions that run before or beside a tenant context, or that must read what menhir_app
-- may not (a key's hash, refresh tokens), are SECURITY DEFINER owned by menhir_auth, as in
-- 0002/0003.

-- ---- Sessions ------------------------------------------------------------------------------

-- The client that obtained each refresh token: its User-Agent (truncated) and its network,
-- never its full address (IPv4 /24, IPv6 /48: enough to recognise "my office", too coarse
-- to locate anyone). The auth flows set app.client_agent and app.client_ip for their own
-- transaction only (auth_client_note below), so every function that issues or rotates a
-- refresh token records them without a new signature.
CREATE FUNCTION app_coarse_ip(p_ip text) RETURNS cidr
	LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
	SET search_path = public, pg_temp
	AS $$
DECLARE
	a inet;
BEGIN
	IF coalesce(p_ip, '') = '' THEN
		RETURN NULL;
	END IF;
	a := p_ip::inet;
	RETURN network(set_masklen(a, CASE family(a) WHEN 4 THEN 24 ELSE 48 END))::cidr;
EXCEPTION WHEN invalid_text_representation THEN
	RETURN NULL;
END
$$;

ALTER TABLE refresh_tokens
	ADD COLUMN user_agent text
		DEFAULT left(nullif(current_setting('app.client_agent', true), ''), 256),
	ADD COLUMN client_net cidr
		DEFAULT app_coarse_ip(current_setting('app.client_ip', true));

-- Names the client for the refresh tokens this transaction writes.
CREATE FUNCTION auth_client_note(p_agent text, p_ip text) RETURNS void
	LANGUAGE sql
	SET search_path = public, pg_temp
	AS $$
	SELECT set_config('app.client_agent', left(coalesce(p_agent, ''), 256), true),
	       set_config('app.client_ip', coalesce(p_ip, ''), true)
$$;
REVOKE ALL ON FUNCTION auth_client_note(text, text), app_coarse_ip(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION auth_client_note(text, text), app_coarse_ip(text)
	TO menhir_app, menhir_auth;

-- The signed-in user's live sessions (a family with a token neither rotated, revoked nor
-- expired), in every tenant, newest use first: created = the family's first token, last used
-- = its latest rotation, and the client of that latest token.
CREATE FUNCTION auth_sessions_list()
	RETURNS TABLE (id uuid, tenant_id uuid, tenant_name text, created_at timestamptz,
	               last_used_at timestamptz, expires_at timestamptz, user_agent text,
	               client_net text)
	LANGUAGE sql STABLE SECURITY DEFINER
	SET search_path = public, pg_temp
	AS $$
	SELECT cur.family_id, cur.tenant_id, t.name,
	       (SELECT min(f.issued_at) FROM refresh_tokens f WHERE f.family_id = cur.family_id),
	       cur.issued_at, cur.expires_at, cur.user_agent, host(cur.client_net) || '/' ||
	       masklen(cur.client_net)
	  FROM refresh_tokens cur JOIN tenants t ON t.id = cur.tenant_id
	 WHERE cur.user_id = app_user_id() AND cur.rotated_at IS NULL AND cur.revoked_at IS NULL
	   AND cur.expires_at > now()
	 ORDER BY cur.issued_at DESC, cur.family_id
	 LIMIT 200
$$;

-- Ends one of the signed-in user's sessions: every refresh token of the family is revoked
-- and the revocation audited. Returns the family's tenant, or no row when the family is not
-- the user's. A family revoked already gives its row again, so a request retried after the
-- access-token revocation failed completes it.
CREATE FUNCTION auth_session_revoke(p_family uuid, p_ip text, p_request_id text)
	RETURNS TABLE (tenant_id uuid)
	LANGUAGE plpgsql SECURITY DEFINER
	SET search_path = public, pg_temp
	AS $$
DECLARE
	me uuid := app_user_id();
BEGIN
	IF me IS NULL THEN
		RAISE EXCEPTION 'no user in context' USING ERRCODE = 'MH401';
	END IF;
	SELECT rt.tenant_id INTO tenant_id FROM refresh_tokens rt
	 WHERE rt.family_id = p_family AND rt.user_id = me
	 ORDER BY rt.issued_at DESC LIMIT 1;
	IF tenant_id IS NULL THEN
		RETURN;
	END IF;
	UPDATE refresh_tokens rt SET revoked_at = now()
	 WHERE rt.family_id = p_family AND rt.revoked_at IS NULL;
	PERFORM auth_audit(tenant_id, me, 'session_revoked', p_family::text, p_ip, p_request_id);
	RETURN NEXT;
END
$$;

-- ---- API keys -------------------------------------------------------------------------------

-- A key belongs to a tenant and acts for the member who created it, with its own role, which
-- is never above that member's current one: a key dies with its creator's membership. The
-- secret is shown once; only its SHA-256 is kept (a 256-bit random secret needs no slow
-- KDF: nothing can be guessed). The application picks the id, because the secret carries
-- it (and the tenant) so that a request names its key before any round trip.
CREATE TABLE api_keys (
	id uuid PRIMARY KEY,
	tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
	created_by uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	name text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
	role text NOT NULL CHECK (role IN ('owner', 'admin', 'member', 'viewer')),
	key_hash bytea NOT NULL UNIQUE CHECK (length(key_hash) = 32),
	last_four text NOT NULL CHECK (length(last_four) = 4),
	expires_at timestamptz,
	last_used_at timestamptz,
	revoked_at timestamptz,
	revoked_by uuid REFERENCES users (id) ON DELETE SET NULL,
	created_at timestamptz NOT NULL DEFAULT now(),
	updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX api_keys_tenant_created ON api_keys (tenant_id, created_at DESC, id DESC);
CREATE INDEX api_keys_created_by ON api_keys (created_by);
CREATE INDEX api_keys_revoked_by ON api_keys (revoked_by);
CREATE TRIGGER api_keys_touch BEFORE UPDATE ON api_keys
	FOR EACH ROW EXECUTE FUNCTION touch_updated_at();

ALTER TABLE api_keys ENABLE ROW LEVEL SECURITY;
ALTER TABLE api_keys FORCE ROW LEVEL SECURITY;
CREATE POLICY api_keys_tenant ON api_keys
	USING (tenant_id = (SELECT app_tenant_id()))
	WITH CHECK (tenant_id = (SELECT app_tenant_id()));
-- Never the hash: the application writes it once and never reads it back.
GRANT SELECT (id, tenant_id, created_by, name, role, last_four, expires_at, last_used_at,
              revoked_at, revoked_by, created_at, updated_at) ON api_keys TO menhir_app;
GRANT INSERT ON api_keys TO menhir_app;
GRANT UPDATE (revoked_at, revoked_by) ON api_keys TO menhir_app;
GRANT SELECT, UPDATE (last_used_at) ON api_keys TO menhir_auth;

-- Creating a key, under RLS in the creator's context: admin+ (the route says so too), and
-- the key's role no higher than the creator's current one (SQLSTATE MHROL), expiring in the
-- future (MH422).
CREATE FUNCTION api_keys_create(p_id uuid, p_name text, p_role text, p_hash bytea,
                                p_last_four text, p_expires_at timestamptz, p_ip text,
                                p_request_id text)
	RETURNS TABLE (id uuid, name text, role text, last_four text, expires_at timestamptz,
	               created_at timestamptz)
	LANGUAGE plpgsql
	SET search_path = public, pg_temp
	AS $$
BEGIN
	IF app_role_rank(app_role()) < app_role_rank('admin') THEN
		RAISE EXCEPTION 'admin role required' USING ERRCODE = 'MH403';
	END IF;
	IF app_role_rank(p_role) > app_role_rank(app_role()) THEN
		RAISE EXCEPTION 'a key cannot have a role above its creator''s' USING ERRCODE = 'MHROL';
	END IF;
	IF p_expires_at IS NOT NULL AND p_expires_at <= now() THEN
		RAISE EXCEPTION 'expires_at is in the past' USING ERRCODE = 'MH422';
	END IF;
	INSERT INTO api_keys (id, tenant_id, created_by, name, role, key_hash, last_four,
	                      expires_at)
	VALUES (p_id, app_tenant_id(), app_user_id(), p_name, p_role, p_hash, p_last_four,
	        p_expires_at);
	INSERT INTO audit_log (tenant_id, actor_id, action, target, ip, request_id)
	VALUES (app_tenant_id(), app_user_id(), 'api_key_created', p_id::text || ' ' || p_role,
	        nullif(p_ip, '')::inet, p_request_id);
	RETURN QUERY SELECT k.id, k.name, k.role, k.last_four, k.expires_at, k.created_at
	  FROM api_keys k WHERE k.id = p_id;
END
$$;

-- Revoking one: no row when the tenant has no such key; a key revoked already is answered
-- again (idempotent, so a retry after a failed access revocation completes).
CREATE FUNCTION api_keys_revoke(p_id uuid, p_ip text, p_request_id text)
	RETURNS TABLE (id uuid)
	LANGUAGE plpgsql
	SET search_path = public, pg_temp
	AS $$
BEGIN
	UPDATE api_keys k SET revoked_at = now(), revoked_by = app_user_id()
	 WHERE k.id = p_id AND k.revoked_at IS NULL;
	IF FOUND THEN
		INSERT INTO audit_log (tenant_id, actor_id, action, target, ip, request_id)
		VALUES (app_tenant_id(), app_user_id(), 'api_key_revoked', p_id::text,
		        nullif(p_ip, '')::inet, p_request_id);
	END IF;
	RETURN QUERY SELECT k.id FROM api_keys k WHERE k.id = p_id;
END
$$;

REVOKE ALL ON FUNCTION
	api_keys_create(uuid, text, text, bytea, text, timestamptz, text, text),
	api_keys_revoke(uuid, text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION
	api_keys_create(uuid, text, text, bytea, text, timestamptz, text, text),
	api_keys_revoke(uuid, text, text) TO menhir_app;

-- A request's context for an API key: app_enter's counterpart, in the same first statement
-- of the request's transaction, so a key costs no extra round trip. It finds the key by
-- the id and tenant its secret names and checks the secret's hash; then the key must be
-- neither revoked (SQLSTATE MHKRV, which the caller audits) nor expired, and its creator
-- still an enabled member. The context is the creator's, with the lower of the key's role
-- and the creator's current one; app.api_key_id names the key.
CREATE FUNCTION app_enter_key(p_tenant text, p_key text, p_hash bytea, p_min_role text)
	RETURNS text
	LANGUAGE plpgsql SECURITY DEFINER
	SET search_path = public, pg_temp
	AS $$
DECLARE
	k api_keys%ROWTYPE;
	member_role text;
	r text;
BEGIN
	PERFORM set_config('app.tenant_id', '', true);
	PERFORM set_config('app.user_id', '', true);
	PERFORM set_config('app.role', '', true);
	PERFORM set_config('app.api_key_id', '', true);
	SELECT * INTO k FROM api_keys ak
	 WHERE ak.id = p_key::uuid AND ak.tenant_id = p_tenant::uuid;
	IF NOT FOUND OR k.key_hash IS DISTINCT FROM p_hash THEN
		RAISE EXCEPTION 'unknown api key' USING ERRCODE = 'MH401';
	END IF;
	IF k.revoked_at IS NOT NULL THEN
		RAISE EXCEPTION 'revoked api key' USING ERRCODE = 'MHKRV';
	END IF;
	IF k.expires_at IS NOT NULL AND k.expires_at <= now() THEN
		RAISE EXCEPTION 'expired api key' USING ERRCODE = 'MH401';
	END IF;
	SELECT m.role INTO member_role
	  FROM memberships m JOIN users u ON u.id = m.user_id
	 WHERE m.tenant_id = k.tenant_id AND m.user_id = k.created_by AND u.disabled_at IS NULL;
	IF member_role IS NULL THEN
		RAISE EXCEPTION 'api key creator is no longer a member' USING ERRCODE = 'MH401';
	END IF;
	r := CASE WHEN app_role_rank(member_role) < app_role_rank(k.role) THEN member_role
	          ELSE k.role END;
	IF app_role_rank(r) < app_role_rank(coalesce(nullif(p_min_role, ''), 'viewer')) THEN
		RAISE EXCEPTION 'role % is below %', r, p_min_role USING ERRCODE = 'MH403';
	END IF;
	PERFORM set_config('app.tenant_id', k.tenant_id::text, true);
	PERFORM set_config('app.user_id', k.created_by::text, true);
	PERFORM set_config('app.role', r, true);
	PERFORM set_config('app.api_key_id', k.id::text, true);
	RETURN r;
END
$$;

-- A revoked key was presented: audited in its tenant, at most once a minute per key, so a
-- client that keeps retrying cannot flood the log. Workers refusing the same key at the same
-- moment take turns (a transaction-level advisory lock on the key), so "at most once" holds.
CREATE FUNCTION app_key_refused(p_tenant uuid, p_key uuid, p_ip text, p_request_id text)
	RETURNS void
	LANGUAGE plpgsql SECURITY DEFINER
	SET search_path = public, pg_temp
	AS $$
BEGIN
	IF NOT EXISTS (SELECT 1 FROM api_keys k WHERE k.id = p_key AND k.tenant_id = p_tenant
	               AND k.revoked_at IS NOT NULL) THEN
		RETURN;
	END IF;
	PERFORM pg_advisory_xact_lock(hashtextextended('api_key_refused ' || p_key::text, 0));
	IF EXISTS (SELECT 1 FROM audit_log a
	            WHERE a.tenant_id = p_tenant AND a.created_at > now() - interval '1 minute'
	              AND a.action = 'api_key_used_after_revocation' AND a.target = p_key::text) THEN
		RETURN;
	END IF;
	INSERT INTO audit_log (tenant_id, actor_id, action, target, ip, request_id)
	VALUES (p_tenant, NULL, 'api_key_used_after_revocation', p_key::text,
	        nullif(p_ip, '')::inet, p_request_id);
END
$$;

-- Last use, batched: each worker remembers when it saw each key and writes them together
-- at most every api_key_touch_interval seconds, never once per request. Times only move
-- forward.
CREATE FUNCTION app_keys_touch(p_keys uuid[], p_times bigint[]) RETURNS void
	LANGUAGE sql SECURITY DEFINER
	SET search_path = public, pg_temp
	AS $$
	UPDATE api_keys k SET last_used_at = to_timestamp(u.t)
	  FROM unnest(p_keys, p_times) AS u (id, t)
	 WHERE k.id = u.id AND (k.last_used_at IS NULL OR k.last_used_at < to_timestamp(u.t))
$$;

GRANT SELECT ON audit_log TO menhir_auth;

DO $$
DECLARE
	f text;
BEGIN
	FOREACH f IN ARRAY ARRAY[
		'auth_sessions_list()',
		'auth_session_revoke(uuid,text,text)',
		'app_enter_key(text,text,bytea,text)',
		'app_key_refused(uuid,uuid,text,text)',
		'app_keys_touch(uuid[],bigint[])']
	LOOP
		EXECUTE format('ALTER FUNCTION %s OWNER TO menhir_auth', f);
		EXECUTE format('REVOKE ALL ON FUNCTION %s FROM PUBLIC', f);
		EXECUTE format('GRANT EXECUTE ON FUNCTION %s TO menhir_app', f);
	END LOOP;
END
$$;
