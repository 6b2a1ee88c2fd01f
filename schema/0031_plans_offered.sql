-- 0031_plans_offered.sql - a plan can be kept for the tenants already on it without being
-- offered to anybody else (grandfathered, custom, a test's): GET /billing/plans lists the
-- offered plans and the caller's own, checkout refuses a plan that is not offered, and
-- `menhir admin seed` picks among the offered ones only (src/modules/billing, seed).
--
-- plans stays global and read-only to menhir_app (0016's table grant covers the new column);
-- only the owner role (`menhir admin plans set NAME offered=false`) changes it. Tenants on a
-- plan that stops being offered keep it, and `menhir admin set-plan` still moves a tenant to
-- any plan: offering is about what a tenant may choose, not what it may be on.
ALTER TABLE plans ADD COLUMN offered boolean NOT NULL DEFAULT true;
