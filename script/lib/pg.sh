# script/lib/pg.sh — the local stack's throw-away PostgreSQL cluster (loopback, passwords).
# shellcheck shell=bash
# Sourced by script/stack after common.sh and secrets.sh; uses STATE (the state folder) and
# MENHIR_PG_PORT.
#
# Every role logs in with a generated password (SCRAM-SHA-256), over the Unix socket as over
# TCP: on a shared machine any local user can reach 127.0.0.1, so `trust` would let them in as
# any role, the superuser included. The passwords live in STATE/secrets (secrets.sh) and in
# the conninfo strings of STATE/menhir.conf and STATE/env, both 0600.
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

# pg_conninfo USER: libpq conninfo for USER on the menhir database, over the Unix socket,
# with USER's password (hex: no quoting needed).
pg_conninfo() {
	printf 'host=%s port=%s dbname=menhir user=%s password=%s' "$(mh_pqq "$PG_RUN")" \
		"$MENHIR_PG_PORT" "$1" "$(mh_secret "pg-$1")"
}

# pg_psql_super BIN ARGS...: psql as the superuser on the cluster's socket, in the database
# PG_SUPER_DB [postgres]. The password travels in the environment (readable by this user
# only), not on the command line.
pg_psql_super() {
	local bin=$1
	shift
	PGPASSWORD=$(mh_secret pg-postgres) "$bin/psql" -X -q -v ON_ERROR_STOP=1 \
		"host=$(mh_pqq "$PG_RUN") port=$MENHIR_PG_PORT dbname=${PG_SUPER_DB:-postgres} user=postgres" "$@"
}

# pg_hba: the only pg_hba.conf the stack's cluster may have. Every connection, on the socket
# and on 127.0.0.1, proves a password.
pg_hba() {
	cat <<EOF
# Rendered by script/stack on every start: password authentication only.
# Any local user can reach the port on 127.0.0.1; SCRAM keeps them out of every role.
# TYPE  DATABASE  USER  ADDRESS       METHOD
local   all       all                 scram-sha-256
host    all       all   127.0.0.1/32  scram-sha-256
EOF
}

# pg_write_hba: install pg_hba when the cluster's file differs (a cluster made by an older
# script/stack with trust auth, or an edit); true when it changed something.
pg_write_hba() {
	[[ $(pg_as_owner cat "$PG_DATA/pg_hba.conf" 2>/dev/null) != "$(pg_hba)" ]] || return 1
	pg_hba | pg_as_owner sh -c "cat >'$PG_DATA/pg_hba.conf'"
}

# pg_pid: the postmaster's PID if it runs, else nothing.
pg_pid() {
	local pid
	pid=$(mh_pidfile_pid "$PG_DATA/postmaster.pid" 2>/dev/null || true)
	if [[ -n $pid ]] && mh_pid_alive "$pid" postgres; then
		printf '%s\n' "$pid"
	fi
}

# pg_init: create the cluster the first time, the superuser's password set by initdb.
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
	# initdb reads the password from a file, which the cluster's owner (`postgres` when we
	# are root) must be able to open: a copy in its own 0700 run dir, removed right after.
	pg_as_owner sh -c "umask 077 && cat >'$PG_RUN/initdb.pw'" <"$(mh_secret_file pg-postgres)"
	pg_as_owner "$bin/initdb" -D "$PG_DATA" -U postgres --pwfile="$PG_RUN/initdb.pw" \
		--auth-local=scram-sha-256 --auth-host=scram-sha-256 -E UTF8 --locale=C \
		--no-sync >"$STATE/initdb.log" 2>&1 || {
		pg_as_owner rm -f "$PG_RUN/initdb.pw"
		cat "$STATE/initdb.log" >&2
		mh_die "initdb failed"
	}
	pg_as_owner rm -f "$PG_RUN/initdb.pw"
	pg_write_hba || true
	# Settings that change per start (the port) live in menhir_stack.conf, rewritten by pg_start.
	pg_as_owner sh -c "cat >>'$PG_DATA/postgresql.conf'" <<EOF

# Local Menhir stack (script/stack): loopback only, speed over durability.
listen_addresses = '127.0.0.1'
unix_socket_directories = '$PG_RUN'
unix_socket_permissions = 0700
password_encryption = 'scram-sha-256'
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
		# Statement statistics for profiling (bench/run's BENCH_PGSS): a preload library
		# costs every statement a little, so only a stack that asks for it has one.
		if [[ ${MENHIR_PG_STAT_STATEMENTS:-} == 1 ]]; then
			pg_as_owner sh -c "printf '%s\n' \"shared_preload_libraries = 'pg_stat_statements'\" \
				'pg_stat_statements.track = top' >>'$PG_DATA/menhir_stack.conf'"
		fi
		# 9>&-: the postmaster must not inherit script/stack's lock on STATE/.lock.
		pg_as_owner "$bin/pg_ctl" start -D "$PG_DATA" -l "$PG_LOG" -w -t 60 -s >/dev/null 9>&- || {
			tail -n 30 "$PG_LOG" >&2 || true
			mh_die "postgres did not start (log: $STATE/pg.log)"
		}
		mh_info "postgres started (pid $(pg_pid), port $MENHIR_PG_PORT)"
	fi
	pg_apply_roles "$bin"
	pg_require_passwords "$bin"
	if [[ ${MENHIR_PG_STAT_STATEMENTS:-} == 1 ]]; then
		PG_SUPER_DB=menhir pg_psql_super "$bin" -c 'CREATE EXTENSION IF NOT EXISTS pg_stat_statements' \
			>/dev/null || mh_die "CREATE EXTENSION pg_stat_statements failed"
	fi
}

# pg_require_passwords BIN: give the three login roles their passwords (on every start: the
# statement is idempotent, and a role re-created by hand gets its password back), then put
# pg_hba back if it differs (a cluster made before passwords existed had trust) and reload.
# In that order, so that an old trust cluster lets us in to set the passwords first. The SQL
# goes through psql's stdin, so no password shows on a command line; log_statement is off,
# and script/test checks that pg.log never holds one.
pg_require_passwords() {
	local bin=$1 role
	for role in postgres menhir_owner menhir_app; do
		printf "ALTER ROLE %s PASSWORD '%s';\n" "$role" "$(mh_secret "pg-$role")"
	done | pg_psql_super "$bin" >"$STATE/passwords.log" 2>&1 || {
		sed -E "s/'[0-9a-f]{64}'/'…'/g" "$STATE/passwords.log" >&2
		rm -f "$STATE/passwords.log"
		mh_die "setting the roles' passwords failed"
	}
	rm -f "$STATE/passwords.log"
	if pg_write_hba; then
		pg_as_owner "$bin/pg_ctl" reload -D "$PG_DATA" -s >/dev/null ||
			mh_die "pg_ctl reload failed after rewriting pg_hba.conf"
		mh_info "postgres: pg_hba.conf rewritten (password authentication only) and reloaded"
	fi
}

# pg_apply_roles: run schema/roles.sql as superuser whenever it changed since the last run
# against this cluster (it is idempotent, so a re-run is harmless; skipping just saves time).
pg_apply_roles() {
	local bin=$1 sum stamp=$PG_HOME/roles.sha256
	sum=$(sha256sum "$MH_ROOT/schema/roles.sql" | cut -d' ' -f1)
	[[ -f $stamp && $(<"$stamp") == "$sum" ]] && return 0
	pg_psql_super "$bin" -f "$MH_ROOT/schema/roles.sql" >"$STATE/roles.log" 2>&1 || {
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
