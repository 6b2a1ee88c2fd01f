# script/lib/nginx.sh — the local stack's nginx: the production site (nginx/menhir.conf)
# shellcheck shell=bash
# rendered for loopback ports, the state folder's paths and the self-signed certificate.
# Sourced by script/stack after common.sh; uses STATE and the MENHIR_* knobs.

nginx_dir() { printf '%s\n' "$STATE/nginx"; }

nginx_pid() {
	local pid
	pid=$(mh_pidfile_pid "$STATE/nginx/nginx.pid")
	if [[ -n $pid ]] && mh_pid_alive "$pid" nginx; then
		printf '%s\n' "$pid"
	fi
}

# sed_repl TEXT: TEXT safe as the replacement part of a sed s||| command.
sed_repl() {
	printf '%s' "$1" | sed -e 's/[\\|&]/\\&/g'
}

# nginx_render_site: STATE/nginx/menhir.conf from nginx/menhir.conf. Each rewrite matches
# one recognisable production line; nginx_check_render then proves none was missed, so a
# change to the production file that this renderer does not understand fails loudly
# instead of pointing the local stack at /run or /etc.
nginx_render_site() {
	local src=$MH_ROOT/nginx/menhir.conf dst=$STATE/nginx/menhir.conf ngx
	local tls_extra="" up_extra="" geo_extra="" addr
	ngx=$(nginx_dir)
	# Lines added after `listen 443`: they land inside the TLS server block.
	if ((MENHIR_FCGI_KEEPALIVE > 0)); then
		tls_extra+="\\n    fastcgi_keep_conn on;"
		up_extra+="\\n    keepalive $MENHIR_FCGI_KEEPALIVE;"
	fi
	if [[ -n ${MENHIR_NGINX_EXTRA:-} ]]; then
		[[ -r $MENHIR_NGINX_EXTRA ]] || mh_die "MENHIR_NGINX_EXTRA=$MENHIR_NGINX_EXTRA is not a readable file"
		tls_extra+="\\n    include \"$(sed_repl "$MENHIR_NGINX_EXTRA")\";"
	fi
	# bench/run's plain-HTTP listener: the same server block (locations, headers, logs)
	# without TLS, to show what TLS costs. Never in nginx/menhir.conf itself.
	# script/cluster's app hosts: the same TLS server on the host's network address too, for
	# the load balancer in front.
	for addr in ${MENHIR_NGINX_LISTEN_ADDRS:-}; do
		[[ $addr =~ ^[0-9.]+$ ]] || mh_die "MENHIR_NGINX_LISTEN_ADDRS: not an IPv4 address: $addr"
		tls_extra+="\\n    listen $addr:$MENHIR_HTTPS_PORT ssl http2;"
	done
	if [[ -n ${MENHIR_NGINX_PLAIN_PORT:-} ]]; then
		tls_extra+="\n    listen 127.0.0.1:$MENHIR_NGINX_PLAIN_PORT;"
	fi
	# The mailbox (script/lib/mail.sh): only the local stack has this location, never the
	# production site, so the mail it shows can be read in a browser.
	tls_extra+="\n    location ^~ /_dev/mailbox/ { alias \"$(sed_repl "$STATE/mailbox/new/")\"; autoindex on; default_type text/plain; }"
	for addr in ${MENHIR_RATE_LIMIT_EXEMPT:-}; do
		[[ $addr =~ ^[0-9a-fA-F:./]+$ ]] || mh_die "MENHIR_RATE_LIMIT_EXEMPT: not an address: $addr"
		geo_extra+="\\n    $addr 1;"
	done
	sed -E \
		-e "s|^( *)listen 80;|\\1listen 127.0.0.1:$MENHIR_HTTP_PORT;|" \
		-e "/^ *listen \\[::\\]:(80|443)( ssl http2)?;/d" \
		-e "s|^( *)listen 127.0.0.1:9180; .*|\\1listen 127.0.0.1:$MENHIR_INTERNAL_PORT;|" \
		-e "s|^( *)listen 443 ssl http2;|\\1listen 127.0.0.1:$MENHIR_HTTPS_PORT ssl http2;$tls_extra|" \
		-e "s|return 301 https://\\\$host\\\$request_uri;|return 301 https://\\\$host:$MENHIR_HTTPS_PORT\\\$request_uri;|" \
		-e "s|^( *)ssl_certificate [^;]*;.*|\\1ssl_certificate \"$(sed_repl "$STATE/tls/cert.pem")\";|" \
		-e "s|^( *)ssl_certificate_key [^;]*;.*|\\1ssl_certificate_key \"$(sed_repl "$STATE/tls/key.pem")\";|" \
		-e "s|^( *)listen unix:/run/menhir/events/events.sock;|\\1listen \"unix:$(sed_repl "$STATE/events/events.sock")\";|" \
		-e "s|^( *)server unix:/run/menhir/menhir.sock;|\\1server \"unix:$(sed_repl "$STATE/menhir.sock")\";$up_extra|" \
		-e "s|^( *)access_log /var/log/nginx/menhir.access.log |\\1access_log \"$(sed_repl "$ngx/access.log")\" |" \
		-e "s|^( *)error_log /var/log/nginx/menhir.error.log;|\\1error_log \"$(sed_repl "$ngx/error.log")\";|" \
		-e "s|^( *)root /usr/share/menhir/web(/[^;]*)?;|\\1root \"$(sed_repl "$MH_ROOT/web")\\2\";|" \
		-e "s|^( *)alias /var/lib/menhir/files/;|\\1alias \"$(sed_repl "$STATE/files/")\";|" \
		-e "s|^( *)alias /usr/share/menhir/doc/openapi.json;|\\1alias \"$(sed_repl "$MH_ROOT/doc/openapi.json")\";|" \
		-e "s|^( *)fastcgi_read_timeout [0-9]+s;|\\1fastcgi_read_timeout ${MENHIR_REQUEST_TIMEOUT}s;|" \
		-e "s|^( *)default 0;|\\1default 0;$geo_extra|" \
		"$src" >"$dst"
	nginx_check_render "$dst"
}

nginx_check_render() {
	local dst=$1 bad
	bad=$(grep -nE '/run/menhir|/var/log/nginx|/etc/letsencrypt|/usr/share/menhir|/var/lib/menhir|listen (80|443)|listen \[::\]' "$dst" || true)
	[[ -z $bad ]] || mh_die "nginx/menhir.conf has production lines script/lib/nginx.sh cannot render:"$'\n'"$bad"
	grep -q "listen 127.0.0.1:$MENHIR_HTTPS_PORT ssl http2;" "$dst" ||
		mh_die "rendered site lacks the TLS listen line"
	grep -q "listen 127.0.0.1:$MENHIR_INTERNAL_PORT;" "$dst" ||
		mh_die "rendered site lacks the internal listener"
	grep -q "fastcgi_read_timeout ${MENHIR_REQUEST_TIMEOUT}s;" "$dst" ||
		mh_die "rendered site lacks fastcgi_read_timeout"
}

# nginx_render_main: STATE/nginx/nginx.conf, a complete top-level config around the site.
nginx_render_main() {
	local ngx user_line="" http_extra=""
	ngx=$(nginx_dir)
	# Extra http-level lines (bench/peers' upstream blocks), which a server block cannot hold.
	if [[ -n ${MENHIR_NGINX_HTTP_EXTRA:-} ]]; then
		[[ -r $MENHIR_NGINX_HTTP_EXTRA ]] || mh_die "MENHIR_NGINX_HTTP_EXTRA=$MENHIR_NGINX_HTTP_EXTRA is not a readable file"
		http_extra="include \"$MENHIR_NGINX_HTTP_EXTRA\";"
	fi
	if ((EUID == 0)); then
		# As root, nginx hands its workers to `nobody`, who can reach neither a 0700 state
		# folder (mktemp's) nor menhir's 0600 socket. This stack is loopback-only and
		# throw-away, so its workers stay root. Production differs: nginx runs as www-data
		# and reaches the socket through its group (systemd/menhir.socket).
		user_line="user root;"
	fi
	# Live events (the site's nchan directives). Debian loads it from modules-enabled with
	# a path relative to its own prefix, which is not ours.
	local nchan=/usr/lib/nginx/modules/ngx_nchan_module.so
	[[ -r $nchan ]] || mh_die "$nchan is missing: install libnginx-mod-nchan (script/bootstrap)"
	cp /etc/nginx/mime.types /etc/nginx/fastcgi_params "$ngx/"
	mkdir -p "$ngx/tmp"
	cat >"$ngx/nginx.conf" <<CONF
# Rendered by script/stack for the local stack in $STATE; rewritten on every start of nginx.
load_module $nchan;
$user_line
worker_processes $MENHIR_NGINX_WORKERS;
# Each open event stream is a connection and a descriptor (bench: 1,000 streams).
worker_rlimit_nofile 16384;
pid "$ngx/nginx.pid";
error_log "$ngx/error.log" warn;

events {
    worker_connections 4096;
}

http {
    include mime.types;
    default_type application/octet-stream;
    sendfile on;
    tcp_nopush on;
    keepalive_timeout 65s;
    # Off /var/lib/nginx, which only root may write.
    client_body_temp_path "$ngx/tmp/client_body";
    fastcgi_temp_path "$ngx/tmp/fastcgi";
    proxy_temp_path "$ngx/tmp/proxy";
    uwsgi_temp_path "$ngx/tmp/uwsgi";
    scgi_temp_path "$ngx/tmp/scgi";
    access_log "$ngx/access.log";
    $http_extra
    include "$ngx/menhir.conf";
}
CONF
}

# nginx_events_dir: STATE/events, where nginx's master creates the live-events socket (nchan's
# publisher). nginx makes every unix socket 0666, so the directory is the guard: 0700 and
# ours, the user that runs Menhir and nginx alike here (production: /run/menhir/events,
# menhir:menhir 0700, systemd/menhir-tmpfiles.conf). Any other local user who could connect
# could announce any event to any tenant's job stream.
nginx_events_dir() {
	mkdir -p "$STATE/events"
	chmod 0700 "$STATE/events"
	rm -f "$STATE/events/events.sock"
}

# nginx_cmd ARGS...: nginx with our prefix, config and early error log (-e: before the
# config is read nginx would otherwise try /var/log/nginx/error.log).
nginx_cmd() {
	local ngx
	ngx=$(nginx_dir)
	nginx -p "$ngx/" -e "$ngx/error.log" -c "$ngx/nginx.conf" "$@"
}

nginx_start() {
	local pid tries=300 ngx
	ngx=$(nginx_dir)
	pid=$(nginx_pid)
	if [[ -n $pid ]]; then
		mh_info "nginx already running (pid $pid)"
		return 0
	fi
	local port
	for port in "$MENHIR_HTTPS_PORT" "$MENHIR_HTTP_PORT" "$MENHIR_INTERNAL_PORT"; do
		mh_port_busy "$port" && mh_die "port $port is in use (set MENHIR_HTTPS_PORT / MENHIR_HTTP_PORT / MENHIR_INTERNAL_PORT)"
	done
	mkdir -p "$ngx"
	nginx_render_site
	nginx_render_main
	# Before `nginx -t`, which binds the unix socket too.
	nginx_events_dir
	nginx_cmd -t -q 2>"$ngx/config-test.log" || {
		cat "$ngx/config-test.log" >&2
		mh_die "nginx -t rejected $ngx/nginx.conf"
	}
	rm -f "$ngx/nginx.pid"
	# A killed nginx leaves its unix socket behind, and bind() would refuse the path.
	rm -f "$STATE/events/events.sock"
	# nginx daemonizes (its master calls setsid) and writes the master's PID itself.
	# 9>&-: the daemon must not inherit script/stack's lock on STATE/.lock.
	nginx_cmd </dev/null 9>&- || mh_die "nginx did not start (log: $ngx/error.log)"
	until pid=$(nginx_pid) && [[ -n $pid ]]; do
		((tries-- > 0)) || mh_die "nginx wrote no PID file (log: $ngx/error.log)"
		sleep 0.1
	done
	nginx_wait_healthy
	mh_info "nginx started (pid $pid, https://127.0.0.1:$MENHIR_HTTPS_PORT)"
}

# nginx_wait_healthy: wait until /healthz answers 200 through TLS, i.e. the whole chain
# nginx → FastCGI → menhir works, verifying our own certificate rather than skipping it.
nginx_wait_healthy() {
	local tries=300 code=000
	while ((tries-- > 0)); do
		code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 \
			--cacert "$STATE/tls/cert.pem" "https://127.0.0.1:$MENHIR_HTTPS_PORT/healthz" || true)
		[[ $code == 200 ]] && return 0
		sleep 0.1
	done
	tail -n 20 "$(nginx_dir)/error.log" >&2 || true
	mh_die "https://127.0.0.1:$MENHIR_HTTPS_PORT/healthz answered $code, not 200"
}

# nginx_stop: graceful stop (SIGQUIT: finish in-flight requests), then SIGTERM, then SIGKILL.
nginx_stop() {
	local pid kids
	pid=$(nginx_pid)
	[[ -n $pid ]] || return 0
	kill -QUIT "$pid" 2>/dev/null || true
	if ! mh_wait_dead "$pid" 10; then
		kill -TERM "$pid" 2>/dev/null || true
		if ! mh_wait_dead "$pid" 5; then
			kids=$(ps -o pid= --ppid "$pid" 2>/dev/null | tr -s ' \n' ' ' || true)
			mh_warn "nginx (pid $pid) ignored SIGQUIT and SIGTERM; sending SIGKILL to it and workers $kids"
			# shellcheck disable=SC2086 # word splitting of the PID list is intended
			kill -KILL "$pid" $kids 2>/dev/null || true
		fi
	fi
	rm -f "$(nginx_dir)/nginx.pid"
	mh_info "nginx stopped (pid $pid)"
}
