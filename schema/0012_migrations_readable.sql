-- 0012_migrations_readable.sql — let the application role read which migrations are applied.
--
-- `menhir check` (the unit's ExecStartPre= and ExecReload=) runs with the application's
-- credentials only, never the owner's, and must tell a fully migrated schema from one with
-- pending files. Which file names and checksums were applied is no secret; nothing else
-- about the table is granted.
GRANT SELECT ON schema_migrations TO menhir_app;
