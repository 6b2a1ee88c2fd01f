# script/lib/replica.sh — an optional streaming replica of the local stack's PostgreSQL, for
# shellcheck shell=bash
# the read-replica tests (t/it_replica.c) and for trying `database_replica_url` by hand.
# Sourced by script/stack after pg.sh and menhir.sh; uses STATE, PG_* (pg_layout) and
#
#   MENHIR_REPLICA_APPLY_DELAY [0]  ms the replica waits before applying a commit
#                                    (recovery_min_apply_delay): a lagging replica on demand
#   MENHIR_REPLICA_MAX_LAG [1000]   Menhir's replica_max_lag (ms)
#   MENHIR_PG_REPLICA_PORT [free]   its port; MENHIR_PG_REPLICA_HOST [its socket] where
#                                    Menhir reaches it (script/cluster: another host)
#
# `replica-start` takes a base backup of the running primary (pg_basebackup as a REPLICATION
# role with its own password), starts it as a hot standby on a free loopback port
# (primary_conninfo, standby.signal), writes database_replica_url into menhir.conf and
# reloads menhir serve (SIGHUP: new workers read from it). `replica-stop` undoes all that.
# The replica's port lives in STATE/replica.port, which menhir_render reads.

replica_dir() { printf '%s\n' "$PG_HOME/replica"; }
replica_run() { printf '%s\n' "$PG_HOME/replicarun"; }

replica_port() {
	[[ -s $STATE/replica.port ]] && printf '%s\n' "$(<"$STATE/replica.port")"
	return 0
}

replica_pid() {
	local pid
	pid=$(mh_pidfile_pid "$(replica_dir)/postmaster.pid" 2>/dev/null || true)
	if [[ -n $pid ]] && mh_pid_alive "$pid" postgres; then
		printf '%s\n' "$pid"
	fi
}

# replica_conninfo USER: like pg_conninfo, on the replica's socket ("" without a replica).
replica_conninfo() {
	local port
	port=$(replica_port)
	[[ -n $port ]] || return 0
	printf 'host=%s port=%s dbname=menhir user=%s password=%s' \
		"$(mh_pqq "${MENHIR_PG_REPLICA_HOST:-$(replica_run)}")" "$port" "$1" "$(mh_secret "pg-$1")"
}

# replica_reload_menhir: re-render menhir.conf (database_replica_url follows
# STATE/replica.port) and SIGHUP the pool, which starts workers with it before the old go.
replica_reload_menhir() {
	local pid
	pid=$(menhir_pid)
	[[ -n $pid ]] || return 0
	menhir_render
	kill -HUP "$pid"
}

replica_postmaster_start() {
	pg_as_owner "$(pg_bindir)/pg_ctl" start -D "$(replica_dir)" -l "$PG_HOME/replica.log" -w \
		-t 60 -s >/dev/null 9>&- || {
		tail -n 30 "$PG_HOME/replica.log" >&2 || true
		mh_die "the replica did not start"
	}
}

# replica_pg_stop / replica_pg_start: stop and start the replica's server only, keeping it
# configured in menhir.conf (fault tests: a replica that is down).
replica_pg_stop() {
	local pid
	pg_layout
	pid=$(replica_pid)
	[[ -n $pid ]] || return 0
	pg_as_owner "$(pg_bindir)/pg_ctl" stop -D "$(replica_dir)" -m immediate -w -t 60 -s \
		>/dev/null || mh_warn "pg_ctl stop failed for the replica (pid $pid)"
	mh_info "replica stopped (pid $pid); menhir still configured with it"
}

replica_pg_start() {
	pg_layout
	[[ -f $(replica_dir)/standby.signal ]] || mh_die "no replica in $STATE (replica-start)"
	[[ -n $(replica_pid) ]] || replica_postmaster_start
}

replica_start() {
	local bin dir run port
	pg_layout
	[[ -n $(pg_pid) ]] || mh_die "the primary is not running (script/stack start first)"
	if [[ -n $(replica_pid) ]]; then
		mh_info "replica already running (pid $(replica_pid))"
		return 0
	fi
	bin=$(pg_bindir)
	dir=$(replica_dir)
	run=$(replica_run)
	port=${MENHIR_PG_REPLICA_PORT:-$(mh_free_port "$MENHIR_PG_PORT")}
	# The role that streams WAL: REPLICATION only, its own password (through stdin).
	printf "DO \$\$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'menhir_replicator')
THEN CREATE ROLE menhir_replicator WITH REPLICATION LOGIN; END IF; END \$\$;
ALTER ROLE menhir_replicator PASSWORD '%s';\n" "$(mh_secret pg-menhir_replicator)" |
		pg_psql_super "$bin" >/dev/null || mh_die "cannot create the replication role"
	rm -rf "$dir" "$run"
	# As pg_init does: the home may be root's (STATE), so root makes the folders and hands
	# them to the cluster's owner.
	mkdir -p "$dir" "$run"
	touch "$PG_HOME/replica.log"
	((EUID != 0)) || chown postgres:postgres "$dir" "$run" "$PG_HOME/replica.log"
	chmod 0700 "$dir" "$run"
	# The password reaches pg_basebackup through a 0600 file of the cluster owner's, never
	# a command line.
	pg_as_owner sh -c "umask 077 && cat >'$run/pgpass'" <<EOF
*:*:*:menhir_replicator:$(mh_secret pg-menhir_replicator)
EOF
	pg_as_owner env PGPASSFILE="$run/pgpass" "$bin/pg_basebackup" -D "$dir" -X stream --checkpoint=fast \
		--no-sync -d "host=$(mh_pqq "$PG_RUN") port=$MENHIR_PG_PORT user=menhir_replicator" \
		>"$STATE/replica-basebackup.log" 2>&1 || {
		cat "$STATE/replica-basebackup.log" >&2
		mh_die "pg_basebackup failed"
	}
	pg_as_owner touch "$dir/standby.signal"
	# The replica's own settings; primary_conninfo names the password file, so the
	# password is in no configuration file either.
	pg_as_owner sh -c "umask 077 && cat >'$dir/menhir_stack.conf'" <<EOF
port = $port
listen_addresses = '127.0.0.1${MENHIR_PG_LISTEN:+,$MENHIR_PG_LISTEN}'
unix_socket_directories = '$run'
primary_conninfo = 'host=$PG_RUN port=$MENHIR_PG_PORT user=menhir_replicator passfile=$run/pgpass application_name=menhir_replica'
hot_standby = on
recovery_min_apply_delay = '${MENHIR_REPLICA_APPLY_DELAY:-0}ms'
EOF
	replica_postmaster_start
	printf '%s\n' "$port" >"$STATE/replica.port"
	mh_info "replica started (pid $(replica_pid), port $port, apply delay ${MENHIR_REPLICA_APPLY_DELAY:-0} ms)"
	# What the tests use to pause replay (superuser on the replica); 0600 like env.
	(umask 077 && replica_conninfo postgres | sed 's/dbname=menhir/dbname=postgres/' \
		>"$STATE/replica.super")
	replica_reload_menhir
}

replica_stop() {
	local bin pid dir
	[[ -f $STATE/pg.home ]] || return 0
	pg_layout
	rm -f "$STATE/replica.port" "$STATE/replica.super"
	replica_reload_menhir
	dir=$(replica_dir)
	pid=$(replica_pid)
	if [[ -n $pid ]]; then
		bin=$(pg_bindir)
		pg_as_owner "$bin/pg_ctl" stop -D "$dir" -m fast -w -t 60 -s >/dev/null ||
			mh_warn "pg_ctl stop failed for the replica (pid $pid)"
		mh_info "replica stopped (pid $pid)"
	fi
	rm -rf "$dir" "$(replica_run)"
}
