-- 0014_revocation_fallback.sql - what PostgreSQL answers about an access token when the
-- shared-memory revocation table cannot vouch for it (Redis unreachable: core/revocation.c),
-- so the API keeps serving with every revocation still enforced (README "Redis outage").
--
-- The records Redis keeps have their truth here: a revoked session is a refresh family with
-- revoked_at (logout, reuse of a rotated token, logout everywhere), and a user's minimum
-- token version is users.token_version (logout everywhere, password change). Revoking a
-- single token id (mh_revocation_revoke_token) has no record here; nothing calls it.

-- Raises MH401 (401) when the token is revoked. Called by the request's own transaction
-- (core/db.c: mh_token_check, right after the context) only while the table cannot vouch:
-- two index probes in a round trip that happens anyway.
CREATE FUNCTION app_token_check(p_user text, p_sid text, p_version bigint) RETURNS void
	LANGUAGE plpgsql STABLE SECURITY DEFINER
	SET search_path = public, pg_temp
	AS $$
BEGIN
	IF EXISTS (SELECT 1 FROM users u
	            WHERE u.id = p_user::uuid AND u.token_version > p_version)
	   OR EXISTS (SELECT 1 FROM refresh_tokens rt
	               WHERE rt.family_id = nullif(p_sid, '')::uuid AND rt.revoked_at IS NOT NULL) THEN
		RAISE EXCEPTION 'access token revoked' USING ERRCODE = 'MH401';
	END IF;
END
$$;

-- Logging out with the access token alone revoked its session in Redis only: the family's
-- refresh token stayed usable, and the database could not tell the session was over. The
-- logout now ends the family here too (its user's only: the token named both).
CREATE FUNCTION auth_session_end(p_family uuid, p_user uuid) RETURNS void
	LANGUAGE sql SECURITY DEFINER
	SET search_path = public, pg_temp
	AS $$
	UPDATE refresh_tokens SET revoked_at = coalesce(revoked_at, now())
	 WHERE family_id = p_family AND user_id = p_user;
$$;

DO $$
DECLARE
	f text;
BEGIN
	FOREACH f IN ARRAY ARRAY['app_token_check(text,text,bigint)', 'auth_session_end(uuid,uuid)']
	LOOP
		EXECUTE format('ALTER FUNCTION %s OWNER TO menhir_auth', f);
		EXECUTE format('REVOKE ALL ON FUNCTION %s FROM PUBLIC', f);
		EXECUTE format('GRANT EXECUTE ON FUNCTION %s TO menhir_app', f);
	END LOOP;
END
$$;
