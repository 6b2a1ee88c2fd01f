# script/lib/mail.sh — the local stack's mailbox: t/smtp_receiver on loopback, keeping every
# shellcheck shell=bash
# message Menhir sends as a file in STATE/mailbox/new (nginx shows that folder at
# https://127.0.0.1:$MENHIR_HTTPS_PORT/_dev/mailbox/ on the local stack only; the production
# site has no such location). Sourced by script/stack after common.sh; uses STATE and
# MENHIR_SMTP_PORT. The PID is in STATE/mail.pid.

mail_pid() {
	local pid
	pid=$(mh_pidfile_pid "$STATE/mail.pid")
	if [[ -n $pid ]] && mh_pid_alive "$pid" smtp_receiver; then
		printf '%s\n' "$pid"
	fi
}

mail_bin() {
	local bin=$MH_ROOT/t/smtp_receiver
	[[ -x $bin ]] || mh_die "$bin not found (run script/bootstrap, or make)"
	printf '%s\n' "$bin"
}

mail_start() {
	local pid bin tries=100
	pid=$(mail_pid)
	if [[ -n $pid ]]; then
		mh_info "mailbox already running (pid $pid)"
		return 0
	fi
	bin=$(mail_bin)
	mh_port_busy "$MENHIR_SMTP_PORT" && mh_die "port $MENHIR_SMTP_PORT is in use (set MENHIR_SMTP_PORT)"
	mkdir -p "$STATE/mailbox/new" "$STATE/mailbox/tmp"
	# 9>&-: the daemon must not inherit script/stack's lock on STATE/.lock.
	# STARTTLS with the stack's own certificate (script/lib/tls.sh), which Menhir trusts
	# through smtp_ca_file: mail leaves the way it does in production, verified.
	setsid "$bin" --port "$MENHIR_SMTP_PORT" --dir "$STATE/mailbox" \
		--tls-cert "$STATE/tls/cert.pem" --tls-key "$STATE/tls/key.pem" \
		</dev/null >>"$STATE/mail.log" 2>&1 9>&- &
	pid=$!
	printf '%s\n' "$pid" >"$STATE/mail.pid"
	until mh_port_busy "$MENHIR_SMTP_PORT"; do
		mh_pid_alive "$pid" || mh_die "the mailbox exited (log: $STATE/mail.log)"
		((tries-- > 0)) || mh_die "the mailbox did not listen on $MENHIR_SMTP_PORT within 10 s"
		sleep 0.1
	done
	mh_info "mailbox started (pid $pid, smtp://127.0.0.1:$MENHIR_SMTP_PORT with STARTTLS, $STATE/mailbox/new)"
}

mail_stop() {
	local pid
	pid=$(mail_pid)
	if [[ -n $pid ]]; then
		kill -TERM "$pid" 2>/dev/null || true
		mh_wait_dead "$pid" 5 || kill -KILL "$pid" 2>/dev/null || true
		mh_info "mailbox stopped (pid $pid)"
	fi
	rm -f "$STATE/mail.pid"
}
