-- 0004_documents.sql - documents, their files, and the idempotency keys of POST requests.
--
-- The reference tenant-scoped schema: every table has tenant_id, ENABLE + FORCE RLS, a read
-- policy on the tenant and write policies that repeat the module's role rules (viewer reads,
-- member writes own rows, admin+ writes all), so a bug in a service cannot widen them.
-- Roles compare by app_role_rank(): viewer 1, member 2, admin 3, owner 4. app.role is the
-- caller's CURRENT role, set by app_enter() at the start of every transaction.

-- Tags: at most 20, each 1..50 characters, no NULL element. The API validates the same
-- limits with a 422; this is the database's own copy of the rule.
CREATE FUNCTION documents_tags_valid(t text[]) RETURNS boolean
	LANGUAGE sql IMMUTABLE PARALLEL SAFE
	AS $$ SELECT cardinality(t) <= 20
	        AND coalesce((SELECT bool_and(e IS NOT NULL AND length(e) BETWEEN 1 AND 50)
	                        FROM unnest(t) e), true) $$;

CREATE TABLE documents (
	id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
	owner_id uuid NOT NULL REFERENCES users (id),
	title text NOT NULL CHECK (length(title) BETWEEN 1 AND 200),
	body text NOT NULL DEFAULT '' CHECK (octet_length(body) <= 1048576),
	tags text[] NOT NULL DEFAULT '{}' CHECK (documents_tags_valid(tags)),
	status text NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'published', 'archived')),
	-- Bumped by the trigger below on every UPDATE: the ETag and If-Match compare it.
	version int NOT NULL DEFAULT 1,
	created_at timestamptz NOT NULL DEFAULT now(),
	updated_at timestamptz NOT NULL DEFAULT now(),
	deleted_at timestamptz,
	-- Full-text search over the title (weight A) and the body (B) with the 'simple'
	-- configuration (no stemming: tenants write in any language). Only the first 128 Ki
	-- characters of the body are indexed: a tsvector is limited to 1 MB, and a 1 MiB body of
	-- distinct short words would exceed it and make the INSERT fail.
	search tsvector GENERATED ALWAYS AS (
		setweight(to_tsvector('simple'::regconfig, title), 'A') ||
		setweight(to_tsvector('simple'::regconfig, left(body, 131072)), 'B')) STORED,
	-- Target of document_files' composite foreign key: a file can only belong to a document
	-- of its own tenant, whatever the application passes.
	UNIQUE (tenant_id, id)
);

-- One partial index per list order, tenant first and id as the tiebreaker, so a keyset page
-- is an index range scan with no Sort and no OFFSET. An index serves its order in both
-- directions: (created_at, id) answers `-created_at` (backward) and `created_at` (forward).
CREATE INDEX documents_live_created ON documents (tenant_id, created_at, id)
	WHERE deleted_at IS NULL;
CREATE INDEX documents_live_updated ON documents (tenant_id, updated_at, id)
	WHERE deleted_at IS NULL;
CREATE INDEX documents_live_title ON documents (tenant_id, title, id)
	WHERE deleted_at IS NULL;
-- include_deleted=true (admin+) on the default order walks this one.
CREATE INDEX documents_all_created ON documents (tenant_id, created_at, id);
-- The owner_id foreign key, and the owner_id filter on the default order.
CREATE INDEX documents_owner ON documents (owner_id, created_at, id);
-- tag=… is `tags @> ARRAY[…]`; q=… is `search @@ websearch_to_tsquery('simple', …)`.
CREATE INDEX documents_tags ON documents USING gin (tags);
CREATE INDEX documents_search ON documents USING gin (search);

-- updated_at and version cannot be forgotten by a statement; restoring a deleted document is
-- an admin+ action in the database too (a member may soft-delete their own document, not
-- bring it back).
CREATE FUNCTION documents_before_update() RETURNS trigger
	LANGUAGE plpgsql
	SET search_path = public, pg_temp
	AS $$
BEGIN
	IF OLD.deleted_at IS NOT NULL AND NEW.deleted_at IS NULL
	   AND app_role_rank(app_role()) < app_role_rank('admin') THEN
		RAISE EXCEPTION 'restoring a document needs the admin role' USING ERRCODE = 'MH403';
	END IF;
	NEW.updated_at := now();
	NEW.version := OLD.version + 1;
	RETURN NEW;
END
$$;
CREATE TRIGGER documents_before_update BEFORE UPDATE ON documents
	FOR EACH ROW EXECUTE FUNCTION documents_before_update();

ALTER TABLE documents ENABLE ROW LEVEL SECURITY;
ALTER TABLE documents FORCE ROW LEVEL SECURITY;
CREATE POLICY documents_read ON documents FOR SELECT
	USING (tenant_id = (SELECT app_tenant_id()));
-- A member creates documents they own; an admin or owner may create them for anyone.
CREATE POLICY documents_insert ON documents FOR INSERT
	WITH CHECK (tenant_id = (SELECT app_tenant_id())
	            AND (app_role_rank((SELECT app_role())) >= 3
	                 OR (app_role_rank((SELECT app_role())) = 2
	                     AND owner_id = (SELECT app_user_id()))));
-- A member changes only their own documents; admin+ any document of the tenant.
CREATE POLICY documents_update ON documents FOR UPDATE
	USING (tenant_id = (SELECT app_tenant_id())
	       AND (app_role_rank((SELECT app_role())) >= 3
	            OR (app_role_rank((SELECT app_role())) = 2
	                AND owner_id = (SELECT app_user_id()))))
	WITH CHECK (tenant_id = (SELECT app_tenant_id()));
-- No DELETE grant: deletion is soft (deleted_at), and only a tenant's removal erases rows.
-- Column grants: id, tenant_id, owner_id and created_at never change after the INSERT
-- (mass assignment is refused by the API with a 400, and by the database regardless).
GRANT SELECT, INSERT ON documents TO menhir_app;
GRANT UPDATE (title, body, tags, status, deleted_at) ON documents TO menhir_app;
GRANT EXECUTE ON FUNCTION documents_tags_valid(text[]) TO menhir_app;

-- Files attached to a document. The bytes live in storage outside the database and the web
-- root, under storage_key (a generated id, never the client's name: no path traversal).
CREATE TABLE document_files (
	id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
	document_id uuid NOT NULL,
	name text NOT NULL CHECK (length(name) BETWEEN 1 AND 255),
	size bigint NOT NULL CHECK (size >= 0),
	sha256 bytea NOT NULL CHECK (length(sha256) = 32),
	content_type text NOT NULL CHECK (length(content_type) BETWEEN 1 AND 255),
	storage_key text NOT NULL UNIQUE CHECK (length(storage_key) BETWEEN 1 AND 255),
	created_at timestamptz NOT NULL DEFAULT now(),
	updated_at timestamptz NOT NULL DEFAULT now(),
	deleted_at timestamptz,
	FOREIGN KEY (tenant_id, document_id) REFERENCES documents (tenant_id, id)
		ON DELETE CASCADE
);
CREATE INDEX document_files_document ON document_files (tenant_id, document_id, created_at, id);
CREATE TRIGGER document_files_touch BEFORE UPDATE ON document_files
	FOR EACH ROW EXECUTE FUNCTION touch_updated_at();

ALTER TABLE document_files ENABLE ROW LEVEL SECURITY;
ALTER TABLE document_files FORCE ROW LEVEL SECURITY;
CREATE POLICY document_files_read ON document_files FOR SELECT
	USING (tenant_id = (SELECT app_tenant_id()));
-- Writing a file is writing its document: the same rule, read through documents (whose own
-- policy keeps the subquery inside the tenant).
CREATE POLICY document_files_insert ON document_files FOR INSERT
	WITH CHECK (tenant_id = (SELECT app_tenant_id())
	            AND EXISTS (SELECT 1 FROM documents d
	                         WHERE d.id = document_id AND d.tenant_id = (SELECT app_tenant_id())
	                           AND (app_role_rank((SELECT app_role())) >= 3
	                                OR (app_role_rank((SELECT app_role())) = 2
	                                    AND d.owner_id = (SELECT app_user_id())))));
CREATE POLICY document_files_update ON document_files FOR UPDATE
	USING (tenant_id = (SELECT app_tenant_id())
	       AND EXISTS (SELECT 1 FROM documents d
	                    WHERE d.id = document_id AND d.tenant_id = (SELECT app_tenant_id())
	                      AND (app_role_rank((SELECT app_role())) >= 3
	                           OR (app_role_rank((SELECT app_role())) = 2
	                               AND d.owner_id = (SELECT app_user_id())))))
	WITH CHECK (tenant_id = (SELECT app_tenant_id()));
GRANT SELECT, INSERT ON document_files TO menhir_app;
GRANT UPDATE (deleted_at) ON document_files TO menhir_app;

-- Idempotency-Key: the first response to a POST, replayed for the same key and body within
-- 24 hours. Written in the same transaction as the change it describes, so a key is stored
-- if and only if its change committed. Keyed by principal and route: two users (or two
-- routes) never share a key space. Rows older than 24 h are ignored by the lookups and
-- overwritten by a new use of the key; the created_at index serves the cleanup job.
CREATE TABLE idempotency_keys (
	tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
	user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	route text NOT NULL CHECK (length(route) BETWEEN 1 AND 200),
	key text NOT NULL CHECK (length(key) BETWEEN 1 AND 255),
	-- SHA-256 of the request body: the same key with another body is a client bug (422).
	body_hash bytea NOT NULL CHECK (length(body_hash) = 32),
	status int NOT NULL CHECK (status BETWEEN 200 AND 599),
	body text NOT NULL,
	location text,
	created_at timestamptz NOT NULL DEFAULT now(),
	updated_at timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (tenant_id, user_id, route, key)
);
CREATE INDEX idempotency_keys_created ON idempotency_keys (created_at);
CREATE TRIGGER idempotency_keys_touch BEFORE UPDATE ON idempotency_keys
	FOR EACH ROW EXECUTE FUNCTION touch_updated_at();

ALTER TABLE idempotency_keys ENABLE ROW LEVEL SECURITY;
ALTER TABLE idempotency_keys FORCE ROW LEVEL SECURITY;
-- A principal sees and writes only its own keys.
CREATE POLICY idempotency_keys_own ON idempotency_keys
	USING (tenant_id = (SELECT app_tenant_id()) AND user_id = (SELECT app_user_id()))
	WITH CHECK (tenant_id = (SELECT app_tenant_id()) AND user_id = (SELECT app_user_id()));
GRANT SELECT, INSERT ON idempotency_keys TO menhir_app;
-- Re-using an expired key replaces its row (INSERT … ON CONFLICT DO UPDATE … WHERE expired).
GRANT UPDATE (body_hash, status, body, location, created_at) ON idempotency_keys TO menhir_app;

-- Serialises the requests that share one Idempotency-Key (same tenant, user, route, key) for
-- the rest of the transaction; a second one arriving while the first is in flight gets
-- MH409 at once instead of waiting. Call it in its own statement BEFORE the one that looks
-- the key up: in READ COMMITTED each statement takes a new snapshot, so a lookup that
-- starts after the lock is granted sees whatever the previous holder committed.
CREATE FUNCTION idempotency_lock(p_route text, p_key text) RETURNS void
	LANGUAGE plpgsql
	SET search_path = public, pg_temp
	AS $$
BEGIN
	IF NOT pg_try_advisory_xact_lock(hashtextextended(
	           concat_ws(chr(31), 'idempotency', app_tenant_id(), app_user_id(), p_route, p_key),
	           0)) THEN
		RAISE EXCEPTION 'a request with this Idempotency-Key is in progress'
			USING ERRCODE = 'MH409';
	END IF;
END
$$;

-- Raises MH403 unless the caller's current role (app_enter) ranks at least p_min: for a
-- rule that depends on the input rather than the route (e.g. include_deleted=true).
CREATE FUNCTION app_require_role(p_min text) RETURNS void
	LANGUAGE plpgsql STABLE
	SET search_path = public, pg_temp
	AS $$
BEGIN
	IF app_role_rank(app_role()) < app_role_rank(p_min) THEN
		RAISE EXCEPTION 'role % is below %', coalesce(app_role(), 'none'), p_min
			USING ERRCODE = 'MH403';
	END IF;
END
$$;

REVOKE ALL ON FUNCTION idempotency_lock(text, text), app_require_role(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION idempotency_lock(text, text), app_require_role(text) TO menhir_app;
