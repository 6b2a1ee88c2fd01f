#!/usr/bin/env bash
# script/lib/check-systemd.sh — verify systemd/*.service and *.socket with systemd-analyze.
#
# Prints one TAP-style line: "ok - systemd units", "not ok - systemd units" (exit 1), or
# "skip - …" (exit 0) when systemd-analyze is missing. script/test counts the line.
#
# systemd-analyze verify insists that ExecStart names an executable, and /usr/bin/menhir
# exists only once the package is installed; the units are checked as copies pointing at a
# stub, which changes nothing else about them. It prints warnings (an unknown key, say)
# without failing, so any output at all is a failure here.
set -euo pipefail

main() {
	local root units tmp out rc=0 f
	root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
	if ! command -v systemd-analyze >/dev/null; then
		echo "skip - systemd units (systemd-analyze not installed; script/bootstrap installs it)"
		return 0
	fi
	tmp=$(mktemp -d)
	# shellcheck disable=SC2064 # expand now: remove exactly this dir
	trap "rm -rf '$tmp'" EXIT
	mkdir "$tmp/units"
	printf '#!/bin/sh\nexit 0\n' >"$tmp/menhir"
	chmod +x "$tmp/menhir"
	units=("$root"/systemd/*.service "$root"/systemd/*.socket)
	for f in "${units[@]}"; do
		sed "s|/usr/bin/menhir|$tmp/menhir|g" "$f" >"$tmp/units/${f##*/}"
	done
	out=$(cd "$tmp" && SYSTEMD_LOG_COLOR=0 systemd-analyze verify --man=no "$tmp"/units/* 2>&1) || rc=$?
	if ((rc == 0)) && [[ -z $out ]]; then
		echo "ok - systemd units (${#units[@]} verified)"
		return 0
	fi
	echo "not ok - systemd units"
	printf '%s\n' "$out" | sed "s|$tmp/units/|systemd/|g; s|^|#   |"
	return 1
}

main "$@"
