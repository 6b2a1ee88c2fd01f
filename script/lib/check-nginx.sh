#!/usr/bin/env bash
# script/lib/check-nginx.sh — check the rendered nginx/menhir.conf against a running stack:
# redirect, TLS versions, HTTP/2, security headers on success and on errors, JSON error
# pages, live events' publisher and subscriber locations, rate limiting. Needs the stack's env (source DIR/env first).
#
# Prints one TAP-style line per check ("ok - …" / "not ok - …"); exits 1 if any failed.
# Run it after the integration suites: the rate-limit check spends 127.0.0.2's auth budget.
set -euo pipefail

FAILED=0
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

ok() { echo "ok - $1"; }
# expect NAME DETAIL CMD...: ok NAME if CMD succeeds, else not ok with DETAIL.
expect() {
	local name=$1 detail=$2
	shift 2
	if "$@"; then ok "$name"; else not_ok "$name" "$detail"; fi
}
not_ok() {
	echo "not ok - $1"
	shift
	local line
	for line in "$@"; do printf '#   %s\n' "$line"; done
	FAILED=1
}

# req NAME CURL-ARGS...: fetch into $TMP/NAME.h (headers) and $TMP/NAME.b (body).
req() {
	local name=$1
	shift
	curl -s --cacert "$MENHIR_TEST_CA" --max-time 10 -D "$TMP/$name.h" -o "$TMP/$name.b" "$@" || true
}
status_of() { sed -n '1s/^HTTP\/[0-9.]* \([0-9]*\).*/\1/p' "$TMP/$1.h"; }
header_count() { grep -ci "^$2:" "$TMP/$1.h" || true; }
header_val() { grep -i "^$2:" "$TMP/$1.h" | head -n 1 | cut -d: -f2- | tr -d '\r' | sed 's/^ *//'; }

# expect_security_headers NAME WHAT: each security header exactly once.
expect_security_headers() {
	local name=$1 what=$2 h n missing=()
	for h in Strict-Transport-Security Content-Security-Policy X-Content-Type-Options \
		Referrer-Policy X-Frame-Options; do
		n=$(header_count "$name" "$h")
		[[ $n == 1 ]] || missing+=("$h: $n times")
	done
	if ((${#missing[@]} == 0)); then
		ok "security headers on $what"
	else
		not_ok "security headers on $what" "${missing[@]}"
	fi
}

# expect_json_error NAME STATUS ERROR WHAT
expect_json_error() {
	local name=$1 want=$2 err=$3 what=$4 got ctype body
	got=$(status_of "$name")
	ctype=$(header_val "$name" Content-Type)
	body=$(cat "$TMP/$name.b")
	if [[ $got == "$want" && $ctype == application/json* && $body == *"\"error\":\"$err\""* ]]; then
		ok "$what: $want JSON $err"
	else
		not_ok "$what: $want JSON $err" "status $got, content-type $ctype" "body: ${body:0:200}"
	fi
}

check_redirect() {
	local loc port=${MENHIR_TEST_BASE_URL##*:}
	req redirect "$MENHIR_TEST_HTTP_URL/some/path?q=1"
	loc=$(header_val redirect Location)
	if [[ $(status_of redirect) == 301 && $loc == "https://127.0.0.1:$port/some/path?q=1" ]]; then
		ok "http redirects to https"
	else
		not_ok "http redirects to https" "status $(status_of redirect), Location $loc"
	fi
}

check_tls() {
	local v
	v=$(curl -s --cacert "$MENHIR_TEST_CA" -o /dev/null -w '%{http_version}' "$MENHIR_TEST_BASE_URL/healthz" || true)
	expect "HTTP/2 over TLS" "http_version $v" test "$v" = 2
	if curl -s --cacert "$MENHIR_TEST_CA" --tlsv1.0 --tls-max 1.1 -o /dev/null "$MENHIR_TEST_BASE_URL/healthz" 2>/dev/null; then
		not_ok "TLS 1.1 refused"
	else
		ok "TLS 1.1 refused"
	fi
	if curl -s --cacert "$MENHIR_TEST_CA" --tlsv1.2 --tls-max 1.2 -o /dev/null "$MENHIR_TEST_BASE_URL/healthz"; then
		ok "TLS 1.2 accepted"
	else
		not_ok "TLS 1.2 accepted"
	fi
}

check_healthz() {
	req healthz "$MENHIR_TEST_BASE_URL/healthz"
	expect "/healthz 200 through nginx" "status $(status_of healthz)" test "$(status_of healthz)" = 200
	expect_security_headers healthz "/healthz"
	local n
	n=$(header_count healthz X-Request-Id)
	expect "X-Request-Id not duplicated" "$n copies" test "$n" -le 1
}

check_static_404() {
	req static404 "$MENHIR_TEST_BASE_URL/no-such-asset.0123abcd.js"
	expect "missing asset 404" "status $(status_of static404)" test "$(status_of static404)" = 404
	expect_security_headers static404 "a 404"
}

check_too_large() {
	head -c $((2 * 1024 * 1024)) /dev/zero >"$TMP/big"
	req big -X POST -H 'Content-Type: application/json' --data-binary "@$TMP/big" "$MENHIR_TEST_BASE_URL/api/v1/ping"
	expect_json_error big 413 payload_too_large "2 MiB body"
	expect_security_headers big "nginx's 413"
}

# The auth zone allows a burst of 10 and one more every 2 s; from 127.0.0.2 (a different
# client address on the loopback, not in MENHIR_RATE_LIMIT_EXEMPT) quick requests must be
# refused from the 12th on. On a loaded machine the requests are not that quick and the zone
# refills meanwhile, so they go on until the first refusal, within a bound no refill reaches.
check_rate_limit() {
	local i
	for i in $(seq 1 40); do
		req rl --interface 127.0.0.2 -X POST "$MENHIR_TEST_BASE_URL/api/v1/auth/check-nginx-rate-limit"
		[ "$(status_of rl)" = 429 ] && break
	done
	expect "auth rate limit: a burst of 10, then refused" "refused at request $i" test "$i" -ge 11
	expect_json_error rl 429 rate_limited "auth rate limit"
	local ra
	ra=$(header_val rl Retry-After)
	expect "429 has Retry-After" "Retry-After '$ra'" grep -qE '^[0-9]+$' <<<"$ra"
	expect_security_headers rl "nginx's 429"
	# Every route that sends mail shares the zone: 127.0.0.2's budget is spent there too.
	local path
	for path in /api/v1/tenants/current/invitations /api/v1/users/me/email; do
		req rlmail --interface 127.0.0.2 -X POST "$MENHIR_TEST_BASE_URL$path"
		expect_json_error rlmail 429 rate_limited "auth rate limit on $path"
	done
}

# Live events: nchan's publisher answers on the events socket and nowhere else, and the
# subscriber location is internal (only Menhir's X-Accel-Redirect reaches it).
check_events() {
	local sock code
	sock=$(sed -n 's/^events_socket *= *//p' "$MENHIR_CONFIG" | tail -n 1)
	code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 --unix-socket "$sock" \
		-X POST -H 'Content-Type: application/json' -d '{}' http://menhir-events/pub/check-nginx || true)
	expect "nchan publisher on the events socket" "status $code" grep -qE '^20[12]$' <<<"$code"
	req pubtls -X POST -H 'Content-Type: application/json' -d '{}' "$MENHIR_TEST_BASE_URL/pub/check-nginx"
	code=$(status_of pubtls)
	expect "no publisher over HTTPS" "status $code" test "${code:-0}" -ge 400
	req subtls -H 'Accept: text/event-stream' "$MENHIR_TEST_BASE_URL/_events/sub/check-nginx"
	expect "subscriber location internal" "status $(status_of subtls)" test "$(status_of subtls)" = 404
}

main() {
	: "${MENHIR_TEST_BASE_URL:?source the stack env first}" "${MENHIR_TEST_HTTP_URL:?}" "${MENHIR_TEST_CA:?}"
	check_redirect
	check_tls
	check_healthz
	check_static_404
	check_too_large
	check_events
	check_rate_limit
	return "$FAILED"
}

main "$@"
