-- 0011_fast_enter.sql - what the request's RLS context statement needs to refuse a caller
-- without a PL/pgSQL function of its own.
--
-- The context of a request with a tenant and a user (nearly every authenticated request) is
-- now one plain prepared statement (core/db.c, mh_set_context): three set_config calls, the
-- third reading the caller's current role from memberships with the same conditions as
-- app_enter (a member, not disabled, ranking at least the route's minimum role). Measured
-- on PostgreSQL 15 with pgbench (bench/README.md): the backend's CPU for BEGIN, the context
-- and COMMIT went from about 42 to 29 µs, the PL/pgSQL call with its SET clause gone.
-- app_enter stays for the other contexts (no tenant: a user that must still exist; no user:
-- public routes) and for anything that calls it by name.
--
-- A plain statement cannot RAISE, so when the role lookup finds nothing it calls this,
-- which only raises: SQLSTATE p_code (MH403 there) aborts the pipelined transaction before
-- the handler's statements run, exactly as app_enter's RAISE did. It touches no table and
-- resolves no name, so it needs no search_path of its own.
CREATE FUNCTION app_refuse(p_code text, p_message text) RETURNS text
	LANGUAGE plpgsql VOLATILE
	AS $$
BEGIN
	RAISE EXCEPTION USING ERRCODE = p_code, MESSAGE = p_message;
END
$$;
REVOKE ALL ON FUNCTION app_refuse(text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION app_refuse(text, text) TO menhir_app;
