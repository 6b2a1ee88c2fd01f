# script/lib/redis.sh — the local stack's Redis: loopback, a password, no persistence.
# shellcheck shell=bash
# Sourced by script/stack after common.sh and secrets.sh; uses STATE and MENHIR_REDIS_PORT.
# The PID is in STATE/redis.pid.
#
# Any local user can reach 127.0.0.1, so Redis asks for the generated password (requirepass)
# before any command: without it a local user could read or forge revocations and rate-limit
# counters. Menhir and the tests send it from their redis:// URLs (redis_url_with_password).

redis_pid() {
	local pid
	pid=$(mh_pidfile_pid "$STATE/redis.pid")
	if [[ -n $pid ]] && mh_pid_alive "$pid" redis-server; then
		printf '%s\n' "$pid"
	fi
}

# redis_url_with_password [DB]: the redis:// URL of this Redis, password included (hex, so
# nothing needs percent-encoding).
redis_url_with_password() {
	printf 'redis://:%s@127.0.0.1:%s%s' "$(mh_secret redis)" "$MENHIR_REDIS_PORT" "${1:+/$1}"
}

# redis_render: STATE/redis.conf, 0600 since it holds the password.
redis_render() {
	local pw
	pw=$(mh_secret redis)
	(umask 077 && cat >"$STATE/redis.conf.tmp") <<CONF
# Rendered by script/stack; rewritten on every start of this Redis.
bind 127.0.0.1
protected-mode yes
port $MENHIR_REDIS_PORT
# Every client authenticates first (AUTH); see script/lib/redis.sh.
requirepass $pw
# Cache and counters only: nothing here must survive a restart.
save ""
appendonly no
dir $STATE
logfile $STATE/redis.log
# Run in the foreground of a process we background ourselves, so \$! is its exact PID.
daemonize no
CONF
	chmod 0600 "$STATE/redis.conf.tmp"
	mv "$STATE/redis.conf.tmp" "$STATE/redis.conf"
}

redis_start() {
	local pid tries=100
	pid=$(redis_pid)
	if [[ -n $pid ]]; then
		mh_info "redis already running (pid $pid)"
		return 0
	fi
	mh_port_busy "$MENHIR_REDIS_PORT" && mh_die "port $MENHIR_REDIS_PORT is in use (set MENHIR_REDIS_PORT)"
	redis_render
	# setsid: a Ctrl-C at script/server's terminal must not reach the daemons; the trap
	# there stops them in order instead.
	# 9>&-: the daemon must not inherit script/stack's lock on STATE/.lock.
	setsid redis-server "$STATE/redis.conf" </dev/null >>"$STATE/redis.log" 2>&1 9>&- &
	pid=$!
	printf '%s\n' "$pid" >"$STATE/redis.pid"
	until redis_ping; do
		mh_pid_alive "$pid" || {
			tail -n 20 "$STATE/redis.log" >&2 || true
			mh_die "redis-server exited (log: $STATE/redis.log)"
		}
		((tries-- > 0)) || mh_die "redis did not answer on port $MENHIR_REDIS_PORT"
		sleep 0.1
	done
	mh_info "redis started (pid $pid, port $MENHIR_REDIS_PORT)"
}

# redis_ping: true when Redis answers AUTH and PING (bash /dev/tcp, so redis-cli is not
# needed, and the password never appears on a command line).
redis_ping() {
	local reply pw
	pw=$(mh_secret redis)
	# In a subshell: a failed `exec` redirection would end the script itself.
	reply=$(
		exec 2>/dev/null 3<>"/dev/tcp/127.0.0.1/$MENHIR_REDIS_PORT" || exit 1
		printf 'AUTH %s\r\nPING\r\n' "$pw" >&3
		read -r -t 2 auth <&3 && read -r -t 2 line <&3 && printf '%s %s' "$auth" "$line"
	) || return 1
	[[ $reply == "+OK"*" +PONG"* ]]
}

redis_stop() {
	local pid
	pid=$(redis_pid)
	[[ -n $pid ]] || return 0
	kill -TERM "$pid" 2>/dev/null || true
	if ! mh_wait_dead "$pid" 10; then
		mh_warn "redis (pid $pid) ignored SIGTERM; sending SIGKILL"
		kill -KILL "$pid" 2>/dev/null || true
		mh_wait_dead "$pid" 5 || true
	fi
	rm -f "$STATE/redis.pid"
	mh_info "redis stopped (pid $pid)"
}
