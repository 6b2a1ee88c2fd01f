-- 0015_jobs_payload.sql - the queue knows no business domain: what a job is about moves
-- into its payload.
--
-- Until now a job had a document_id column (with a foreign key to documents) and a
-- webhook_url column, so the queue, a part of the framework, knew two business modules. A
-- job now carries only its payload, which the module that queued it owns: the processing
-- module writes {"document_id", "feature", "parameters"[, "webhook_url"]} and checks the
-- document itself, under RLS, both when it queues the job and when the job runs (a document
-- of another tenant is invisible to both, which is what the composite foreign key
-- guaranteed); the webhooks module delivers the end of any job whose payload has a
-- webhook_url. The jobs API keeps showing both members, and filtering by document.

-- The owner is subject to the table's policies (FORCE); move every tenant's rows.
ALTER TABLE jobs NO FORCE ROW LEVEL SECURITY;
-- Moving a member is not a change anyone made: updated_at stays.
ALTER TABLE jobs DISABLE TRIGGER jobs_touch;
UPDATE jobs
   SET payload = payload || jsonb_strip_nulls(jsonb_build_object(
                   'document_id', document_id::text, 'webhook_url', webhook_url))
 WHERE document_id IS NOT NULL OR webhook_url IS NOT NULL;
ALTER TABLE jobs ENABLE TRIGGER jobs_touch;
ALTER TABLE jobs FORCE ROW LEVEL SECURITY;

ALTER TABLE jobs DROP CONSTRAINT jobs_tenant_id_document_id_fkey;
DROP INDEX jobs_tenant_document;
ALTER TABLE jobs DROP COLUMN document_id, DROP COLUMN webhook_url;

-- GET /jobs?document_id= pages through one document's jobs, newest first, on this index.
CREATE INDEX jobs_tenant_document ON jobs (tenant_id, (payload ->> 'document_id'), created_at, id);
