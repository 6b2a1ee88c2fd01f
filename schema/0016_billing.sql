-- 0016_billing.sql - plans as data, a subscription per tenant, usage metering and the quotas
-- enforced where a resource is consumed (src/modules/billing).
--
-- Quotas are checked by triggers on the rows that consume them (a document, a file, a
-- processing job, a membership), so the check is part of whatever statement the request
-- already sends: no extra round trip, and no path that forgets it. A refusal is an error
-- with a SQLSTATE of its own and a JSON DETAIL that the billing module turns into the
-- client's answer:
--   MHB29 a countable monthly quota is used up   -> 429 quota_exceeded (Retry-After: period end)
--   MHB03 seats or documents at the plan's limit -> 403 plan_limit_reached
--   MHB13 storage at the plan's limit            -> 413 storage_quota_exceeded
--
-- menhir_app reads plans (global) and its own tenant's subscription and usage (RLS); it
-- writes none of them directly. The triggers and the webhook's functions are SECURITY
-- DEFINER functions owned by menhir_auth (BYPASSRLS), like the auth paths of 0002.

-- ---- Plans ------------------------------------------------------------------------------
-- A limit that is NULL is unlimited. rank orders the plans from cheapest to dearest: "the
-- plan that includes a feature" is the cheapest one that does.
CREATE TABLE plans (
	name text PRIMARY KEY CHECK (name ~ '^[a-z][a-z0-9_]{0,31}$'),
	title text NOT NULL CHECK (length(title) BETWEEN 1 AND 100),
	rank int NOT NULL UNIQUE,
	-- The payment provider's price id; NULL for a plan nobody pays for (free).
	price_id text UNIQUE CHECK (length(price_id) BETWEEN 1 AND 200),
	-- The plan a new tenant starts on: exactly one (plans_one_default).
	is_default boolean NOT NULL DEFAULT false,
	seats int CHECK (seats >= 1),
	documents int CHECK (documents >= 0),
	storage_bytes bigint CHECK (storage_bytes >= 0),
	jobs_per_month int CHECK (jobs_per_month >= 0),
	api_per_minute int CHECK (api_per_minute >= 1),
	-- Processing requests per minute, per feature (the rate limiter's feature scope).
	feature_per_minute int CHECK (feature_per_minute >= 1),
	runs_per_feature_per_month int CHECK (runs_per_feature_per_month >= 0),
	features text[] NOT NULL DEFAULT '{}'
		CHECK (coalesce(array_position(features, NULL), 0) = 0),
	created_at timestamptz NOT NULL DEFAULT now(),
	updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX plans_one_default ON plans (is_default) WHERE is_default;
CREATE TRIGGER plans_touch BEFORE UPDATE ON plans
	FOR EACH ROW EXECUTE FUNCTION touch_updated_at();

INSERT INTO plans (name, title, rank, price_id, is_default, seats, documents, storage_bytes,
                   jobs_per_month, api_per_minute, feature_per_minute,
                   runs_per_feature_per_month, features) VALUES
	('free', 'Free', 0, NULL, true, 5, 1000, 104857600, 1000, 120, 20, 500,
	 '{stats,keywords}'),
	('pro', 'Pro', 10, 'price_pro_monthly', false, 20, 10000, 10737418240, 10000, 600, 120,
	 5000, '{stats,keywords,summary}'),
	('business', 'Business', 20, 'price_business_monthly', false, 200, NULL, 107374182400,
	 100000, 3000, 600, 50000, '{stats,keywords,summary,redact}');

-- Global and read-only for the application: every tenant may read every plan (the upgrade
-- page lists them); only the owner role (`menhir admin plans`) changes them.
GRANT SELECT ON plans TO menhir_app;

-- ---- Subscriptions ----------------------------------------------------------------------
CREATE TABLE subscriptions (
	tenant_id uuid PRIMARY KEY REFERENCES tenants (id) ON DELETE CASCADE,
	plan text NOT NULL REFERENCES plans (name),
	status text NOT NULL DEFAULT 'active'
		CHECK (status IN ('trialing', 'active', 'past_due', 'canceled')),
	current_period_start timestamptz NOT NULL,
	current_period_end timestamptz NOT NULL CHECK (current_period_end > current_period_start),
	-- The provider's ids once the tenant has paid (checkout), and the `created` time of the
	-- last provider event applied: an older event arriving late changes nothing.
	provider_customer_id text UNIQUE CHECK (length(provider_customer_id) BETWEEN 1 AND 200),
	provider_subscription_id text CHECK (length(provider_subscription_id) BETWEEN 1 AND 200),
	provider_event_at timestamptz,
	created_at timestamptz NOT NULL DEFAULT now(),
	updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX subscriptions_plan ON subscriptions (plan);
CREATE INDEX subscriptions_provider_subscription ON subscriptions (provider_subscription_id);
CREATE TRIGGER subscriptions_touch BEFORE UPDATE ON subscriptions
	FOR EACH ROW EXECUTE FUNCTION touch_updated_at();
ALTER TABLE subscriptions ENABLE ROW LEVEL SECURITY;
ALTER TABLE subscriptions FORCE ROW LEVEL SECURITY;
CREATE POLICY subscriptions_tenant ON subscriptions FOR SELECT
	USING (tenant_id = (SELECT app_tenant_id()));
GRANT SELECT ON subscriptions TO menhir_app;

-- ---- Usage ------------------------------------------------------------------------------
-- One row per thing measured, keyed by an event id made of what it measures
-- ("document.created:<id>"), so the same event is never counted twice. Written by the
-- triggers below in the transaction of the change itself.
CREATE TABLE usage_events (
	tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
	id text NOT NULL CHECK (length(id) BETWEEN 1 AND 200),
	meter text NOT NULL CHECK (meter ~ '^[a-z][a-z0-9_.]{0,62}$'),
	quantity bigint NOT NULL,
	period_start timestamptz NOT NULL,
	created_at timestamptz NOT NULL DEFAULT now(),
	updated_at timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (tenant_id, id)
);
CREATE INDEX usage_events_meter ON usage_events (tenant_id, meter, period_start);

-- The events added up per tenant, meter and period; a gauge (documents, storage) has the
-- single period '-infinity'. The quota check is one atomic UPDATE of this row.
CREATE TABLE usage_counters (
	tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
	meter text NOT NULL CHECK (meter ~ '^[a-z][a-z0-9_.]{0,62}$'),
	period_start timestamptz NOT NULL,
	used bigint NOT NULL DEFAULT 0 CHECK (used >= 0),
	created_at timestamptz NOT NULL DEFAULT now(),
	updated_at timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (tenant_id, meter, period_start)
);
CREATE TRIGGER usage_counters_touch BEFORE UPDATE ON usage_counters
	FOR EACH ROW EXECUTE FUNCTION touch_updated_at();

ALTER TABLE usage_events ENABLE ROW LEVEL SECURITY;
ALTER TABLE usage_events FORCE ROW LEVEL SECURITY;
CREATE POLICY usage_events_tenant ON usage_events FOR SELECT
	USING (tenant_id = (SELECT app_tenant_id()));
ALTER TABLE usage_counters ENABLE ROW LEVEL SECURITY;
ALTER TABLE usage_counters FORCE ROW LEVEL SECURITY;
CREATE POLICY usage_counters_tenant ON usage_counters FOR SELECT
	USING (tenant_id = (SELECT app_tenant_id()));
GRANT SELECT ON usage_events, usage_counters TO menhir_app;

-- ---- The payment provider's events -------------------------------------------------------
-- Every verified webhook event, once (its id is the provider's): a redelivery finds its row
-- and queues nothing. Not a tenant's table: the event names its tenant only once processed.
CREATE TABLE billing_events (
	id text PRIMARY KEY CHECK (length(id) BETWEEN 1 AND 190),
	type text NOT NULL CHECK (length(type) BETWEEN 1 AND 100),
	created timestamptz NOT NULL,
	payload jsonb NOT NULL,
	tenant_id uuid REFERENCES tenants (id) ON DELETE SET NULL,
	-- What processing did: applied, stale (older than the subscription's state), ignored.
	outcome text CHECK (outcome IN ('applied', 'stale', 'ignored')),
	processed_at timestamptz,
	created_at timestamptz NOT NULL DEFAULT now(),
	updated_at timestamptz NOT NULL DEFAULT now()
);
ALTER TABLE billing_events ENABLE ROW LEVEL SECURITY;
ALTER TABLE billing_events FORCE ROW LEVEL SECURITY;
-- No policy and no grant: menhir_app reaches it only through the functions below.

GRANT SELECT ON plans, memberships, documents, document_files, tenants TO menhir_auth;
GRANT SELECT, INSERT, UPDATE ON subscriptions, usage_events, usage_counters, billing_events
	TO menhir_auth;

-- ---- Periods and limits -------------------------------------------------------------------

-- The tenant's current billing period: the subscription's, rolled forward month by month
-- while nothing (the provider) has moved it on, so a free tenant's quotas renew monthly.
CREATE FUNCTION billing_period(p_tenant uuid, OUT period_start timestamptz,
                               OUT period_end timestamptz)
	LANGUAGE plpgsql STABLE SECURITY DEFINER
	SET search_path = public, pg_temp
	AS $$
DECLARE
	n int;
BEGIN
	SELECT s.current_period_start, s.current_period_end INTO period_start, period_end
	  FROM subscriptions s WHERE s.tenant_id = p_tenant;
	IF NOT FOUND THEN
		period_start := date_trunc('month', now());
		period_end := period_start + interval '1 month';
		RETURN;
	END IF;
	IF now() >= period_end THEN
		n := (extract(year FROM age(now(), period_start)) * 12
		      + extract(month FROM age(now(), period_start)))::int;
		period_start := period_start + make_interval(months => n);
		period_end := period_start + interval '1 month';
		IF now() >= period_end THEN
			period_start := period_end;
			period_end := period_start + interval '1 month';
		END IF;
	END IF;
END
$$;

-- The tenant's plan row (the default plan when it has no subscription).
CREATE FUNCTION billing_plan_of(p_tenant uuid) RETURNS plans
	LANGUAGE sql STABLE SECURITY DEFINER
	SET search_path = public, pg_temp
	AS $$
	SELECT p.* FROM plans p
	 WHERE p.name = coalesce((SELECT s.plan FROM subscriptions s WHERE s.tenant_id = p_tenant),
	                         (SELECT d.name FROM plans d WHERE d.is_default))
$$;

-- The limit of a meter in the tenant's plan; NULL: unlimited.
CREATE FUNCTION billing_limit(p_plan plans, p_meter text) RETURNS bigint
	LANGUAGE sql IMMUTABLE
	AS $$
	SELECT CASE
		WHEN p_meter = 'seats' THEN p_plan.seats
		WHEN p_meter = 'documents' THEN p_plan.documents
		WHEN p_meter = 'storage_bytes' THEN p_plan.storage_bytes
		WHEN p_meter = 'jobs' THEN p_plan.jobs_per_month
		WHEN p_meter LIKE 'runs.%' THEN p_plan.runs_per_feature_per_month
	END
$$;

-- The refusal: SQLSTATE per kind of limit, the numbers as JSON in DETAIL.
CREATE FUNCTION billing_refuse(p_state text, p_meter text, p_limit bigint, p_used bigint,
                               p_period_start timestamptz, p_period_end timestamptz,
                               p_plan text) RETURNS void
	LANGUAGE plpgsql
	AS $$
BEGIN
	RAISE EXCEPTION 'the plan''s limit of % is reached', p_meter
		USING ERRCODE = p_state,
		      DETAIL = jsonb_build_object(
		              'meter', p_meter, 'limit', p_limit, 'used', p_used, 'plan', p_plan,
		              'period_end', to_char(p_period_end AT TIME ZONE 'UTC',
		                                    'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
		              'window', extract(epoch FROM p_period_end - p_period_start)::bigint,
		              'retry_after', CASE WHEN p_period_end IS NULL THEN NULL
		                  ELSE greatest(1, ceil(extract(epoch FROM p_period_end - now())))::bigint
		                  END)::text;
END
$$;

-- Records one usage event and adds it to its counter, refusing (p_state) when a positive
-- quantity would take the counter past the plan's limit. The same event id twice counts
-- once. The counter's row is updated with one atomic UPDATE ... WHERE used + q <= limit, so
-- concurrent requests against the last unit of a quota are serialised on that row and
-- exactly `limit` of them succeed.
CREATE FUNCTION billing_record(p_tenant uuid, p_event text, p_meter text, p_quantity bigint,
                               p_gauge boolean, p_state text) RETURNS void
	LANGUAGE plpgsql SECURITY DEFINER
	SET search_path = public, pg_temp
	AS $$
DECLARE
	pl plans;
	lim bigint;
	ps timestamptz;
	pe timestamptz;
	now_used bigint;
BEGIN
	SELECT b.period_start, b.period_end INTO ps, pe FROM billing_period(p_tenant) b;
	IF p_gauge THEN
		ps := '-infinity';
	END IF;
	INSERT INTO usage_events (tenant_id, id, meter, quantity, period_start)
	VALUES (p_tenant, p_event, p_meter, p_quantity, ps)
	ON CONFLICT (tenant_id, id) DO NOTHING;
	IF NOT FOUND THEN
		RETURN;
	END IF;
	IF p_quantity <= 0 THEN
		UPDATE usage_counters c SET used = greatest(0, c.used + p_quantity)
		 WHERE c.tenant_id = p_tenant AND c.meter = p_meter AND c.period_start = ps;
		RETURN;
	END IF;
	pl := billing_plan_of(p_tenant);
	lim := billing_limit(pl, p_meter);
	INSERT INTO usage_counters AS c (tenant_id, meter, period_start, used)
	VALUES (p_tenant, p_meter, ps, 0)
	ON CONFLICT (tenant_id, meter, period_start) DO NOTHING;
	UPDATE usage_counters c SET used = c.used + p_quantity
	 WHERE c.tenant_id = p_tenant AND c.meter = p_meter AND c.period_start = ps
	   AND (lim IS NULL OR c.used + p_quantity <= lim)
	RETURNING c.used INTO now_used;
	IF NOT FOUND THEN
		SELECT c.used INTO now_used FROM usage_counters c
		 WHERE c.tenant_id = p_tenant AND c.meter = p_meter AND c.period_start = ps;
		PERFORM billing_refuse(p_state, p_meter, lim, now_used,
		                       CASE WHEN p_gauge THEN NULL ELSE ps END,
		                       CASE WHEN p_gauge THEN NULL ELSE pe END, pl.name);
	END IF;
END
$$;

-- ---- Where resources are consumed ---------------------------------------------------------

-- `menhir admin seed` loads documents on several connections at once, each inserting slices of
-- every tenant: a counter row per tenant would serialise them (and its loaders commit only
-- together, so they would wait on each other for ever). The owner role's own sessions may
-- therefore say "bulk load" (SET LOCAL menhir.billing_bulk = 'on'): the gauges are not
-- counted row by row, and billing_recount() sets them from the rows once the load committed.
-- The application's role can set the same variable but is not the owner: it changes nothing.
CREATE FUNCTION billing_bulk_load() RETURNS boolean
	LANGUAGE sql STABLE
	AS $$ SELECT session_user = 'menhir_owner'
	             AND coalesce(current_setting('menhir.billing_bulk', true), '') = 'on' $$;

-- The gauges of one tenant from its rows (after a bulk load; menhir_owner only).
CREATE FUNCTION billing_recount(p_tenant uuid) RETURNS void
	LANGUAGE sql SECURITY DEFINER
	SET search_path = public, pg_temp
	AS $$
	INSERT INTO usage_counters AS c (tenant_id, meter, period_start, used)
	SELECT p_tenant, 'documents', '-infinity'::timestamptz,
	       (SELECT count(*) FROM documents d WHERE d.tenant_id = p_tenant AND d.deleted_at IS NULL)
	UNION ALL
	SELECT p_tenant, 'storage_bytes', '-infinity'::timestamptz,
	       (SELECT coalesce(sum(f.size), 0) FROM document_files f
	         WHERE f.tenant_id = p_tenant AND f.deleted_at IS NULL)
	ON CONFLICT (tenant_id, meter, period_start) DO UPDATE SET used = EXCLUDED.used
$$;

-- A document counts while it is live. Over the limit (after a downgrade) nothing is deleted:
-- the oldest `documents` live documents stay writable and the newer ones are read-only
-- until the tenant is under the limit again (deleting is always allowed).
CREATE FUNCTION billing_documents_meter() RETURNS trigger
	LANGUAGE plpgsql SECURITY DEFINER
	SET search_path = public, pg_temp
	AS $$
DECLARE
	lim bigint;
	used_ bigint;
BEGIN
	IF billing_bulk_load() THEN
		RETURN NEW;
	END IF;
	IF TG_OP = 'INSERT' THEN
		PERFORM billing_record(NEW.tenant_id, 'document.created:' || NEW.id, 'documents', 1,
		                       true, 'MHB03');
		RETURN NEW;
	END IF;
	IF OLD.deleted_at IS NULL AND NEW.deleted_at IS NOT NULL THEN
		PERFORM billing_record(NEW.tenant_id,
		                       'document.deleted:' || NEW.id || ':' || OLD.version,
		                       'documents', -1, true, 'MHB03');
		RETURN NEW;
	END IF;
	IF OLD.deleted_at IS NOT NULL AND NEW.deleted_at IS NULL THEN
		PERFORM billing_record(NEW.tenant_id,
		                       'document.restored:' || NEW.id || ':' || OLD.version,
		                       'documents', 1, true, 'MHB03');
		RETURN NEW;
	END IF;
	IF NEW.deleted_at IS NOT NULL THEN
		RETURN NEW;
	END IF;
	lim := billing_limit(billing_plan_of(NEW.tenant_id), 'documents');
	SELECT c.used INTO used_ FROM usage_counters c
	 WHERE c.tenant_id = NEW.tenant_id AND c.meter = 'documents' AND c.period_start = '-infinity';
	IF lim IS NOT NULL AND coalesce(used_, 0) > lim
	   AND (SELECT count(*) FROM documents d
	         WHERE d.tenant_id = NEW.tenant_id AND d.deleted_at IS NULL
	           AND (d.created_at, d.id) < (OLD.created_at, OLD.id)) >= lim THEN
		RAISE EXCEPTION 'this document is over the plan''s limit: read-only'
			USING ERRCODE = 'MHB03',
			      DETAIL = jsonb_build_object('meter', 'documents', 'limit', lim,
			                                  'used', used_, 'read_only', true)::text;
	END IF;
	RETURN NEW;
END
$$;
CREATE TRIGGER billing_documents_insert BEFORE INSERT ON documents
	FOR EACH ROW EXECUTE FUNCTION billing_documents_meter();
CREATE TRIGGER billing_documents_update BEFORE UPDATE ON documents
	FOR EACH ROW EXECUTE FUNCTION billing_documents_meter();

-- Stored bytes: a file counts its size while it is live.
CREATE FUNCTION billing_files_meter() RETURNS trigger
	LANGUAGE plpgsql SECURITY DEFINER
	SET search_path = public, pg_temp
	AS $$
BEGIN
	IF billing_bulk_load() THEN
		RETURN NEW;
	END IF;
	IF TG_OP = 'INSERT' THEN
		PERFORM billing_record(NEW.tenant_id, 'file.stored:' || NEW.id, 'storage_bytes',
		                       NEW.size, true, 'MHB13');
	ELSIF OLD.deleted_at IS NULL AND NEW.deleted_at IS NOT NULL THEN
		PERFORM billing_record(NEW.tenant_id, 'file.deleted:' || NEW.id, 'storage_bytes',
		                       -NEW.size, true, 'MHB13');
	END IF;
	RETURN NEW;
END
$$;
CREATE TRIGGER billing_files_insert BEFORE INSERT ON document_files
	FOR EACH ROW EXECUTE FUNCTION billing_files_meter();
CREATE TRIGGER billing_files_update BEFORE UPDATE ON document_files
	FOR EACH ROW EXECUTE FUNCTION billing_files_meter();

-- A processing job counts once against the month's jobs and once against its feature's runs
-- (retries of the same job count nothing more). Whether the plan includes the feature is
-- the processing module's check, before it queues the job and again when the job runs.
CREATE FUNCTION billing_jobs_meter() RETURNS trigger
	LANGUAGE plpgsql SECURITY DEFINER
	SET search_path = public, pg_temp
	AS $$
DECLARE
	f text := NEW.payload ->> 'feature';
BEGIN
	PERFORM billing_record(NEW.tenant_id, 'job:' || NEW.id, 'jobs', 1, false, 'MHB29');
	IF f ~ '^[a-z][a-z0-9_]{0,39}$' THEN
		PERFORM billing_record(NEW.tenant_id, 'job.run:' || NEW.id, 'runs.' || f, 1, false,
		                       'MHB29');
	END IF;
	RETURN NEW;
END
$$;

-- The cheapest plan that includes feature f, or NULL (the processing module names it in its
-- feature_not_in_plan answer).
CREATE FUNCTION billing_feature_plan(f text) RETURNS text
	LANGUAGE sql STABLE
	SET search_path = public, pg_temp
	AS $$ SELECT p.name FROM plans p WHERE f = ANY (p.features) ORDER BY p.rank LIMIT 1 $$;

CREATE TRIGGER billing_jobs_insert BEFORE INSERT ON jobs
	FOR EACH ROW WHEN (NEW.tenant_id IS NOT NULL AND NEW.kind = 'document.process')
	EXECUTE FUNCTION billing_jobs_meter();

-- Seats are counted, not metered: memberships are few, and a count under the subscription's
-- row lock cannot race. Joining again (an invitation's ON CONFLICT DO NOTHING) takes no
-- new seat.
CREATE FUNCTION billing_seats_check() RETURNS trigger
	LANGUAGE plpgsql SECURITY DEFINER
	SET search_path = public, pg_temp
	AS $$
DECLARE
	lim bigint;
	n bigint;
BEGIN
	PERFORM 1 FROM subscriptions s WHERE s.tenant_id = NEW.tenant_id FOR UPDATE;
	IF EXISTS (SELECT 1 FROM memberships m
	            WHERE m.tenant_id = NEW.tenant_id AND m.user_id = NEW.user_id) THEN
		RETURN NEW;
	END IF;
	lim := billing_limit(billing_plan_of(NEW.tenant_id), 'seats');
	SELECT count(*) INTO n FROM memberships m WHERE m.tenant_id = NEW.tenant_id;
	IF lim IS NOT NULL AND n + 1 > lim THEN
		PERFORM billing_refuse('MHB03', 'seats', lim, n, NULL, NULL, NULL);
	END IF;
	RETURN NEW;
END
$$;
CREATE TRIGGER billing_seats_insert BEFORE INSERT ON memberships
	FOR EACH ROW EXECUTE FUNCTION billing_seats_check();

-- Every new tenant starts on the default plan, this month.
CREATE FUNCTION billing_tenant_created() RETURNS trigger
	LANGUAGE plpgsql SECURITY DEFINER
	SET search_path = public, pg_temp
	AS $$
BEGIN
	INSERT INTO subscriptions (tenant_id, plan, status, current_period_start, current_period_end)
	SELECT NEW.id, p.name, 'active', date_trunc('month', now()),
	       date_trunc('month', now()) + interval '1 month'
	  FROM plans p WHERE p.is_default;
	RETURN NEW;
END
$$;
CREATE TRIGGER billing_tenant_created AFTER INSERT ON tenants
	FOR EACH ROW EXECUTE FUNCTION billing_tenant_created();

-- ---- What the tenant reads ---------------------------------------------------------------

-- The caller's tenant's meters: name, limit, used, period end (NULL for a gauge).
CREATE FUNCTION billing_usage()
	RETURNS TABLE (meter text, quota bigint, used bigint, period_end timestamptz)
	LANGUAGE plpgsql STABLE SECURITY DEFINER
	SET search_path = public, pg_temp
	AS $$
DECLARE
	t uuid := app_tenant_id();
	pl plans;
	ps timestamptz;
	pe timestamptz;
BEGIN
	IF t IS NULL THEN
		RETURN;
	END IF;
	pl := billing_plan_of(t);
	SELECT b.period_start, b.period_end INTO ps, pe FROM billing_period(t) b;
	RETURN QUERY
	SELECT 'seats'::text, pl.seats::bigint,
	       (SELECT count(*) FROM memberships m WHERE m.tenant_id = t), NULL::timestamptz;
	RETURN QUERY
	SELECT g.m, billing_limit(pl, g.m),
	       coalesce((SELECT c.used FROM usage_counters c WHERE c.tenant_id = t
	                    AND c.meter = g.m AND c.period_start = '-infinity'), 0),
	       NULL::timestamptz
	  FROM unnest(ARRAY['documents', 'storage_bytes']) g (m);
	RETURN QUERY
	SELECT g.m, billing_limit(pl, g.m),
	       coalesce((SELECT c.used FROM usage_counters c WHERE c.tenant_id = t
	                    AND c.meter = g.m AND c.period_start = ps), 0),
	       pe
	  FROM unnest(ARRAY['jobs'] || ARRAY(SELECT 'runs.' || f FROM unnest(pl.features) f)) g (m);
END
$$;

-- The caller's tenant's current period (billing_period of its own tenant only).
CREATE FUNCTION billing_current_period(OUT period_start timestamptz, OUT period_end timestamptz)
	LANGUAGE sql STABLE SECURITY DEFINER
	SET search_path = public, pg_temp
	AS $$ SELECT b.period_start, b.period_end FROM billing_period(app_tenant_id()) b $$;

-- The features of the caller's tenant's plan (the processing module asks before queueing).
CREATE FUNCTION billing_plan_features() RETURNS text[]
	LANGUAGE sql STABLE SECURITY DEFINER
	SET search_path = public, pg_temp
	AS $$ SELECT (billing_plan_of(app_tenant_id())).features $$;

-- ---- The payment provider's webhook ---------------------------------------------------------

-- Records a verified event once and queues its processing as a system job. Returns true
-- when new, false for a redelivery (nothing queued).
CREATE FUNCTION billing_event_receive(p_id text, p_type text, p_created bigint, p_payload jsonb)
	RETURNS boolean
	LANGUAGE plpgsql SECURITY DEFINER
	SET search_path = public, pg_temp
	AS $$
BEGIN
	INSERT INTO billing_events (id, type, created, payload)
	VALUES (p_id, p_type, to_timestamp(p_created), p_payload)
	ON CONFLICT (id) DO NOTHING;
	IF NOT FOUND THEN
		RETURN false;
	END IF;
	INSERT INTO jobs (tenant_id, kind, payload, unique_key, max_attempts)
	VALUES (NULL, 'billing.event', jsonb_build_object('event_id', p_id), 'billing:' || p_id, 10);
	RETURN true;
END
$$;

-- The provider's subscription status in ours.
CREATE FUNCTION billing_status_of(p text) RETURNS text
	LANGUAGE sql IMMUTABLE
	AS $$ SELECT CASE p WHEN 'trialing' THEN 'trialing' WHEN 'active' THEN 'active'
	                    WHEN 'canceled' THEN 'canceled' WHEN 'incomplete_expired' THEN 'canceled'
	                    ELSE 'past_due' END $$;

-- Applies one recorded event to its tenant's subscription. Out-of-order delivery: an event
-- created before the last one applied is stale and changes nothing; at the same second a
-- `created` event never overrides what an update already set; a subscription the provider
-- deleted stays canceled whatever arrives about it later. Returns the tenant (NULL when the
-- event names none we know) and the outcome.
CREATE FUNCTION billing_event_apply(p_id text, OUT tenant uuid, OUT outcome text)
	LANGUAGE plpgsql SECURITY DEFINER
	SET search_path = public, pg_temp
	AS $$
DECLARE
	e billing_events;
	o jsonb;
	s subscriptions;
	sub_id text;
	cust text;
	new_plan text;
	new_status text;
	ps timestamptz;
	pe timestamptz;
	default_plan text := (SELECT d.name FROM plans d WHERE d.is_default);
BEGIN
	SELECT * INTO e FROM billing_events x WHERE x.id = p_id FOR UPDATE;
	IF NOT FOUND OR e.processed_at IS NOT NULL THEN
		tenant := e.tenant_id; outcome := coalesce(e.outcome, 'ignored');
		RETURN;
	END IF;
	o := e.payload -> 'data' -> 'object';
	cust := o ->> 'customer';
	sub_id := CASE WHEN o ->> 'object' = 'subscription' THEN o ->> 'id'
	               ELSE o ->> 'subscription' END;
	-- Which tenant: the one we named when we created the checkout (metadata or the client
	-- reference), else the one that holds the customer or the subscription.
	BEGIN
		tenant := coalesce(nullif(o -> 'metadata' ->> 'tenant_id', ''),
		                   nullif(o ->> 'client_reference_id', ''))::uuid;
	EXCEPTION WHEN invalid_text_representation THEN
		tenant := NULL;
	END;
	IF tenant IS NULL OR NOT EXISTS (SELECT 1 FROM tenants x WHERE x.id = tenant) THEN
		SELECT x.tenant_id INTO tenant FROM subscriptions x
		 WHERE (cust IS NOT NULL AND x.provider_customer_id = cust)
		    OR (sub_id IS NOT NULL AND x.provider_subscription_id = sub_id)
		 LIMIT 1;
	END IF;
	SELECT * INTO s FROM subscriptions x WHERE x.tenant_id = tenant FOR UPDATE;
	IF NOT FOUND THEN
		outcome := 'ignored';
	ELSIF s.provider_event_at IS NOT NULL
	      AND (e.created < s.provider_event_at
	           OR (e.created = s.provider_event_at
	               AND e.type IN ('customer.subscription.created',
	                              'checkout.session.completed'))) THEN
		outcome := 'stale';
	ELSIF s.status = 'canceled' AND sub_id IS NOT NULL
	      AND s.provider_subscription_id = sub_id
	      AND e.type <> 'customer.subscription.deleted' THEN
		outcome := 'stale';
	ELSE
		new_plan := s.plan;
		new_status := s.status;
		ps := s.current_period_start;
		pe := s.current_period_end;
		IF e.type = 'checkout.session.completed' THEN
			new_plan := coalesce((SELECT p.name FROM plans p
			                       WHERE p.name = o -> 'metadata' ->> 'plan'), new_plan);
			new_status := 'active';
		ELSIF e.type IN ('customer.subscription.created', 'customer.subscription.updated') THEN
			new_plan := coalesce((SELECT p.name FROM plans p WHERE p.price_id =
			                        o #>> '{items,data,0,price,id}'), new_plan);
			new_status := billing_status_of(o ->> 'status');
			IF new_status = 'canceled' THEN
				new_plan := default_plan;
			END IF;
			ps := coalesce(to_timestamp((coalesce(o ->> 'current_period_start',
			                             o #>> '{items,data,0,current_period_start}'))::bigint), ps);
			pe := coalesce(to_timestamp((coalesce(o ->> 'current_period_end',
			                             o #>> '{items,data,0,current_period_end}'))::bigint), pe);
		ELSIF e.type = 'customer.subscription.deleted' THEN
			new_plan := default_plan;
			new_status := 'canceled';
		ELSIF e.type = 'invoice.paid' THEN
			new_status := CASE WHEN s.status = 'canceled' THEN s.status ELSE 'active' END;
		ELSIF e.type = 'invoice.payment_failed' THEN
			new_status := CASE WHEN s.status = 'canceled' THEN s.status ELSE 'past_due' END;
		END IF;
		IF pe <= ps THEN
			ps := s.current_period_start; pe := s.current_period_end;
		END IF;
		UPDATE subscriptions x
		   SET plan = new_plan, status = new_status, current_period_start = ps,
		       current_period_end = pe,
		       provider_customer_id = coalesce(cust, x.provider_customer_id),
		       provider_subscription_id = coalesce(sub_id, x.provider_subscription_id),
		       provider_event_at = e.created
		 WHERE x.tenant_id = tenant;
		INSERT INTO audit_log (tenant_id, actor_id, action, target, request_id)
		VALUES (tenant, NULL, 'subscription.changed',
		        new_plan || ' ' || new_status || ' ' || e.type, 'billing:' || e.id);
		-- The workers' cached limits are told by a job of its own: it can run only once
		-- this transaction committed, so no worker can read the old plan after being told.
		INSERT INTO jobs (tenant_id, kind, payload, max_attempts)
		VALUES (NULL, 'billing.limits_changed', jsonb_build_object('tenant_id', tenant), 10);
		outcome := 'applied';
	END IF;
	UPDATE billing_events x SET tenant_id = tenant, outcome = billing_event_apply.outcome,
	       processed_at = now()
	 WHERE x.id = p_id;
END
$$;

-- The provider ids of the caller's tenant, for the checkout and the portal.
CREATE FUNCTION billing_customer()
	RETURNS TABLE (customer_id text, plan text, status text)
	LANGUAGE sql STABLE SECURITY DEFINER
	SET search_path = public, pg_temp
	AS $$
	SELECT s.provider_customer_id, s.plan, s.status FROM subscriptions s
	 WHERE s.tenant_id = app_tenant_id()
$$;

-- `menhir admin set-plan` (menhir_owner only): the operator's word, whatever the provider
-- said last; provider events created before it no longer apply.
CREATE FUNCTION billing_admin_set_plan(p_tenant text, p_plan text)
	RETURNS TABLE (tenant_id uuid, plan text, status text)
	LANGUAGE plpgsql SECURITY DEFINER
	SET search_path = public, pg_temp
	AS $$
DECLARE
	t uuid := (SELECT x.id FROM tenants x WHERE x.id::text = lower(p_tenant) OR x.slug = p_tenant
	            LIMIT 1);
BEGIN
	IF NOT EXISTS (SELECT 1 FROM plans p WHERE p.name = p_plan) THEN
		RAISE EXCEPTION 'no such plan: %', p_plan USING ERRCODE = 'MH404';
	END IF;
	UPDATE subscriptions s
	   SET plan = p_plan, status = CASE WHEN s.status = 'canceled' THEN 'active' ELSE s.status END,
	       provider_event_at = greatest(s.provider_event_at, now())
	 WHERE s.tenant_id = t;
	IF NOT FOUND THEN
		RAISE EXCEPTION 'no such tenant: %', p_tenant USING ERRCODE = 'MH404';
	END IF;
	INSERT INTO audit_log (tenant_id, actor_id, action, target, request_id)
	VALUES (t, NULL, 'subscription.changed', p_plan || ' admin', 'admin');
	RETURN QUERY SELECT s.tenant_id, s.plan, s.status FROM subscriptions s WHERE s.tenant_id = t;
END
$$;
ALTER FUNCTION billing_admin_set_plan(text, text) OWNER TO menhir_auth;
REVOKE ALL ON FUNCTION billing_admin_set_plan(text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION billing_admin_set_plan(text, text) TO menhir_owner;
ALTER FUNCTION billing_recount(uuid) OWNER TO menhir_auth;
REVOKE ALL ON FUNCTION billing_recount(uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION billing_recount(uuid) TO menhir_owner;

-- ---- Existing tenants -----------------------------------------------------------------------
-- Every tenant gets its subscription on the default plan, and the gauges their current
-- values (deleted rows do not count). The owner is subject to the tables' policies (FORCE),
-- which show it no tenant: they are lifted for the backfill only.
ALTER TABLE tenants NO FORCE ROW LEVEL SECURITY;
ALTER TABLE subscriptions NO FORCE ROW LEVEL SECURITY;
ALTER TABLE usage_counters NO FORCE ROW LEVEL SECURITY;
INSERT INTO subscriptions (tenant_id, plan, status, current_period_start, current_period_end)
SELECT t.id, 'free', 'active', date_trunc('month', now()),
       date_trunc('month', now()) + interval '1 month'
  FROM tenants t;
ALTER TABLE documents NO FORCE ROW LEVEL SECURITY;
ALTER TABLE document_files NO FORCE ROW LEVEL SECURITY;
INSERT INTO usage_counters (tenant_id, meter, period_start, used)
SELECT d.tenant_id, 'documents', '-infinity', count(*)
  FROM documents d WHERE d.deleted_at IS NULL GROUP BY d.tenant_id;
INSERT INTO usage_counters (tenant_id, meter, period_start, used)
SELECT f.tenant_id, 'storage_bytes', '-infinity', sum(f.size)
  FROM document_files f WHERE f.deleted_at IS NULL GROUP BY f.tenant_id;
ALTER TABLE documents FORCE ROW LEVEL SECURITY;
ALTER TABLE document_files FORCE ROW LEVEL SECURITY;
ALTER TABLE usage_counters FORCE ROW LEVEL SECURITY;
ALTER TABLE subscriptions FORCE ROW LEVEL SECURITY;
ALTER TABLE tenants FORCE ROW LEVEL SECURITY;

-- Features follow the plan now: a feature is on when the plan includes it, unless an admin
-- switched it off. A row that only said "on" says nothing any more.
ALTER TABLE tenant_features NO FORCE ROW LEVEL SECURITY;
DELETE FROM tenant_features f WHERE f.enabled;
ALTER TABLE tenant_features FORCE ROW LEVEL SECURITY;

DO $$
DECLARE
	f text;
BEGIN
	FOREACH f IN ARRAY ARRAY[
		'billing_period(uuid)',
		'billing_plan_of(uuid)',
		'billing_record(uuid,text,text,bigint,boolean,text)',
		'billing_documents_meter()',
		'billing_files_meter()',
		'billing_jobs_meter()',
		'billing_seats_check()',
		'billing_tenant_created()',
		'billing_usage()',
		'billing_current_period()',
		'billing_plan_features()',
		'billing_event_receive(text,text,bigint,jsonb)',
		'billing_event_apply(text)',
		'billing_customer()']
	LOOP
		EXECUTE format('ALTER FUNCTION %s OWNER TO menhir_auth', f);
		EXECUTE format('REVOKE ALL ON FUNCTION %s FROM PUBLIC', f);
	END LOOP;
	FOREACH f IN ARRAY ARRAY[
		'billing_usage()',
		'billing_current_period()',
		'billing_plan_features()',
		'billing_event_receive(text,text,bigint,jsonb)',
		'billing_event_apply(text)',
		'billing_customer()']
	LOOP
		EXECUTE format('GRANT EXECUTE ON FUNCTION %s TO menhir_app', f);
	END LOOP;
END
$$;
