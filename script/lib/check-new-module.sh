#!/usr/bin/env bash
# script/lib/check-new-module.sh — `menhir new-module` end to end: in a copy of this tree it
# scaffolds a module, builds it, runs its unit suite, checks that `menhir routes` and
# `menhir openapi` carry its routes and that the isolation matrix has their rows; then, unless
# MENHIR_NEW_MODULE_IT=0, starts a throw-away stack from the copy (its migration applied by
# `menhir migrate` like any other) and runs the module's integration suite and the isolation
# matrix and the API contract suite (with doc/openapi.json regenerated) against it.
#
#   [MENHIR_NEW_MODULE_NAME=widgets] script/lib/check-new-module.sh
#
# Needs a built tree (script/bootstrap ran): the copy keeps its objects, so only the new
# module and what includes the registry are compiled again. Prints TAP-style lines (ok /
# not ok / skip) that script/test counts; exits 1 if any failed.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
NAME=${MENHIR_NEW_MODULE_NAME:-widgets}
URL=/api/v1/${NAME//_/-}
FAILED=0
TMP=$(mktemp -d /tmp/menhir-new-module.XXXXXX)
STACK=

# shellcheck disable=SC2317 # called by the EXIT trap
cleanup() {
	if [[ -n $STACK ]]; then
		"$TMP/tree/script/stack" destroy "$STACK" >/dev/null 2>&1 || true
	fi
	rm -rf "$TMP"
}
trap cleanup EXIT

ok() { echo "ok - new-module: $*"; }
not_ok() {
	echo "not ok - new-module: $1"
	shift
	local line
	for line in "$@"; do printf '#   %s\n' "$line"; done
	FAILED=1
}
# check DESCRIPTION LOG CMD...: one line for CMD's success; its log's tail on failure.
check() {
	local what=$1 log=$2
	shift 2
	if "$@" >"$log" 2>&1; then
		ok "$what"
	else
		mapfile -t lines < <(tail -n 15 "$log")
		not_ok "$what" "${lines[@]}"
	fi
}

if [[ ! -x $ROOT/menhir || ! -f $ROOT/Makefile ]]; then
	not_ok "a built tree to copy" "run script/bootstrap first"
	exit 1
fi

# The working tree as it is (tracked and new files, edits included) with its build, without
# what is fetched or generated at run time.
mkdir "$TMP/tree"
tar -C "$ROOT" --exclude=./.git --exclude=./.cache --exclude=./.state --exclude=node_modules \
	--exclude='./t/*.log' --exclude='./t/*.trs' --exclude=./fuzz/build -cf - . |
	tar -C "$TMP/tree" -xf -
cd "$TMP/tree"

check "menhir new-module $NAME writes the module" "$TMP/scaffold.log" ./menhir new-module "$NAME"
if ! ./menhir new-module "$NAME" >"$TMP/again.log" 2>&1 && grep -q "already exists" "$TMP/again.log"; then
	ok "a second new-module $NAME is refused"
else
	not_ok "a second new-module $NAME is refused" "$(cat "$TMP/again.log")"
fi
if ! ./menhir new-module Bad-Name >"$TMP/bad.log" 2>&1 && [[ ! -e src/modules/Bad-Name ]]; then
	ok "an invalid name is refused"
else
	not_ok "an invalid name is refused" "$(cat "$TMP/bad.log")"
fi
migration=$(find schema -name "*_$NAME.sql" | head -n 1)
if [[ -n $migration ]] && grep -q "FORCE ROW LEVEL SECURITY" "$migration" &&
	grep -q "app_tenant_id()" "$migration"; then
	ok "the migration $migration is tenant-scoped under FORCE RLS"
else
	not_ok "the migration is tenant-scoped under FORCE RLS" "${migration:-no schema/NNNN_$NAME.sql}"
fi

check "the tree builds with the module (menhir and its suites)" "$TMP/build.log" \
	timeout 900 make -j2 menhir "t/unit_$NAME" "t/it_$NAME" t/it_isolation t/it_contract
check "t/unit_$NAME passes" "$TMP/unit.log" "./t/unit_$NAME" --jobs=1

./menhir routes >"$TMP/routes.json" 2>&1 || true
if grep -q "\"method\": \"GET\", \"pattern\": \"$URL\"" "$TMP/routes.json" &&
	grep -q "\"method\": \"POST\", \"pattern\": \"$URL\"" "$TMP/routes.json"; then
	ok "menhir routes lists GET and POST $URL"
else
	not_ok "menhir routes lists GET and POST $URL" "$(head -c 300 "$TMP/routes.json")"
fi
if ./menhir openapi >"$TMP/openapi.json" 2>"$TMP/openapi.err" &&
	python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); p=d["paths"]["'"$URL"'"]; assert p["get"]["operationId"] and p["post"]["requestBody"]' "$TMP/openapi.json" 2>>"$TMP/openapi.err"; then
	ok "menhir openapi documents $URL (list and create, with the declared body)"
	cp "$TMP/openapi.json" doc/openapi.json
else
	not_ok "menhir openapi documents $URL" "$(tail -n 5 "$TMP/openapi.err")"
fi
if grep -q "\"$URL\"" t/it_isolation.c; then
	ok "the isolation matrix has rows for $URL"
else
	not_ok "the isolation matrix has rows for $URL"
fi

if [[ ${MENHIR_NEW_MODULE_IT:-1} == 0 ]]; then
	echo "skip - new-module: integration suites against a stack (MENHIR_NEW_MODULE_IT=0)"
	exit "$FAILED"
fi
# shellcheck source=script/lib/common.sh
. "$ROOT/script/lib/common.sh"
STACK=$TMP/stack
mkdir "$STACK"
chmod 0755 "$TMP" "$STACK"
https=$(mh_free_port)
http=$(mh_free_port "$https")
pg=$(mh_free_port "$https" "$http")
redis=$(mh_free_port "$https" "$http" "$pg")
internal=$(mh_free_port "$https" "$http" "$pg" "$redis")
if MENHIR_HTTPS_PORT=$https MENHIR_HTTP_PORT=$http MENHIR_PG_PORT=$pg MENHIR_REDIS_PORT=$redis \
	MENHIR_INTERNAL_PORT=$internal \
	MENHIR_ENABLE_TEST_ROUTES=true MENHIR_REQUEST_TIMEOUT=3 MENHIR_WORKERS=2 \
	MENHIR_RATE_LIMIT_EXEMPT=127.0.0.1 MENHIR_PASSWORD_TIME_COST=1 \
	MENHIR_PASSWORD_MEMORY_KIB=8192 timeout 300 ./script/stack start "$STACK" >"$TMP/stack.log" 2>&1; then
	ok "a stack starts from the copy (its migrations applied)"
	(
		# shellcheck source=/dev/null
		. "$STACK/env"
		check "t/it_$NAME passes against it" "$TMP/it.log" timeout 300 "./t/it_$NAME" --jobs=1
		check "t/it_isolation passes with the module's routes" "$TMP/iso.log" \
			timeout 600 ./t/it_isolation --jobs=1
		check "t/it_contract passes with the regenerated doc/openapi.json" "$TMP/contract.log" \
			timeout 600 ./t/it_contract --jobs=1
		# Stopped first: LeakSanitizer reports when the processes exit.
		"$TMP/tree/script/stack" stop "$STACK" >/dev/null 2>&1 || true
		hits=$(cat "$STACK/menhir.log" "$TMP"/it.log "$TMP"/iso.log "$TMP"/contract.log 2>/dev/null |
			grep -a -E 'AddressSanitizer|LeakSanitizer|runtime error:' | head -n 10 || true)
		if [[ -z $hits ]]; then
			ok "no sanitizer report from the module's code"
		else
			mapfile -t lines <<<"$hits"
			not_ok "no sanitizer report from the module's code" "${lines[@]}"
		fi
		exit "$FAILED"
	) || FAILED=1
else
	mapfile -t lines < <(tail -n 15 "$TMP/stack.log")
	not_ok "a stack starts from the copy" "${lines[@]}"
fi
exit "$FAILED"
