# script/lib/redis.sh — the local stack's Redis: loopback, no persistence, PID in STATE/redis.pid.
# shellcheck shell=bash
# Sourced by script/stack after common.sh; uses STATE and MENHIR_REDIS_PORT.

redis_pid() {
	local pid
	pid=$(mh_pidfile_pid "$STATE/redis.pid")
	if [[ -n $pid ]] && mh_pid_alive "$pid" redis-server; then
		printf '%s\n' "$pid"
	fi
}

redis_render() {
	cat >"$STATE/redis.conf" <<CONF
# Rendered by script/stack; rewritten on every start of this Redis.
bind 127.0.0.1
protected-mode yes
port $MENHIR_REDIS_PORT
# Cache and counters only: nothing here must survive a restart.
save ""
appendonly no
dir $STATE
logfile $STATE/redis.log
# Run in the foreground of a process we background ourselves, so \$! is its exact PID.
daemonize no
CONF
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

# redis_ping: true when Redis answers PING (bash /dev/tcp, so redis-cli is not needed).
redis_ping() {
	local reply
	# In a subshell: a failed `exec` redirection would end the script itself.
	reply=$(
		exec 2>/dev/null 3<>"/dev/tcp/127.0.0.1/$MENHIR_REDIS_PORT" || exit 1
		printf 'PING\r\n' >&3
		read -r -t 2 line <&3 && printf '%s' "$line"
	) || return 1
	[[ $reply == "+PONG"* ]]
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
