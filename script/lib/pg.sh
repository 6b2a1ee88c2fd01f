# script/lib/pg.sh — the local stack's throw-away PostgreSQL cluster (loopback, trust auth).
# shellcheck shell=bash
# Sourced by script/stack after common.sh; uses STATE (the state folder) and MENHIR_PG_PORT.
#
# PostgreSQL refuses to run as root, so as root the cluster runs as the `postgres` user of
# the Debian package, otherwise as the invoking user. `postgres` may be unable to reach the
# state folder (a checkout under /root, a 0700 mktemp dir), and a Unix socket path must fit
# in 107 bytes; in either case the cluster lives in a private dir under /tmp that `postgres`
# owns. STATE/pg.home records where the cluster lives (STATE itself or that private dir), and
# STATE/pg, pgrun and pg.log are then symlinks to it, so the layout of doc/stack.md holds.

# pg_bindir: PostgreSQL's server binaries (Debian keeps them off PATH, per major version).
pg_bindir() {
	if [[ -n ${MENHIR_PG_BIN:-} ]]; then
		printf '%s\n' "$MENHIR_PG_BIN"
		return
	fi
	local dir
	dir=$(find /usr/lib/postgresql -maxdepth 2 -name bin -type d 2>/dev/null | sort -V | tail -n 1)
	[[ -n $dir ]] || dir=$(dirname "$(command -v pg_ctl 2>/dev/null || echo /nonexistent/pg_ctl)")
	[[ -x $dir/pg_ctl ]] || mh_die "PostgreSQL server binaries not found (run script/bootstrap)"
	printf '%s\n' "$dir"
}

# pg_as_owner CMD...: run CMD as the user that owns the cluster. From / because runuser
# keeps the working directory, and `postgres` may not be allowed into ours.
pg_as_owner() {
	if ((EUID == 0)); then
		(cd / && runuser -u postgres -- "$@")
	else
		"$@"
	fi
}

# pg_home_usable DIR: the cluster owner can reach DIR and the socket path fits.
pg_home_usable() {
	local dir=$1 sock="$1/pgrun/.s.PGSQL.${MENHIR_PG_PORT:-54329}"
	((${#sock} <= 100)) || return 1
	((EUID == 0)) || return 0
	# Root creates pg/ and pgrun/ and hands them over, so `postgres` only needs to get in.
	pg_as_owner test -x "$dir" 2>/dev/null
}

# pg_layout: set PG_HOME, PG_DATA, PG_RUN, PG_LOG from STATE, choosing a home the first time.
pg_layout() {
	local home=
	[[ -f $STATE/pg.home ]] && home=$(<"$STATE/pg.home")
	# A recorded private home that vanished (a reboot cleaned /tmp) means a fresh cluster.
	if [[ -z $home || ! -d $home ]]; then
		if pg_home_usable "$STATE"; then
			home=$STATE
		else
			home=$(pg_as_owner mktemp -d /tmp/menhir-pg.XXXXXX)
			mh_info "PostgreSQL cannot use $STATE (unreachable for its user or socket path too long); cluster in $home"
		fi
		printf '%s\n' "$home" >"$STATE/pg.home"
	fi
	PG_HOME=$home
	PG_DATA=$home/pg
	PG_RUN=$home/pgrun
	PG_LOG=$home/pg.log
	if [[ $home != "$STATE" ]]; then
		ln -sfn "$PG_DATA" "$STATE/pg"
		ln -sfn "$PG_RUN" "$STATE/pgrun"
		ln -sfn "$PG_LOG" "$STATE/pg.log"
	fi
}

# pg_conninfo USER: libpq conninfo for USER on the menhir database, over the Unix socket.
pg_conninfo() {
	printf 'host=%s port=%s dbname=menhir user=%s' "$(mh_pqq "$PG_RUN")" "$MENHIR_PG_PORT" "$1"
}

# pg_pid: the postmaster's PID if it runs, else nothing.
pg_pid() {
	local pid
	pid=$(mh_pidfile_pid "$PG_DATA/postmaster.pid" 2>/dev/null || true)
	if [[ -n $pid ]] && mh_pid_alive "$pid" postgres; then
		printf '%s\n' "$pid"
	fi
}

# pg_init: create the cluster the first time. Trust auth is tolerable only because the
# cluster listens on 127.0.0.1, its socket is 0700 (root gets through anyway, as root does),
# and it holds throw-away data.
pg_init() {
	local bin=$1
	[[ -f $PG_DATA/PG_VERSION ]] && return 0
	mh_info "initdb $PG_DATA"
	if [[ $PG_HOME == "$STATE" ]]; then
		mkdir -p "$PG_DATA" "$PG_RUN"
		touch "$PG_LOG"
		((EUID != 0)) || chown postgres:postgres "$PG_DATA" "$PG_RUN" "$PG_LOG"
		chmod 0700 "$PG_DATA"
	else
		pg_as_owner mkdir -p "$PG_DATA" "$PG_RUN"
		pg_as_owner touch "$PG_LOG"
	fi
	pg_as_owner "$bin/initdb" -D "$PG_DATA" -U postgres --auth=trust -E UTF8 --locale=C \
		--no-sync >"$STATE/initdb.log" 2>&1 || {
		cat "$STATE/initdb.log" >&2
		mh_die "initdb failed"
	}
	# Settings that change per start (the port) live in menhir_stack.conf, rewritten by pg_start.
	pg_as_owner sh -c "cat >>'$PG_DATA/postgresql.conf'" <<EOF

# Local Menhir stack (script/stack): loopback only, speed over durability.
listen_addresses = '127.0.0.1'
unix_socket_directories = '$PG_RUN'
unix_socket_permissions = 0700
fsync = off
synchronous_commit = off
full_page_writes = off
max_connections = 200
include_if_exists = 'menhir_stack.conf'
EOF
}

# pg_start: start the cluster (initdb the first time) and apply schema/roles.sql.
pg_start() {
	local bin pid
	bin=$(pg_bindir)
	pg_layout
	pg_init "$bin"
	pid=$(pg_pid)
	if [[ -n $pid ]]; then
		mh_info "postgres already running (pid $pid)"
	else
		mh_port_busy "$MENHIR_PG_PORT" && mh_die "port $MENHIR_PG_PORT is in use (set MENHIR_PG_PORT)"
		pg_as_owner sh -c "printf 'port = %s\n' '$MENHIR_PG_PORT' >'$PG_DATA/menhir_stack.conf'"
		# 9>&-: the postmaster must not inherit script/stack's lock on STATE/.lock.
		pg_as_owner "$bin/pg_ctl" start -D "$PG_DATA" -l "$PG_LOG" -w -t 60 -s >/dev/null 9>&- || {
			tail -n 30 "$PG_LOG" >&2 || true
			mh_die "postgres did not start (log: $STATE/pg.log)"
		}
		mh_info "postgres started (pid $(pg_pid), port $MENHIR_PG_PORT)"
	fi
	pg_apply_roles "$bin"
}

# pg_apply_roles: run schema/roles.sql as superuser whenever it changed since the last run
# against this cluster (it is idempotent, so a re-run is harmless; skipping just saves time).
pg_apply_roles() {
	local bin=$1 sum stamp=$PG_HOME/roles.sha256
	sum=$(sha256sum "$MH_ROOT/schema/roles.sql" | cut -d' ' -f1)
	[[ -f $stamp && $(<"$stamp") == "$sum" ]] && return 0
	"$bin/psql" -X -q -v ON_ERROR_STOP=1 \
		"host=$(mh_pqq "$PG_RUN") port=$MENHIR_PG_PORT dbname=postgres user=postgres" \
		-f "$MH_ROOT/schema/roles.sql" >"$STATE/roles.log" 2>&1 || {
		cat "$STATE/roles.log" >&2
		mh_die "schema/roles.sql failed"
	}
	if [[ $PG_HOME == "$STATE" ]]; then
		printf '%s\n' "$sum" >"$stamp"
	else
		pg_as_owner sh -c "printf '%s\n' '$sum' >'$stamp'"
	fi
}

# pg_stop: stop the cluster we started (pg_ctl signals the PID in postmaster.pid).
pg_stop() {
	local bin pid
	[[ -f $STATE/pg.home ]] || return 0
	pg_layout
	pid=$(pg_pid)
	[[ -n $pid ]] || return 0
	bin=$(pg_bindir)
	pg_as_owner "$bin/pg_ctl" stop -D "$PG_DATA" -m fast -w -t 60 -s >/dev/null ||
		mh_warn "pg_ctl stop failed for pid $pid"
	mh_info "postgres stopped (pid $pid)"
}
