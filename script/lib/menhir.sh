# script/lib/menhir.sh — the local stack's `menhir migrate` and `menhir serve`.
# shellcheck shell=bash
# Sourced by script/stack after common.sh and pg.sh; uses STATE and the MENHIR_* knobs.

# menhir_bin: the binary under test (MENHIR_BIN, or ./menhir at the checkout's root).
menhir_bin() {
	local bin=${MENHIR_BIN:-$MH_ROOT/menhir}
	[[ -x $bin ]] || mh_die "$bin not found (run script/bootstrap, or set MENHIR_BIN)"
	printf '%s\n' "$bin"
}

menhir_pid() {
	local pid
	pid=$(mh_pidfile_pid "$STATE/menhir.pid")
	if [[ -n $pid ]] && mh_pid_alive "$pid"; then
		printf '%s\n' "$pid"
	fi
}

# menhir_render: STATE/menhir.conf, every key spelt out so the file alone describes the stack.
# 0600: its database and Redis URLs carry the stack's passwords.
menhir_render() {
	(umask 077 && cat >"$STATE/menhir.conf.tmp") <<CONF
# Rendered by script/stack for the local stack in $STATE; rewritten on every start of menhir.
socket = $STATE/menhir.sock
# The local nginx runs as the same user as menhir (see nginx.conf), so owner-only access suffices.
socket_mode = 0600
listen_backlog = 1024
workers = $MENHIR_WORKERS
max_requests = 10000
request_timeout = $MENHIR_REQUEST_TIMEOUT
shutdown_timeout = 30
body_limit = 1048576
database_url = $(pg_conninfo menhir_app)
migrate_database_url = $(pg_conninfo menhir_owner)
db_statement_timeout = 5000
# A streaming replica for reads, while script/stack replica-start keeps one (else empty).
database_replica_url = $(replica_conninfo menhir_app)
replica_max_lag = ${MENHIR_REPLICA_MAX_LAG:-1000}
redis_url = $(redis_url_with_password 0)
redis_timeout = 500
schema_dir = $MH_ROOT/schema
log_level = $MENHIR_LOG_LEVEL
retry_after = 5
enable_test_routes = $MENHIR_ENABLE_TEST_ROUTES
keys_dir = $STATE/keys
jwt_issuer = https://localhost:$MENHIR_HTTPS_PORT
jwt_audience = menhir-api
access_token_ttl = 900
refresh_token_ttl = 604800
refresh_reuse_grace = 10
api_key_touch_interval = ${MENHIR_API_KEY_TOUCH_INTERVAL:-2}
password_time_cost = ${MENHIR_PASSWORD_TIME_COST:-3}
password_memory_kib = ${MENHIR_PASSWORD_MEMORY_KIB:-65536}
password_parallelism = 1
login_max_failures = 5
login_lockout = 900
allowed_origins = https://localhost:$MENHIR_HTTPS_PORT https://127.0.0.1:$MENHIR_HTTPS_PORT
cookie_secure = true
upload_limit = 10485760
storage_dir = $STATE/files
events_socket = $STATE/events/events.sock
events_timeout = 250
# script/cluster: live events reach every host through Redis (README "Scaling out").
events_relay = ${MENHIR_EVENTS_RELAY:-false}
work_concurrency = ${MENHIR_WORK_CONCURRENCY:-2}
jobs_lease = ${MENHIR_JOBS_LEASE:-30}
jobs_poll = ${MENHIR_JOBS_POLL:-5}
jobs_backoff_base = ${MENHIR_JOBS_BACKOFF_BASE:-2000}
jobs_backoff_max = ${MENHIR_JOBS_BACKOFF_MAX:-600}
jobs_max_attempts = 5
jobs_cleanup_every = 3600
jobs_keep_days = 30
webhook_allow_private = ${MENHIR_WEBHOOK_ALLOW_PRIVATE:-false}
webhook_timeout = 10000
webhook_max_attempts = 8
# Mail goes to the local mailbox (t/smtp_receiver) over STARTTLS, required as in production;
# the mailbox shows the stack's own certificate, which smtp_ca_file trusts (verification on).
mail_from = noreply@menhir.localhost
mail_from_name = Menhir (local)
smtp_url = smtp://127.0.0.1:$MENHIR_SMTP_PORT
smtp_starttls = true
smtp_ca_file = $STATE/tls/cert.pem
smtp_timeout = 5000
mail_max_attempts = 6
mail_templates_dir = $MH_ROOT/src/modules/mail/templates
public_url = https://localhost:$MENHIR_HTTPS_PORT
mail_cooldown = ${MENHIR_MAIL_COOLDOWN:-60}
mail_ip_max = ${MENHIR_MAIL_IP_MAX:-30}
invite_max = 50
# The payment provider: a loopback address the billing suite listens on; the secrets are the
# stack's own (STATE/secrets), the webhook's previous one for the rotation tests.
billing_api_url = http://127.0.0.1:${MENHIR_BILLING_PORT:-9}
billing_api_key_file = $(mh_secret_file billing_api_key)
billing_webhook_secret_file = $(mh_secret_file billing_webhook)
billing_webhook_secret_previous_file = $(mh_secret_file billing_webhook_previous)
billing_timeout = 3000
billing_return_url = https://localhost:$MENHIR_HTTPS_PORT/billing
unverified_deny = invite api_keys
CONF
	chmod 0600 "$STATE/menhir.conf.tmp"
	mv "$STATE/menhir.conf.tmp" "$STATE/menhir.conf"
}

# menhir_keys: the first start makes a signing key (later starts keep the existing ones, so
# tokens survive a restart of the stack).
menhir_keys() {
	local bin=$1
	if [[ ! -s $STATE/keys/active ]]; then
		menhir_run "$bin" --config "$STATE/menhir.conf" keys rotate </dev/null \
			>>"$STATE/menhir.log" 2>&1 || mh_die "menhir keys rotate failed (log: $STATE/menhir.log)"
	fi
}

# menhir_run ARGS...: run the binary with only the rendered config describing it. Menhir
# reads any MENHIR_<KEY> from its environment as an override, and our knobs share that
# prefix (MENHIR_WORKERS is meant for us, MENHIR_HTTPS_PORT is not a Menhir key at all), so
# the child gets none of them: what runs is exactly what menhir.conf says.
menhir_env_args() {
	local v
	MENHIR_ENV_ARGS=()
	for v in ${!MENHIR_@}; do MENHIR_ENV_ARGS+=(-u "$v"); done
	MENHIR_ENV_ARGS+=("MENHIR_CONFIG=$STATE/menhir.conf")
}

menhir_run() {
	menhir_env_args
	env "${MENHIR_ENV_ARGS[@]}" "$@"
}

menhir_migrate() {
	local bin=$1
	if ! menhir_run "$bin" --config "$STATE/menhir.conf" migrate </dev/null >>"$STATE/menhir.log" 2>&1; then
		tail -n 30 "$STATE/menhir.log" >&2 || true
		mh_die "menhir migrate failed (log: $STATE/menhir.log)"
	fi
}

menhir_start() {
	local bin pid sock=$STATE/menhir.sock tries=300
	pid=$(menhir_pid)
	if [[ -n $pid ]]; then
		mh_info "menhir already running (pid $pid)"
		return 0
	fi
	bin=$(menhir_bin)
	# sun_path holds 108 bytes; a deep checkout would make bind() fail obscurely.
	((${#sock} <= 104)) || mh_die "socket path too long for a Unix socket: $sock (use a shorter state dir)"
	menhir_render
	menhir_migrate "$bin"
	menhir_keys "$bin"
	# A socket left by a killed master would make the wait below succeed too early.
	rm -f "$sock"
	menhir_env_args
	# 9>&-: the pool must not inherit script/stack's lock on STATE/.lock.
	# setsid and env both exec, so $! is the master's own PID; setsid keeps a Ctrl-C at
	# script/server's terminal from reaching the pool (its trap stops it gracefully instead).
	setsid env "${MENHIR_ENV_ARGS[@]}" "$bin" --config "$STATE/menhir.conf" serve \
		</dev/null >>"$STATE/menhir.log" 2>&1 9>&- &
	pid=$!
	printf '%s\n' "$pid" >"$STATE/menhir.pid"
	until [[ -S $sock ]]; do
		mh_pid_alive "$pid" || {
			tail -n 30 "$STATE/menhir.log" >&2 || true
			mh_die "menhir serve exited (log: $STATE/menhir.log)"
		}
		((tries-- > 0)) || mh_die "menhir serve did not create $sock within 30 s"
		sleep 0.1
	done
	mh_info "menhir started (pid $pid, $MENHIR_WORKERS workers)"
}

# menhir_stop: SIGTERM the master (a graceful stop: workers finish in-flight requests),
# SIGKILL it and its children after 30 s.
menhir_stop() {
	local pid kids
	pid=$(menhir_pid)
	if [[ -z $pid ]]; then
		rm -f "$STATE/menhir.pid"
		return 0
	fi
	kill -TERM "$pid" 2>/dev/null || true
	if ! mh_wait_dead "$pid" 30; then
		kids=$(ps -o pid= --ppid "$pid" 2>/dev/null | tr -s ' \n' ' ' || true)
		mh_warn "menhir (pid $pid) still running after 30 s; sending SIGKILL to it and workers $kids"
		# shellcheck disable=SC2086 # word splitting of the PID list is intended
		kill -KILL "$pid" $kids 2>/dev/null || true
		mh_wait_dead "$pid" 5 || true
	fi
	rm -f "$STATE/menhir.pid"
	mh_info "menhir stopped (pid $pid)"
}

work_pid() {
	local pid
	pid=$(mh_pidfile_pid "$STATE/work.pid")
	if [[ -n $pid ]] && mh_pid_alive "$pid"; then
		printf '%s\n' "$pid"
	fi
}

# work_start: `menhir work` (the job runners) next to the pool, with the same config; its log
# is STATE/work.log. Runs after menhir_start, which rendered the config and migrated.
work_start() {
	local bin pid
	pid=$(work_pid)
	if [[ -n $pid ]]; then
		mh_info "menhir work already running (pid $pid)"
		return 0
	fi
	bin=$(menhir_bin)
	[[ -f $STATE/menhir.conf ]] || menhir_render
	menhir_env_args
	setsid env "${MENHIR_ENV_ARGS[@]}" "$bin" --config "$STATE/menhir.conf" work \
		</dev/null >>"$STATE/work.log" 2>&1 9>&- &
	pid=$!
	printf '%s\n' "$pid" >"$STATE/work.pid"
	sleep 0.2
	mh_pid_alive "$pid" || {
		tail -n 30 "$STATE/work.log" >&2 || true
		mh_die "menhir work exited (log: $STATE/work.log)"
	}
	mh_info "menhir work started (pid $pid)"
}

# work_stop: SIGTERM (runners finish their current job), SIGKILL after 30 s.
work_stop() {
	local pid
	pid=$(work_pid)
	if [[ -z $pid ]]; then
		rm -f "$STATE/work.pid"
		return 0
	fi
	kill -TERM "$pid" 2>/dev/null || true
	if ! mh_wait_dead "$pid" 30; then
		mh_warn "menhir work (pid $pid) still running after 30 s; sending SIGKILL"
		kill -KILL "$pid" 2>/dev/null || true
		mh_wait_dead "$pid" 5 || true
	fi
	rm -f "$STATE/work.pid"
	mh_info "menhir work stopped (pid $pid)"
}
