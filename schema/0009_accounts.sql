-- 0009_accounts.sql - outbound e-mail, invitations with consent, password reset, e-mail
-- verification, and a login that remembers the tenant the user chose (issue 13).
--
-- Every token here (invitation, reset, verification) is 256 random bits that only the mail
-- carries; the database keeps its SHA-256. E-mail is a system job (no tenant: no tenant's
-- member can list it, and a request before any login can queue one) inserted by mail_enqueue
-- in the transaction of the change that causes it.

-- ---- Users: a verified address, the tenant last chosen -----------------------------------

ALTER TABLE users
	ADD COLUMN email_verified_at timestamptz,
	ADD COLUMN last_tenant_id uuid REFERENCES tenants (id) ON DELETE SET NULL;
GRANT SELECT (email_verified_at) ON users TO menhir_app;

-- The tenant a login without one lands in: the one the user last CHOSE (a login naming a
-- tenant, a switch), while they are still its member; otherwise their oldest membership,
-- never the most recent one, which another tenant's admin could have just created.
CREATE OR REPLACE FUNCTION auth_login_tenant(p_user uuid, p_tenant text, p_fallback boolean)
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
	  FROM users x JOIN memberships m ON m.user_id = x.id AND m.tenant_id = x.last_tenant_id
	 WHERE x.id = u;
	IF FOUND THEN
		RETURN NEXT;
		RETURN;
	END IF;
	SELECT m.tenant_id, m.role INTO tenant_id, role
	  FROM memberships m WHERE m.user_id = u
	 ORDER BY m.created_at, m.tenant_id
	 LIMIT 1;
	IF FOUND THEN
		RETURN NEXT;
	END IF;
END
$$;

-- A login or a switch names its tenant: that is the user's choice, remembered.
CREATE FUNCTION auth_remember_tenant() RETURNS trigger
	LANGUAGE plpgsql SECURITY DEFINER
	SET search_path = public, pg_temp
	AS $$
BEGIN
	IF NEW.action IN ('switch_tenant', 'login_chosen') AND NEW.actor_id IS NOT NULL THEN
		UPDATE users SET last_tenant_id = NEW.tenant_id
		 WHERE id = NEW.actor_id AND last_tenant_id IS DISTINCT FROM NEW.tenant_id;
	END IF;
	RETURN NULL;
END
$$;
ALTER FUNCTION auth_remember_tenant() OWNER TO menhir_auth;
CREATE TRIGGER audit_log_remember_tenant AFTER INSERT ON audit_log
	FOR EACH ROW WHEN (NEW.action IN ('switch_tenant', 'login_chosen'))
	EXECUTE FUNCTION auth_remember_tenant();

-- A login that named a tenant records that choice (the audit row above does the rest).
CREATE OR REPLACE FUNCTION auth_login_session(p_user uuid, p_tenant text, p_refresh_hash bytea,
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
	PERFORM auth_audit(tenant_id, p_user,
	                   CASE WHEN coalesce(p_tenant, '') <> '' THEN 'login_chosen' ELSE 'login' END,
	                   p_user::text, p_ip, p_request_id);
	RETURN NEXT;
END
$$;

-- ---- The old add-member path goes ----------------------------------------------------------
-- It created a user with no usable password for an unknown address (who could then neither
-- sign up nor log in) and added an existing user to a tenant without their consent.
DROP FUNCTION members_add(text, text, text, text);
DROP FUNCTION auth_user_for_invite(text);

-- ---- Outbound e-mail ------------------------------------------------------------------------

-- Queues one message: a system job of kind mail.send (src/modules/mail) whose payload names
-- the recipient, the template and its variables. Called inside the transaction that causes
-- the mail, by the definer functions below and by menhir_app.
CREATE FUNCTION mail_enqueue(p_to text, p_template text, p_vars jsonb, p_max_attempts int)
	RETURNS uuid
	LANGUAGE plpgsql SECURITY DEFINER
	SET search_path = public, pg_temp
	AS $$
DECLARE
	id_ uuid;
BEGIN
	IF p_template !~ '^[a-z][a-z0-9_]{0,39}$' THEN
		RAISE EXCEPTION 'bad template name' USING ERRCODE = 'MH422';
	END IF;
	INSERT INTO jobs (tenant_id, kind, payload, max_attempts)
	VALUES (NULL, 'mail.send',
	        jsonb_build_object('to', lower(p_to), 'template', p_template,
	                           'vars', coalesce(p_vars, '{}'::jsonb)),
	        greatest(1, least(coalesce(p_max_attempts, 5), 100)))
	RETURNING id INTO id_;
	RETURN id_;
END
$$;

-- Every delivery attempt, whatever its outcome (operators read it; menhir_app only writes
-- through mail_attempt_record).
CREATE TABLE mail_attempts (
	id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	job_id uuid NOT NULL,
	attempt int NOT NULL CHECK (attempt >= 1),
	template text NOT NULL,
	outcome text NOT NULL CHECK (outcome IN ('sent', 'retry', 'failed')),
	smtp_code int,
	error text CHECK (length(error) <= 2000),
	duration_ms bigint,
	created_at timestamptz NOT NULL DEFAULT now(),
	updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX mail_attempts_job ON mail_attempts (job_id, attempt);
CREATE INDEX mail_attempts_created ON mail_attempts (created_at);
ALTER TABLE mail_attempts ENABLE ROW LEVEL SECURITY;
ALTER TABLE mail_attempts FORCE ROW LEVEL SECURITY;

CREATE FUNCTION mail_attempt_record(p_job uuid, p_attempt int, p_template text, p_outcome text,
                                    p_smtp_code int, p_error text, p_duration_ms bigint)
	RETURNS void
	LANGUAGE sql SECURITY DEFINER
	SET search_path = public, pg_temp
	AS $$
	INSERT INTO mail_attempts (job_id, attempt, template, outcome, smtp_code, error, duration_ms)
	VALUES (p_job, p_attempt, p_template, p_outcome, p_smtp_code, left(p_error, 2000),
	        p_duration_ms)
$$;

-- A message that was sent (or will never be) no longer needs its variables: they hold the
-- link, and so a usable token, which must not outlive the delivery in the jobs table.
CREATE FUNCTION mail_scrub(p_job uuid) RETURNS void
	LANGUAGE sql SECURITY DEFINER
	SET search_path = public, pg_temp
	AS $$
	UPDATE jobs SET payload = payload - 'vars' || '{"vars": "scrubbed"}'::jsonb
	 WHERE id = p_job AND tenant_id IS NULL AND kind = 'mail.send'
$$;

-- ---- Password reset -------------------------------------------------------------------------

CREATE TABLE password_resets (
	id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	token_hash bytea NOT NULL UNIQUE CHECK (length(token_hash) = 32),
	user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	expires_at timestamptz NOT NULL,
	used_at timestamptz,
	created_at timestamptz NOT NULL DEFAULT now(),
	updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX password_resets_user ON password_resets (user_id);
CREATE INDEX password_resets_expires ON password_resets (expires_at);
CREATE TRIGGER password_resets_touch BEFORE UPDATE ON password_resets
	FOR EACH ROW EXECUTE FUNCTION touch_updated_at();
ALTER TABLE password_resets ENABLE ROW LEVEL SECURITY;
ALTER TABLE password_resets FORCE ROW LEVEL SECURITY;

-- The request: whoever asks, the same single INSERT (a system job that looks the address up
-- later), so neither the answer nor its time says whether the address has an account.
CREATE FUNCTION auth_forgot_queue(p_email text) RETURNS void
	LANGUAGE sql SECURITY DEFINER
	SET search_path = public, pg_temp
	AS $$
	INSERT INTO jobs (tenant_id, kind, payload, max_attempts)
	VALUES (NULL, 'auth.password_reset', jsonb_build_object('email', lower(p_email)), 3)
$$;

-- The job: a token for the account of p_email (active, with a usable credential or not: a
-- reset is how an account without one gets one) and its mail, or nothing at all.
CREATE FUNCTION auth_reset_issue(p_email text, p_hash bytea, p_ttl_seconds int, p_vars jsonb)
	RETURNS boolean
	LANGUAGE plpgsql SECURITY DEFINER
	SET search_path = public, pg_temp
	AS $$
DECLARE
	u users%ROWTYPE;
BEGIN
	SELECT * INTO u FROM users WHERE email = lower(p_email) AND disabled_at IS NULL;
	IF NOT FOUND THEN
		RETURN false;
	END IF;
	INSERT INTO password_resets (token_hash, user_id, expires_at)
	VALUES (p_hash, u.id, now() + make_interval(secs => p_ttl_seconds));
	PERFORM mail_enqueue(u.email, 'password_reset',
	                     p_vars || jsonb_build_object('name', u.name), 5);
	RETURN true;
END
$$;

-- The reset: single use, before expiry. Sets the password, marks the address verified (the
-- mail reached it), bumps the token version and revokes every refresh token (the caller
-- raises the revocation floor in Redis), voids the user's other reset tokens, and audits in
-- every tenant of the user. No row for an unusable token.
CREATE FUNCTION auth_password_reset(p_hash bytea, p_password_hash text, p_ip text,
                                    p_request_id text)
	RETURNS TABLE (user_id uuid, email text, token_version int)
	LANGUAGE plpgsql SECURITY DEFINER
	SET search_path = public, pg_temp
	AS $$
DECLARE
	r password_resets%ROWTYPE;
BEGIN
	SELECT * INTO r FROM password_resets pr WHERE pr.token_hash = p_hash FOR UPDATE;
	IF NOT FOUND OR r.used_at IS NOT NULL OR r.expires_at <= now() THEN
		RETURN;
	END IF;
	UPDATE password_resets pr SET used_at = now()
	 WHERE pr.user_id = r.user_id AND pr.used_at IS NULL;
	UPDATE users u SET password_hash = p_password_hash, token_version = u.token_version + 1,
	       email_verified_at = coalesce(u.email_verified_at, now())
	 WHERE u.id = r.user_id AND u.disabled_at IS NULL
	RETURNING u.id, u.email, u.token_version INTO user_id, email, token_version;
	IF user_id IS NULL THEN
		RETURN;
	END IF;
	UPDATE refresh_tokens rt SET revoked_at = now()
	 WHERE rt.user_id = r.user_id AND rt.revoked_at IS NULL;
	PERFORM auth_audit(m.tenant_id, r.user_id, 'password_reset', r.user_id::text, p_ip,
	                   p_request_id)
	   FROM memberships m WHERE m.user_id = r.user_id;
	RETURN NEXT;
END
$$;

-- ---- E-mail verification -------------------------------------------------------------------

CREATE TABLE email_verifications (
	id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	token_hash bytea NOT NULL UNIQUE CHECK (length(token_hash) = 32),
	user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	-- The address the mail went to: a token proves only that one.
	email text NOT NULL,
	expires_at timestamptz NOT NULL,
	used_at timestamptz,
	created_at timestamptz NOT NULL DEFAULT now(),
	updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX email_verifications_user ON email_verifications (user_id);
CREATE INDEX email_verifications_expires ON email_verifications (expires_at);
CREATE TRIGGER email_verifications_touch BEFORE UPDATE ON email_verifications
	FOR EACH ROW EXECUTE FUNCTION touch_updated_at();
ALTER TABLE email_verifications ENABLE ROW LEVEL SECURITY;
ALTER TABLE email_verifications FORCE ROW LEVEL SECURITY;

-- A verification mail for the user with address p_email (signup, in its transaction) or,
-- when p_email is NULL, for the context's user (resend). Returns 'queued', 'verified' (no
-- mail: nothing to do) or 'none' (no such user).
CREATE FUNCTION auth_verify_issue(p_email text, p_hash bytea, p_ttl_seconds int, p_vars jsonb)
	RETURNS text
	LANGUAGE plpgsql SECURITY DEFINER
	SET search_path = public, pg_temp
	AS $$
DECLARE
	u users%ROWTYPE;
BEGIN
	IF p_email IS NULL THEN
		SELECT * INTO u FROM users WHERE id = app_user_id();
	ELSE
		SELECT * INTO u FROM users WHERE email = lower(p_email);
	END IF;
	IF NOT FOUND THEN
		RETURN 'none';
	END IF;
	IF u.email_verified_at IS NOT NULL THEN
		RETURN 'verified';
	END IF;
	INSERT INTO email_verifications (token_hash, user_id, email, expires_at)
	VALUES (p_hash, u.id, u.email, now() + make_interval(secs => p_ttl_seconds));
	PERFORM mail_enqueue(u.email, 'verify_email', p_vars || jsonb_build_object('name', u.name), 5);
	RETURN 'queued';
END
$$;

-- Single use, before expiry, and only while the user's address is still the one it was sent
-- to. Returns the user, or no row.
CREATE FUNCTION auth_email_verify(p_hash bytea, p_ip text, p_request_id text)
	RETURNS TABLE (user_id uuid)
	LANGUAGE plpgsql SECURITY DEFINER
	SET search_path = public, pg_temp
	AS $$
DECLARE
	r email_verifications%ROWTYPE;
BEGIN
	SELECT * INTO r FROM email_verifications ev WHERE ev.token_hash = p_hash FOR UPDATE;
	IF NOT FOUND OR r.used_at IS NOT NULL OR r.expires_at <= now() THEN
		RETURN;
	END IF;
	UPDATE email_verifications ev SET used_at = now() WHERE ev.id = r.id;
	UPDATE users u SET email_verified_at = coalesce(u.email_verified_at, now())
	 WHERE u.id = r.user_id AND u.email = r.email
	RETURNING u.id INTO user_id;
	IF user_id IS NULL THEN
		RETURN;
	END IF;
	PERFORM auth_audit(m.tenant_id, r.user_id, 'email_verified', r.email, p_ip, p_request_id)
	   FROM memberships m WHERE m.user_id = r.user_id;
	RETURN NEXT;
END
$$;

-- Whether the context's user has verified their address (the policy check other modules
-- call before inviting or creating an API key).
CREATE FUNCTION auth_email_verified() RETURNS boolean
	LANGUAGE sql STABLE SECURITY DEFINER
	SET search_path = public, pg_temp
	AS $$ SELECT coalesce((SELECT email_verified_at IS NOT NULL FROM users
	                        WHERE id = app_user_id()), false) $$;

-- ---- Invitations ------------------------------------------------------------------------------

CREATE TABLE invitations (
	id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
	email text NOT NULL CHECK (email = lower(email) AND length(email) BETWEEN 3 AND 254),
	role text NOT NULL CHECK (role IN ('owner', 'admin', 'member', 'viewer')),
	token_hash bytea NOT NULL UNIQUE CHECK (length(token_hash) = 32),
	invited_by uuid REFERENCES users (id) ON DELETE SET NULL,
	expires_at timestamptz NOT NULL,
	accepted_at timestamptz,
	revoked_at timestamptz,
	created_at timestamptz NOT NULL DEFAULT now(),
	updated_at timestamptz NOT NULL DEFAULT now()
);
-- One pending invitation per tenant and address: inviting again replaces it.
CREATE UNIQUE INDEX invitations_pending ON invitations (tenant_id, email)
	WHERE accepted_at IS NULL AND revoked_at IS NULL;
CREATE INDEX invitations_tenant_created ON invitations (tenant_id, created_at DESC, id);
CREATE INDEX invitations_invited_by ON invitations (invited_by);
CREATE TRIGGER invitations_touch BEFORE UPDATE ON invitations
	FOR EACH ROW EXECUTE FUNCTION touch_updated_at();
ALTER TABLE invitations ENABLE ROW LEVEL SECURITY;
ALTER TABLE invitations FORCE ROW LEVEL SECURITY;
-- Admins of the tenant see and manage its invitations; the token hash is never granted.
CREATE POLICY invitations_admin ON invitations
	USING (tenant_id = (SELECT app_tenant_id()) AND app_role_rank((SELECT app_role())) >= 3)
	WITH CHECK (tenant_id = (SELECT app_tenant_id()) AND app_role_rank((SELECT app_role())) >= 3);
GRANT SELECT (id, tenant_id, email, role, invited_by, expires_at, accepted_at, revoked_at,
              created_at, updated_at) ON invitations TO menhir_app;
GRANT INSERT ON invitations TO menhir_app;
GRANT UPDATE (revoked_at) ON invitations TO menhir_app;
GRANT SELECT, UPDATE ON invitations TO menhir_auth;
GRANT SELECT, INSERT, UPDATE ON password_resets, email_verifications TO menhir_auth;
GRANT INSERT ON mail_attempts TO menhir_auth;
GRANT INSERT, UPDATE, SELECT ON jobs TO menhir_auth;
GRANT INSERT ON memberships TO menhir_auth;

-- Invites p_email (SECURITY INVOKER: runs as menhir_app under RLS, admin+ by the policy,
-- owner for an owner invitation), replacing a pending invitation to the same address, and
-- queues the mail in the same transaction. Nothing about the address is looked up: whether
-- it has an account, or belongs to another tenant, is not this tenant's business.
CREATE FUNCTION invitations_create(p_email text, p_role text, p_hash bytea, p_ttl_seconds int,
                                   p_link text, p_ip text, p_request_id text)
	RETURNS TABLE (id uuid, email text, role text, invited_by uuid, expires_at timestamptz,
	               created_at timestamptz)
	LANGUAGE plpgsql
	SET search_path = public, pg_temp
	AS $$
DECLARE
	new_id uuid;
	tname text;
	inviter text;
BEGIN
	IF app_role_rank(app_role()) < app_role_rank('admin') THEN
		RAISE EXCEPTION 'admin role required' USING ERRCODE = 'MH403';
	END IF;
	IF p_role = 'owner' AND app_role() IS DISTINCT FROM 'owner' THEN
		RAISE EXCEPTION 'only an owner can invite an owner' USING ERRCODE = 'MH403';
	END IF;
	UPDATE invitations x SET revoked_at = now()
	 WHERE x.tenant_id = app_tenant_id() AND x.email = lower(p_email)
	   AND x.accepted_at IS NULL AND x.revoked_at IS NULL;
	INSERT INTO invitations (tenant_id, email, role, token_hash, invited_by, expires_at)
	VALUES (app_tenant_id(), lower(p_email), p_role, p_hash, app_user_id(),
	        now() + make_interval(secs => p_ttl_seconds))
	RETURNING invitations.id INTO new_id;
	SELECT t.name INTO tname FROM tenants t WHERE t.id = app_tenant_id();
	SELECT coalesce(nullif(u.name, ''), u.email) INTO inviter FROM users u WHERE u.id = app_user_id();
	PERFORM mail_enqueue(lower(p_email), 'invitation',
	                     jsonb_build_object('tenant_name', tname, 'inviter', inviter,
	                                        'role', p_role, 'link', p_link), 5);
	INSERT INTO audit_log (tenant_id, actor_id, action, target, ip, request_id)
	VALUES (app_tenant_id(), app_user_id(), 'invitation_created', new_id::text || ' ' || p_role,
	        nullif(p_ip, '')::inet, p_request_id);
	RETURN QUERY SELECT x.id, x.email, x.role, x.invited_by, x.expires_at, x.created_at
	  FROM invitations x WHERE x.id = new_id;
END
$$;
REVOKE ALL ON FUNCTION invitations_create(text, text, bytea, int, text, text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION invitations_create(text, text, bytea, int, text, text, text)
	TO menhir_app;

-- Accepting, by the token the mail carried. Outcomes:
--   invalid   unknown, expired, revoked or already accepted (one answer for all);
--   login     the address has an account and the caller is not logged in as it: the user
--             must log in and accept (consent); nothing changes;
--   password  the address has no account and no password was given;
--   created   a new account with the given password (its address verified: the mail
--             reached it) and the membership; the first refresh token of a session;
--   joined    the logged-in user (p_user, whose address is the invitation's) is now a member;
--   member    they already were; the invitation is used up all the same.
-- p_user is the caller's user id from a verified access token, or NULL.
CREATE FUNCTION invitation_accept(p_hash bytea, p_user uuid, p_password_hash text, p_name text,
                                  p_refresh_hash bytea, p_family uuid, p_ttl_seconds int,
                                  p_ip text, p_request_id text)
	RETURNS TABLE (outcome text, user_id uuid, tenant_id uuid, role text, token_version int)
	LANGUAGE plpgsql SECURITY DEFINER
	SET search_path = public, pg_temp
	AS $$
#variable_conflict use_column
DECLARE
	i invitations%ROWTYPE;
	u users%ROWTYPE;
	uid uuid;
BEGIN
	SELECT * INTO i FROM invitations x WHERE x.token_hash = p_hash FOR UPDATE;
	IF NOT FOUND OR i.accepted_at IS NOT NULL OR i.revoked_at IS NOT NULL
	   OR i.expires_at <= now() THEN
		outcome := 'invalid'; RETURN NEXT; RETURN;
	END IF;
	tenant_id := i.tenant_id; role := i.role;
	SELECT * INTO u FROM users x WHERE x.email = i.email;
	IF FOUND THEN
		IF p_user IS DISTINCT FROM u.id OR u.disabled_at IS NOT NULL THEN
			outcome := 'login'; tenant_id := NULL; role := NULL; RETURN NEXT; RETURN;
		END IF;
		user_id := u.id; token_version := u.token_version;
		INSERT INTO memberships (tenant_id, user_id, role) VALUES (i.tenant_id, u.id, i.role)
		ON CONFLICT (tenant_id, user_id) DO NOTHING;
		outcome := CASE WHEN FOUND THEN 'joined' ELSE 'member' END;
		IF outcome = 'member' THEN
			SELECT m.role INTO role FROM memberships m
			 WHERE m.tenant_id = i.tenant_id AND m.user_id = u.id;
		END IF;
	ELSE
		IF p_user IS NOT NULL THEN
			-- Logged in as someone else: an invitation is for its address only.
			outcome := 'login'; tenant_id := NULL; role := NULL; RETURN NEXT; RETURN;
		END IF;
		IF coalesce(p_password_hash, '') !~ '^\$argon2' THEN
			outcome := 'password'; tenant_id := NULL; role := NULL; RETURN NEXT; RETURN;
		END IF;
		INSERT INTO users (email, password_hash, name, email_verified_at)
		VALUES (i.email, p_password_hash, coalesce(p_name, ''), now())
		RETURNING users.id, users.token_version INTO uid, token_version;
		user_id := uid;
		INSERT INTO memberships (tenant_id, user_id, role) VALUES (i.tenant_id, uid, i.role);
		PERFORM auth_refresh_issue(p_refresh_hash, p_family, uid, i.tenant_id, p_ttl_seconds);
		outcome := 'created';
	END IF;
	UPDATE invitations x SET accepted_at = now() WHERE x.id = i.id;
	PERFORM auth_audit(i.tenant_id, user_id, 'invitation_accepted',
	                   i.id::text || ' ' || user_id::text || ' ' || i.role, p_ip, p_request_id);
	RETURN NEXT;
END
$$;

-- ---- Cleanup (periodic system jobs: mail.cleanup, auth.cleanup) ----------------------------

-- Delivery attempts older than p_keep.
CREATE FUNCTION mail_cleanup(p_keep interval) RETURNS TABLE (mail_attempts bigint)
	LANGUAGE sql SECURITY DEFINER
	SET search_path = public, pg_temp
	AS $$
	WITH d AS (DELETE FROM mail_attempts a WHERE a.created_at < now() - p_keep RETURNING 1)
	SELECT count(*) FROM d
$$;

-- Reset and verification tokens a day past their expiry (used or not: they can do nothing
-- more), and invitations accepted, revoked or expired longer than p_keep ago (the list shows
-- them until then).
CREATE FUNCTION accounts_cleanup(p_keep interval)
	RETURNS TABLE (password_resets bigint, email_verifications bigint, invitations bigint)
	LANGUAGE sql SECURITY DEFINER
	SET search_path = public, pg_temp
	AS $$
	WITH r AS (DELETE FROM password_resets x WHERE x.expires_at < now() - interval '1 day'
	           RETURNING 1),
	     v AS (DELETE FROM email_verifications x WHERE x.expires_at < now() - interval '1 day'
	           RETURNING 1),
	     i AS (DELETE FROM invitations x
	            WHERE coalesce(x.accepted_at, x.revoked_at, x.expires_at) < now() - p_keep
	           RETURNING 1)
	SELECT (SELECT count(*) FROM r), (SELECT count(*) FROM v), (SELECT count(*) FROM i)
$$;
-- DELETE with a WHERE reads the rows too: SELECT as well.
GRANT SELECT, DELETE ON mail_attempts, password_resets, email_verifications, invitations
	TO menhir_auth;

DO $$
DECLARE
	f text;
BEGIN
	FOREACH f IN ARRAY ARRAY[
		'mail_cleanup(interval)',
		'accounts_cleanup(interval)',
		'mail_enqueue(text,text,jsonb,int)',
		'mail_attempt_record(uuid,int,text,text,int,text,bigint)',
		'mail_scrub(uuid)',
		'auth_forgot_queue(text)',
		'auth_reset_issue(text,bytea,int,jsonb)',
		'auth_password_reset(bytea,text,text,text)',
		'auth_verify_issue(text,bytea,int,jsonb)',
		'auth_email_verify(bytea,text,text)',
		'auth_email_verified()',
		'invitation_accept(bytea,uuid,text,text,bytea,uuid,int,text,text)']
	LOOP
		EXECUTE format('ALTER FUNCTION %s OWNER TO menhir_auth', f);
		EXECUTE format('REVOKE ALL ON FUNCTION %s FROM PUBLIC', f);
		EXECUTE format('GRANT EXECUTE ON FUNCTION %s TO menhir_app', f);
	END LOOP;
END
$$;
