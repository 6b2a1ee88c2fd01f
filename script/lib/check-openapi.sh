#!/usr/bin/env bash
# script/lib/check-openapi.sh — the API contract document: doc/openapi.json must be exactly
# what `menhir openapi` generates from the route table, and Redocly CLI (an OpenAPI 3.1
# validator independent of the generator; script/bootstrap installs it into .cache/) must
# accept it under doc/redocly.yaml's rules.
#
#   script/lib/check-openapi.sh MENHIR_BINARY
#
# Prints one TAP-style line per check ("ok - …" / "not ok - …"); exits 1 if any failed.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BIN=${1:-$ROOT/menhir}
LINT=$ROOT/.cache/redocly/node_modules/.bin/redocly
FAILED=0
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

not_ok() {
	echo "not ok - $1"
	shift
	local line
	for line in "$@"; do printf '#   %s\n' "$line"; done
	FAILED=1
}

if "$BIN" openapi >"$TMP/generated.json" 2>"$TMP/generate.err" &&
	cmp -s "$TMP/generated.json" "$ROOT/doc/openapi.json"; then
	echo "ok - doc/openapi.json is what menhir openapi prints"
else
	not_ok "doc/openapi.json is what menhir openapi prints" \
		"regenerate it: ./menhir openapi > doc/openapi.json" \
		"$(head -c 300 "$TMP/generate.err")" \
		"$(diff "$ROOT/doc/openapi.json" "$TMP/generated.json" 2>&1 | head -n 10)"
fi

if [[ ! -x $LINT ]]; then
	not_ok "Redocly CLI accepts doc/openapi.json" "not installed: run script/bootstrap (needs npm)"
elif (cd "$ROOT" && REDOCLY_TELEMETRY=off REDOCLY_SUPPRESS_UPDATE_NOTICE=true NO_COLOR=1 \
	"$LINT" lint --config doc/redocly.yaml --format=stylish doc/openapi.json) \
	>"$TMP/lint.log" 2>&1; then
	echo "ok - Redocly CLI accepts doc/openapi.json (OpenAPI 3.1)"
else
	mapfile -t lines < <(grep -E 'error|warning' "$TMP/lint.log" | head -n 20)
	not_ok "Redocly CLI accepts doc/openapi.json (OpenAPI 3.1)" "${lines[@]}"
fi
exit "$FAILED"
