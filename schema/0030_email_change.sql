-- 0030_email_change.sql - changing one's e-mail address (issue 13): the signed-in user asks,
-- with their current password, for a new address; a single-use link goes to the new address
-- and a notice (no secret) to the old one; the address changes only when the link comes
-- back, and then every session of the user ends.
--
-- As in 0009, the link's token is 256 random bits that only the mail carries; the table keeps
-- its SHA-256. Everything runs in SECURITY DEFINER functions owned by menhir_auth: menhir_app
-- can neither read this table nor write users.email.

CREATE TABLE email_changes (
	id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	token_hash bytea NOT NULL UNIQUE CHECK (length(token_hash) = 32),
	user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	-- The address the request was made from: a change confirmed after another one is stale.
	old_email text NOT NULL,
	new_email text NOT NULL CHECK (new_email = lower(new_email) AND length(new_email) BETWEEN 3 AND 254),
	-- SHA-256 of the password hash the request was made under. A password change or reset
	-- since (a new salt, so a new hash) makes the request stale: whoever stole the session
	-- and the password loses the pending change the moment the owner changes the password.
	password_mark bytea NOT NULL CHECK (length(password_mark) = 32),
	expires_at timestamptz NOT NULL,
	used_at timestamptz,
	-- Set when a newer request, or a confirmed change, replaces this one.
	voided_at timestamptz,
	created_at timestamptz NOT NULL DEFAULT now(),
	updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX email_changes_user ON email_changes (user_id);
CREATE INDEX email_changes_expires ON email_changes (expires_at);
CREATE TRIGGER email_changes_touch BEFORE UPDATE ON email_changes
	FOR EACH ROW EXECUTE FUNCTION touch_updated_at();
-- No policy: menhir_app sees no row; the definer functions below are the only way in.
ALTER TABLE email_changes ENABLE ROW LEVEL SECURITY;
ALTER TABLE email_changes FORCE ROW LEVEL SECURITY;
GRANT SELECT, INSERT, UPDATE, DELETE ON email_changes TO menhir_auth;

CREATE FUNCTION auth_password_mark(p_hash text) RETURNS bytea
	LANGUAGE sql IMMUTABLE
	SET search_path = public, pg_temp
	AS $$ SELECT sha256(convert_to(coalesce(p_hash, ''), 'UTF8')) $$;
ALTER FUNCTION auth_password_mark(text) OWNER TO menhir_auth;
REVOKE ALL ON FUNCTION auth_password_mark(text) FROM PUBLIC;

-- The first round trip of a request: the context's user, locked until the transaction ends
-- (so the password checked is the one the request is recorded under), with what the check
-- needs. No row for a disabled or deleted user.
CREATE FUNCTION auth_email_change_lock()
	RETURNS TABLE (password_hash text, email text)
	LANGUAGE sql SECURITY DEFINER
	SET search_path = public, pg_temp
	AS $$
	SELECT u.password_hash, u.email FROM users u
	 WHERE u.id = app_user_id() AND u.disabled_at IS NULL
	   FOR UPDATE
$$;

-- The request, once the password is checked: voids the user's pending requests, records this
-- one, and queues two mails. To the new address: the link, or, when that address already has
-- an account, a notice that says so and carries no link (the row is recorded all the same,
-- with a token nobody has). To the old address: a notice naming the new one, without any
-- secret. The same statements run either way, so neither the answer nor its time says
-- whether the new address is registered. Returns 'queued', or 'same' for the current address.
CREATE FUNCTION auth_email_change_request(p_email text, p_hash bytea, p_ttl_seconds int,
                                          p_link text, p_ip text, p_request_id text)
	RETURNS text
	LANGUAGE plpgsql SECURITY DEFINER
	SET search_path = public, pg_temp
	AS $$
DECLARE
	u users%ROWTYPE;
	addr text := lower(p_email);
	taken boolean;
BEGIN
	SELECT * INTO u FROM users x WHERE x.id = app_user_id() AND x.disabled_at IS NULL;
	IF NOT FOUND THEN
		RAISE EXCEPTION 'no user in context' USING ERRCODE = 'MH401';
	END IF;
	IF addr = u.email THEN
		RETURN 'same';
	END IF;
	UPDATE email_changes c SET voided_at = now()
	 WHERE c.user_id = u.id AND c.used_at IS NULL AND c.voided_at IS NULL;
	INSERT INTO email_changes (token_hash, user_id, old_email, new_email, password_mark,
	                           expires_at)
	VALUES (p_hash, u.id, u.email, addr, auth_password_mark(u.password_hash),
	        now() + make_interval(secs => p_ttl_seconds));
	taken := EXISTS (SELECT 1 FROM users x WHERE x.email = addr);
	PERFORM mail_enqueue(addr, CASE WHEN taken THEN 'email_taken' ELSE 'email_change' END,
	                     CASE WHEN taken THEN '{}'::jsonb
	                          ELSE jsonb_build_object('link', p_link) END, 5);
	PERFORM mail_enqueue(u.email, 'email_change_notice',
	                     jsonb_build_object('new_email', addr), 5);
	PERFORM auth_audit(m.tenant_id, u.id, 'email_change_requested', u.id::text, p_ip,
	                   p_request_id)
	   FROM memberships m WHERE m.user_id = u.id;
	RETURN 'queued';
END
$$;

-- The confirmation, by the token the new address received. Outcomes:
--   invalid  unknown, expired or used;
--   stale    replaced by a newer request, or the password or the address changed since, or
--            the account is disabled;
--   taken    the new address has an account by now (another account confirmed it first:
--            the unique index decides a race, and its violation is this answer, never an
--            error);
--   changed  the address is the new one, verified; the token version is bumped and every
--            refresh token revoked (the caller raises the revocation floor in Redis before
--            committing); the user's other pending changes, reset and verification tokens
--            are void (they went to, or were asked from, the old address). When p_user is the
--            account (the confirming request carried its access token) and still a member of
--            p_tenant, a new session starts there: tenant_id and role say so.
CREATE FUNCTION auth_email_change_confirm(p_hash bytea, p_user uuid, p_tenant uuid,
                                          p_refresh_hash bytea, p_family uuid,
                                          p_ttl_seconds int, p_ip text, p_request_id text)
	RETURNS TABLE (outcome text, user_id uuid, token_version int, tenant_id uuid, role text)
	LANGUAGE plpgsql SECURITY DEFINER
	SET search_path = public, pg_temp
	AS $$
#variable_conflict use_column
DECLARE
	c email_changes%ROWTYPE;
	u users%ROWTYPE;
BEGIN
	SELECT * INTO c FROM email_changes x WHERE x.token_hash = p_hash FOR UPDATE;
	IF NOT FOUND OR c.used_at IS NOT NULL OR c.expires_at <= now() THEN
		outcome := 'invalid'; RETURN NEXT; RETURN;
	END IF;
	SELECT * INTO u FROM users x WHERE x.id = c.user_id FOR UPDATE;
	IF c.voided_at IS NOT NULL OR u.disabled_at IS NOT NULL OR u.email <> c.old_email
	   OR auth_password_mark(u.password_hash) <> c.password_mark THEN
		outcome := 'stale'; RETURN NEXT; RETURN;
	END IF;
	IF EXISTS (SELECT 1 FROM users x WHERE x.email = c.new_email) THEN
		outcome := 'taken'; RETURN NEXT; RETURN;
	END IF;
	BEGIN
		UPDATE users x SET email = c.new_email, email_verified_at = now(),
		       token_version = x.token_version + 1
		 WHERE x.id = u.id
		RETURNING x.token_version INTO token_version;
	EXCEPTION WHEN unique_violation THEN
		-- Another transaction took the address between the check and the update.
		outcome := 'taken'; token_version := NULL; RETURN NEXT; RETURN;
	END;
	user_id := u.id;
	UPDATE email_changes x SET used_at = now() WHERE x.id = c.id;
	UPDATE email_changes x SET voided_at = now()
	 WHERE x.user_id = u.id AND x.used_at IS NULL AND x.voided_at IS NULL;
	UPDATE password_resets x SET used_at = now() WHERE x.user_id = u.id AND x.used_at IS NULL;
	UPDATE email_verifications x SET used_at = now()
	 WHERE x.user_id = u.id AND x.used_at IS NULL;
	UPDATE refresh_tokens rt SET revoked_at = now()
	 WHERE rt.user_id = u.id AND rt.revoked_at IS NULL;
	PERFORM auth_audit(m.tenant_id, u.id, 'email_changed', u.id::text, p_ip, p_request_id)
	   FROM memberships m WHERE m.user_id = u.id;
	IF p_user = u.id AND p_tenant IS NOT NULL THEN
		SELECT m.role INTO role FROM memberships m
		 WHERE m.tenant_id = p_tenant AND m.user_id = u.id;
		IF FOUND THEN
			PERFORM auth_refresh_issue(p_refresh_hash, p_family, u.id, p_tenant,
			                           p_ttl_seconds);
			tenant_id := p_tenant;
		END IF;
	END IF;
	outcome := 'changed';
	RETURN NEXT;
END
$$;

-- Requests a day past their expiry go with the periodic auth.cleanup (one more count in its
-- result: the return type changes, so the function is made again).
DROP FUNCTION accounts_cleanup(interval);
CREATE FUNCTION accounts_cleanup(p_keep interval)
	RETURNS TABLE (password_resets bigint, email_verifications bigint, email_changes bigint,
	               invitations bigint)
	LANGUAGE sql SECURITY DEFINER
	SET search_path = public, pg_temp
	AS $$
	WITH r AS (DELETE FROM password_resets x WHERE x.expires_at < now() - interval '1 day'
	           RETURNING 1),
	     v AS (DELETE FROM email_verifications x WHERE x.expires_at < now() - interval '1 day'
	           RETURNING 1),
	     c AS (DELETE FROM email_changes x WHERE x.expires_at < now() - interval '1 day'
	           RETURNING 1),
	     i AS (DELETE FROM invitations x
	            WHERE coalesce(x.accepted_at, x.revoked_at, x.expires_at) < now() - p_keep
	           RETURNING 1)
	SELECT (SELECT count(*) FROM r), (SELECT count(*) FROM v), (SELECT count(*) FROM c),
	       (SELECT count(*) FROM i)
$$;

DO $$
DECLARE
	f text;
BEGIN
	FOREACH f IN ARRAY ARRAY[
		'accounts_cleanup(interval)',
		'auth_email_change_lock()',
		'auth_email_change_request(text,bytea,int,text,text,text)',
		'auth_email_change_confirm(bytea,uuid,uuid,bytea,uuid,int,text,text)']
	LOOP
		EXECUTE format('ALTER FUNCTION %s OWNER TO menhir_auth', f);
		EXECUTE format('REVOKE ALL ON FUNCTION %s FROM PUBLIC', f);
		EXECUTE format('GRANT EXECUTE ON FUNCTION %s TO menhir_app', f);
	END LOOP;
END
$$;
