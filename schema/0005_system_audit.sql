-- 0005_system_audit.sql - events that belong to no tenant (signing-key generation and rotation).
--
-- audit_log is tenant-scoped under RLS; an operator's action on the whole installation has no
-- tenant to file it under, so it lands here. Only menhir_owner, the role of the operator's
-- commands, reads and writes it: menhir_app has no grant at all.
CREATE TABLE system_audit_log (
	id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	action text NOT NULL CHECK (length(action) BETWEEN 1 AND 100),
	target text,
	actor text NOT NULL, -- the operating-system account that ran the command
	created_at timestamptz NOT NULL DEFAULT now(),
	updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX system_audit_log_created ON system_audit_log (created_at DESC);
