-- 0013_job_traces.sql - a job keeps the W3C trace of the request (or job) that queued it,
-- so its log lines and the webhooks it sends share that trace (README "Tracing").
--
-- Every request's and job's transaction sets app.traceparent (core/db.c, mh_set_context)
-- to its traceparent, with Menhir's span as the parent. The column's default reads it, so
-- every INSERT INTO jobs, whichever module or function makes it, records the trace without
-- naming the column; outside such a transaction (psql, a migration) it stays NULL.
ALTER TABLE jobs ADD COLUMN traceparent text
	DEFAULT nullif(current_setting('app.traceparent', true), '')
	CONSTRAINT jobs_traceparent_format
		CHECK (traceparent ~ '^00-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$');
