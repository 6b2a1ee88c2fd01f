-- 0006_jobs.sql - the job queue, per-tenant features, webhook secrets and deliveries.
--
-- The queue is a table (DESIGN "Background jobs"): a job is inserted in the same transaction
-- as the change that causes it, so there is no dual write. Tenants see and change their own
-- jobs through RLS like any other row. The queue's mechanics (claim across tenants, lease
-- renewal, finishing, the periodic cleanup) are SECURITY DEFINER functions owned by
-- menhir_auth, since a worker must find work before it knows whose it is; each checks the
-- lease it is given, so a worker that lost its job can never finish it. The work itself (a
-- document's change, a webhook delivery) runs as menhir_app under the job's tenant and its
-- creator's CURRENT role (app_enter), exactly like a request.

CREATE TABLE jobs (
	id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	-- NULL for a system job (the cleanup): no tenant's policy ever matches it.
	tenant_id uuid REFERENCES tenants (id) ON DELETE CASCADE,
	kind text NOT NULL CHECK (kind ~ '^[a-z][a-z0-9_.]{0,62}$'),
	document_id uuid,
	payload jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(payload) = 'object'),
	status text NOT NULL DEFAULT 'queued'
		CHECK (status IN ('queued', 'running', 'succeeded', 'failed', 'dead', 'cancelled')),
	-- Claims so far; a claim whose worker died counts too, so a job that kills its worker
	-- every time still ends dead.
	attempts int NOT NULL DEFAULT 0 CHECK (attempts >= 0),
	max_attempts int NOT NULL DEFAULT 5 CHECK (max_attempts BETWEEN 1 AND 100),
	run_at timestamptz NOT NULL DEFAULT now(),
	lease_owner text,
	lease_expires_at timestamptz,
	result jsonb,
	error text CHECK (length(error) <= 2000),
	-- The same work is not queued twice: see jobs_unique_active.
	unique_key text CHECK (length(unique_key) BETWEEN 1 AND 200),
	webhook_url text CHECK (length(webhook_url) BETWEEN 1 AND 2000),
	created_by uuid REFERENCES users (id) ON DELETE SET NULL,
	created_at timestamptz NOT NULL DEFAULT now(),
	updated_at timestamptz NOT NULL DEFAULT now(),
	finished_at timestamptz,
	CHECK ((status = 'running') = (lease_owner IS NOT NULL AND lease_expires_at IS NOT NULL)),
	-- A job's document belongs to the job's tenant, whatever the application passes.
	FOREIGN KEY (tenant_id, document_id) REFERENCES documents (tenant_id, id) ON DELETE CASCADE
);
-- At most one active (queued or running) job per tenant, kind and unique key; NULLS NOT
-- DISTINCT makes the system jobs' NULL tenant one key space too.
CREATE UNIQUE INDEX jobs_unique_active ON jobs (tenant_id, kind, unique_key) NULLS NOT DISTINCT
	WHERE unique_key IS NOT NULL AND status IN ('queued', 'running');
-- The claim's two scans: due jobs, oldest first; leases that ran out.
CREATE INDEX jobs_due ON jobs (run_at) WHERE status = 'queued';
CREATE INDEX jobs_leases ON jobs (lease_expires_at) WHERE status = 'running';
-- GET /jobs keyset pages, newest first, optionally one status or one document.
CREATE INDEX jobs_tenant_created ON jobs (tenant_id, created_at, id);
CREATE INDEX jobs_tenant_status ON jobs (tenant_id, status, created_at, id);
CREATE INDEX jobs_tenant_document ON jobs (tenant_id, document_id, created_at, id);
-- The cleanup deletes finished jobs by age.
CREATE INDEX jobs_finished ON jobs (finished_at) WHERE finished_at IS NOT NULL;
CREATE TRIGGER jobs_touch BEFORE UPDATE ON jobs
	FOR EACH ROW EXECUTE FUNCTION touch_updated_at();

-- Wakes idle workers (LISTEN menhir_jobs) when a job becomes claimable now. NOTIFY is
-- delivered at COMMIT, and identical notifications of one transaction are folded into one.
CREATE FUNCTION jobs_notify() RETURNS trigger
	LANGUAGE plpgsql
	SET search_path = public, pg_temp
	AS $$
BEGIN
	PERFORM pg_notify('menhir_jobs', '');
	RETURN NULL;
END
$$;
CREATE TRIGGER jobs_notify_insert AFTER INSERT ON jobs
	FOR EACH ROW WHEN (NEW.status = 'queued' AND NEW.run_at <= now())
	EXECUTE FUNCTION jobs_notify();
CREATE TRIGGER jobs_notify_requeue AFTER UPDATE OF status ON jobs
	FOR EACH ROW WHEN (NEW.status = 'queued' AND OLD.status <> 'queued' AND NEW.run_at <= now())
	EXECUTE FUNCTION jobs_notify();

ALTER TABLE jobs ENABLE ROW LEVEL SECURITY;
ALTER TABLE jobs FORCE ROW LEVEL SECURITY;
CREATE POLICY jobs_read ON jobs FOR SELECT
	USING (tenant_id = (SELECT app_tenant_id()));
-- Members enqueue jobs of their own; the processing service decides which document a member
-- may process, and the work re-checks it under the creator's role when it runs.
CREATE POLICY jobs_insert ON jobs FOR INSERT
	WITH CHECK (tenant_id = (SELECT app_tenant_id())
	            AND created_by = (SELECT app_user_id())
	            AND app_role_rank((SELECT app_role())) >= 2
	            AND status = 'queued' AND attempts = 0 AND lease_owner IS NULL);
-- Cancelling: a member their own jobs, admin+ any. Retrying is admin+ (the service checks
-- which transitions are allowed; the database keeps members to their own rows).
CREATE POLICY jobs_update ON jobs FOR UPDATE
	USING (tenant_id = (SELECT app_tenant_id())
	       AND (app_role_rank((SELECT app_role())) >= 3
	            OR (app_role_rank((SELECT app_role())) = 2
	                AND created_by = (SELECT app_user_id()))))
	WITH CHECK (tenant_id = (SELECT app_tenant_id()) AND lease_owner IS NULL);
GRANT SELECT, INSERT ON jobs TO menhir_app;
GRANT UPDATE (status, attempts, run_at, result, error, finished_at) ON jobs TO menhir_app;

-- ---- Per-tenant features ----------------------------------------------------------------
-- A processing feature runs for a tenant only while its row says enabled (403
-- feature_disabled otherwise). Which features exist is the application's table; a row for a
-- name the application no longer knows is ignored.
CREATE TABLE tenant_features (
	tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
	feature text NOT NULL CHECK (feature ~ '^[a-z][a-z0-9_]{0,39}$'),
	enabled boolean NOT NULL,
	updated_by uuid REFERENCES users (id) ON DELETE SET NULL,
	created_at timestamptz NOT NULL DEFAULT now(),
	updated_at timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (tenant_id, feature)
);
CREATE TRIGGER tenant_features_touch BEFORE UPDATE ON tenant_features
	FOR EACH ROW EXECUTE FUNCTION touch_updated_at();
ALTER TABLE tenant_features ENABLE ROW LEVEL SECURITY;
ALTER TABLE tenant_features FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_features_read ON tenant_features FOR SELECT
	USING (tenant_id = (SELECT app_tenant_id()));
CREATE POLICY tenant_features_insert ON tenant_features FOR INSERT
	WITH CHECK (tenant_id = (SELECT app_tenant_id()) AND app_role_rank((SELECT app_role())) >= 3);
CREATE POLICY tenant_features_update ON tenant_features FOR UPDATE
	USING (tenant_id = (SELECT app_tenant_id()) AND app_role_rank((SELECT app_role())) >= 3)
	WITH CHECK (tenant_id = (SELECT app_tenant_id()));
GRANT SELECT, INSERT ON tenant_features TO menhir_app;
GRANT UPDATE (enabled, updated_by) ON tenant_features TO menhir_app;

-- ---- Webhooks ---------------------------------------------------------------------------
-- The tenant's signing secret (HMAC-SHA256 key). Shown once when made; the worker reads it
-- under the tenant's context to sign deliveries. Making a new one replaces the old.
CREATE TABLE tenant_webhook_secrets (
	tenant_id uuid PRIMARY KEY REFERENCES tenants (id) ON DELETE CASCADE,
	secret text NOT NULL CHECK (length(secret) BETWEEN 32 AND 200),
	created_by uuid REFERENCES users (id) ON DELETE SET NULL,
	created_at timestamptz NOT NULL DEFAULT now(),
	updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE TRIGGER tenant_webhook_secrets_touch BEFORE UPDATE ON tenant_webhook_secrets
	FOR EACH ROW EXECUTE FUNCTION touch_updated_at();
ALTER TABLE tenant_webhook_secrets ENABLE ROW LEVEL SECURITY;
ALTER TABLE tenant_webhook_secrets FORCE ROW LEVEL SECURITY;
-- Reading the secret is the worker's business (it runs as the job's creator, any role);
-- the API never returns it after the response that made it.
CREATE POLICY tenant_webhook_secrets_read ON tenant_webhook_secrets FOR SELECT
	USING (tenant_id = (SELECT app_tenant_id()));
CREATE POLICY tenant_webhook_secrets_write ON tenant_webhook_secrets FOR INSERT
	WITH CHECK (tenant_id = (SELECT app_tenant_id()) AND app_role_rank((SELECT app_role())) >= 3);
CREATE POLICY tenant_webhook_secrets_update ON tenant_webhook_secrets FOR UPDATE
	USING (tenant_id = (SELECT app_tenant_id()) AND app_role_rank((SELECT app_role())) >= 3)
	WITH CHECK (tenant_id = (SELECT app_tenant_id()));
GRANT SELECT, INSERT ON tenant_webhook_secrets TO menhir_app;
GRANT UPDATE (secret, created_by) ON tenant_webhook_secrets TO menhir_app;

-- One row per delivery attempt of a job's webhook.
CREATE TABLE webhook_deliveries (
	id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
	job_id uuid NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
	url text NOT NULL,
	attempt int NOT NULL CHECK (attempt >= 1),
	status_code int,
	error text CHECK (length(error) <= 2000),
	duration_ms int,
	created_at timestamptz NOT NULL DEFAULT now(),
	updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX webhook_deliveries_job ON webhook_deliveries (tenant_id, job_id, created_at);
CREATE INDEX webhook_deliveries_created ON webhook_deliveries (created_at);
ALTER TABLE webhook_deliveries ENABLE ROW LEVEL SECURITY;
ALTER TABLE webhook_deliveries FORCE ROW LEVEL SECURITY;
CREATE POLICY webhook_deliveries_tenant ON webhook_deliveries
	USING (tenant_id = (SELECT app_tenant_id()))
	WITH CHECK (tenant_id = (SELECT app_tenant_id()));
GRANT SELECT, INSERT ON webhook_deliveries TO menhir_app;

-- ---- The queue's mechanics (SECURITY DEFINER, owned by menhir_auth) ---------------------

-- Takes the next job for p_owner: first a running job whose lease ran out (its worker died),
-- then the oldest due queued job. SKIP LOCKED: concurrent workers never wait for each other
-- and never take the same row. Returns no row when there is nothing to do.
CREATE FUNCTION jobs_claim(p_owner text, p_lease_seconds int)
	RETURNS SETOF jobs
	LANGUAGE plpgsql SECURITY DEFINER
	SET search_path = public, pg_temp
	AS $$
DECLARE
	v_id uuid;
BEGIN
	SELECT j.id INTO v_id FROM jobs j
	 WHERE j.status = 'running' AND j.lease_expires_at < now()
	 ORDER BY j.lease_expires_at LIMIT 1 FOR UPDATE SKIP LOCKED;
	IF v_id IS NULL THEN
		SELECT j.id INTO v_id FROM jobs j
		 WHERE j.status = 'queued' AND j.run_at <= now()
		 ORDER BY j.run_at LIMIT 1 FOR UPDATE SKIP LOCKED;
	END IF;
	IF v_id IS NULL THEN
		RETURN;
	END IF;
	RETURN QUERY
	UPDATE jobs j SET status = 'running', attempts = j.attempts + 1, lease_owner = p_owner,
	       lease_expires_at = now() + make_interval(secs => p_lease_seconds)
	 WHERE j.id = v_id
	RETURNING j.*;
END
$$;

-- Extends the leases of the jobs these owners are running (the worker's master calls it for
-- its live children). A killed child's owner is no longer passed, so its lease runs out.
CREATE FUNCTION jobs_renew(p_owners text[], p_lease_seconds int) RETURNS int
	LANGUAGE sql SECURITY DEFINER
	SET search_path = public, pg_temp
	AS $$
	WITH r AS (
		UPDATE jobs SET lease_expires_at = now() + make_interval(secs => p_lease_seconds)
		 WHERE status = 'running' AND lease_owner = ANY (p_owners)
		RETURNING 1)
	SELECT count(*)::int FROM r
$$;

-- Ends a run: p_outcome 'succeeded', 'failed' (permanent) or 'retry' (queued again after
-- p_retry_ms, or dead when the attempts are used up). Raises MH409 when p_owner no longer
-- holds the lease, which rolls back everything the run did in the same transaction: a job
-- that two workers ran ends up with the effects of one.
CREATE FUNCTION jobs_finish(p_id uuid, p_owner text, p_outcome text, p_result jsonb,
                            p_error text, p_retry_ms int)
	RETURNS SETOF jobs
	LANGUAGE plpgsql SECURITY DEFINER
	SET search_path = public, pg_temp
	AS $$
BEGIN
	IF p_outcome NOT IN ('succeeded', 'failed', 'retry') THEN
		RAISE EXCEPTION 'unknown outcome %', p_outcome;
	END IF;
	RETURN QUERY
	UPDATE jobs j SET
	       status = CASE WHEN p_outcome <> 'retry' THEN p_outcome
	                     WHEN j.attempts >= j.max_attempts THEN 'dead'
	                     ELSE 'queued' END,
	       run_at = CASE WHEN p_outcome = 'retry' AND j.attempts < j.max_attempts
	                     THEN now() + make_interval(secs => greatest(p_retry_ms, 0) / 1000.0)
	                     ELSE j.run_at END,
	       result = CASE WHEN p_outcome = 'succeeded' THEN p_result ELSE j.result END,
	       error = CASE WHEN p_outcome = 'succeeded' THEN NULL ELSE left(p_error, 2000) END,
	       lease_owner = NULL, lease_expires_at = NULL,
	       finished_at = CASE WHEN p_outcome = 'retry' AND j.attempts < j.max_attempts THEN NULL
	                          ELSE now() END
	 WHERE j.id = p_id AND j.status = 'running' AND j.lease_owner = p_owner
	RETURNING j.*;
	IF NOT FOUND THEN
		RAISE EXCEPTION 'job % is not leased to %', p_id, p_owner USING ERRCODE = 'MH409';
	END IF;
END
$$;

-- Queues a system job (no tenant) unless one of that kind and key is already active.
CREATE FUNCTION jobs_schedule_system(p_kind text, p_unique_key text, p_run_at timestamptz)
	RETURNS void
	LANGUAGE sql SECURITY DEFINER
	SET search_path = public, pg_temp
	AS $$
	INSERT INTO jobs (tenant_id, kind, unique_key, run_at, max_attempts)
	VALUES (NULL, p_kind, p_unique_key, p_run_at, 3)
	ON CONFLICT (tenant_id, kind, unique_key) WHERE unique_key IS NOT NULL
	            AND status IN ('queued', 'running')
	DO NOTHING
$$;

-- Jobs waiting, per status, for /metrics (queue depth) and `menhir work --status`.
CREATE FUNCTION jobs_depth()
	RETURNS TABLE (status text, jobs bigint, oldest_seconds double precision)
	LANGUAGE sql STABLE SECURITY DEFINER
	SET search_path = public, pg_temp
	AS $$
	SELECT j.status, count(*), extract(epoch FROM now() - min(j.run_at))
	  FROM jobs j WHERE j.status IN ('queued', 'running')
	 GROUP BY j.status
$$;

-- The periodic cleanup: what outlived its use. Returns what it removed, for the job's result.
CREATE FUNCTION jobs_cleanup(p_keep_finished_jobs interval, p_keep_deliveries interval)
	RETURNS TABLE (removed_idempotency_keys bigint, removed_refresh_tokens bigint,
	               removed_jobs bigint, removed_webhook_deliveries bigint)
	LANGUAGE plpgsql SECURITY DEFINER
	SET search_path = public, pg_temp
	AS $$
BEGIN
	-- Keys are replayed for 24 hours (0004).
	WITH d AS (DELETE FROM idempotency_keys k WHERE k.created_at < now() - interval '24 hours'
	           RETURNING 1)
	SELECT count(*) INTO removed_idempotency_keys FROM d;
	-- A refresh token past its expiry can never be used again; a day's margin keeps the
	-- reuse-detection of a just-expired family readable in the meantime.
	WITH d AS (DELETE FROM refresh_tokens t WHERE t.expires_at < now() - interval '1 day'
	           RETURNING 1)
	SELECT count(*) INTO removed_refresh_tokens FROM d;
	WITH d AS (DELETE FROM webhook_deliveries w WHERE w.created_at < now() - p_keep_deliveries
	           RETURNING 1)
	SELECT count(*) INTO removed_webhook_deliveries FROM d;
	WITH d AS (DELETE FROM jobs j WHERE j.finished_at < now() - p_keep_finished_jobs
	           RETURNING 1)
	SELECT count(*) INTO removed_jobs FROM d;
	RETURN NEXT;
END
$$;

GRANT SELECT, INSERT, UPDATE, DELETE ON jobs TO menhir_auth;
GRANT DELETE ON idempotency_keys, refresh_tokens, webhook_deliveries TO menhir_auth;
GRANT SELECT ON idempotency_keys, webhook_deliveries TO menhir_auth;

DO $$
DECLARE
	f text;
BEGIN
	FOREACH f IN ARRAY ARRAY[
		'jobs_claim(text,int)',
		'jobs_renew(text[],int)',
		'jobs_finish(uuid,text,text,jsonb,text,int)',
		'jobs_schedule_system(text,text,timestamptz)',
		'jobs_depth()',
		'jobs_cleanup(interval,interval)']
	LOOP
		EXECUTE format('ALTER FUNCTION %s OWNER TO menhir_auth', f);
		EXECUTE format('REVOKE ALL ON FUNCTION %s FROM PUBLIC', f);
		EXECUTE format('GRANT EXECUTE ON FUNCTION %s TO menhir_app', f);
	END LOOP;
END
$$;
