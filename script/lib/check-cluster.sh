#!/usr/bin/env bash
# script/lib/check-cluster.sh — the cluster suites, for script/test: t/it_cluster against a
# two-host cluster (script/cluster), then bench/faults with its checks (no acknowledged write
# lost, no job lost or run twice, idempotent retries answer the same, failures end soon
# after the repair), its fault table printed as it goes.
#
# Prints TAP-style lines that script/test counts: one per t/it_cluster test, one per fault,
# one for sanitizer reports in the hosts' logs, one for namespaces left behind. Needs root
# and network namespaces; without them it prints "skip - …" and succeeds, except under
# CI=true, where the line is "not ok - …": CI must run them.
#
# Each cluster lives in a temporary folder and namespaces of its own (named after the
# folder), on loopback and a bridge inside those namespaces; whatever happens (a failure, a
# time limit, ^C) the EXIT trap destroys both clusters and checks that no namespace of
# theirs is left. Time limits: MENHIR_CLUSTER_IT_LIMIT [300] s for starting the cluster and
# t/it_cluster, MENHIR_FAULTS_LIMIT [1800] s for bench/faults (about 3 minutes on a shared
# 2-CPU machine).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
CLUSTER=$ROOT/script/cluster
DIRS=()
CHILD=

# unavailable REASON: the suites cannot run here.
unavailable() {
	if [[ ${CI:-} == true ]]; then
		echo "not ok - cluster suites cannot run: $1 (CI=true: they must)"
		return 1
	fi
	echo "skip - cluster suites t/it_cluster and bench/faults: $1"
}

# preflight: prints why the suites cannot run here, or nothing.
preflight() {
	local probe=mhprobe$$
	if ((EUID != 0)); then
		echo "not root (network namespaces need it)"
	elif ! command -v ip >/dev/null; then
		echo "no ip command (iproute2)"
	elif ! ip netns add "$probe" 2>/dev/null; then
		echo "network namespaces unavailable (ip netns add failed)"
	else
		ip netns del "$probe"
	fi
}

# bounded SECONDS CMD…: CMD under timeout(1), in the background so that a signal to this
# script is acted on at once (bash runs a trap only once the foreground command is done):
# cleanup() then stops CMD, which removes what it made, before anything else goes.
bounded() {
	local limit=$1 rc=0
	shift
	timeout -k 30 "$limit" "$@" &
	CHILD=$!
	wait "$CHILD" || rc=$?
	CHILD=
	return "$rc"
}

# shellcheck disable=SC2317 # called by the EXIT trap
cleanup() {
	local rc=$? d left
	if [[ -n $CHILD ]]; then
		kill -TERM "$CHILD" 2>/dev/null || true
		wait "$CHILD" 2>/dev/null || true
	fi
	# Leftover files of an interrupted run (the folders themselves go with destroy).
	for d in "${DIRS[@]}"; do rm -f "$d.start.log" "$d.out" "$d.log" "$d.tap"; done
	for d in "${DIRS[@]}"; do
		"$CLUSTER" destroy "$d" >/dev/null 2>&1 || true
		left=$("$CLUSTER" namespaces "$d" | tr '\n' ' ')
		if [[ -n ${left// /} ]]; then
			echo "not ok - cluster namespaces left behind: $left"
			rc=1
		fi
	done
	exit "$rc"
}

# new_dir PREFIX: a fresh folder for a cluster in DIR, destroyed on exit (not in a command
# substitution: DIRS must grow in this shell).
new_dir() {
	DIR=$(mktemp -d "/tmp/menhir-$1.XXXXXX")
	chmod 0755 "$DIR"
	DIRS+=("$DIR")
}

# sanitizer_scan NAME DIR: the stopped cluster's menhir logs hold no ASan/LSan/UBSan report
# (LeakSanitizer reports when a process exits, so stop the cluster first).
sanitizer_scan() {
	local name=$1 dir=$2 hits
	hits=$(grep -a -n -E 'AddressSanitizer|LeakSanitizer|runtime error:' \
		"$dir"/a/menhir.log "$dir"/a/work.log "$dir"/b/menhir.log "$dir"/b/work.log 2>/dev/null || true)
	if [[ -z $hits ]]; then
		echo "ok - $name: no sanitizer report in the app hosts' logs"
	else
		echo "not ok - $name: sanitizer reports in the app hosts' logs"
		printf '%s\n' "$hits" | head -n 20 | sed 's/^/#   /'
	fi
}

# it_cluster: start a cluster, run t/it_cluster from its lb namespace, one line per test.
it_cluster() {
	local dir out rc=0 t0=$SECONDS
	new_dir cluster
	dir=$DIR
	if ! bounded 120 "$CLUSTER" start "$dir" >"$dir.start.log" 2>&1; then
		echo "not ok - t/it_cluster: script/cluster start failed"
		tail -n 30 "$dir.start.log" | sed 's/^/#   /'
		rm -f "$dir.start.log"
		return 0
	fi
	rm -f "$dir.start.log"
	# shellcheck disable=SC2016 # $1 and $2 are the inner shell's
	bounded "${MENHIR_CLUSTER_IT_LIMIT:-300}" "$CLUSTER" exec "$dir" lb \
		env CRITERION_JOBS=1 sh -c '. "$1/env" && exec "$2/t/it_cluster" --tap' \
		it_cluster "$dir" "$ROOT" >"$dir.out" 2>&1 || rc=$?
	out=$(<"$dir.out")
	rm -f "$dir.out"
	# Every test runs on a cluster: a skipped one is a failure here.
	printf '%s\n' "$out" | sed -E \
		-e 's/^ok - (cluster::[^ ]*) *# SKIP (.*)$/not ok - t\/it_cluster: \1 skipped: \2/' \
		-e 's/^ok - (cluster::)/ok - t\/it_cluster: \1/' \
		-e 's/^not ok - (cluster::)/not ok - t\/it_cluster: \1/' \
		-e '/^(ok|not ok) - /!s/^/#   /'
	if ((rc != 0)) && ! grep -q '^not ok ' <<<"$out"; then
		echo "not ok - t/it_cluster exited $rc (124: over its time limit)"
	fi
	if grep -q -E 'AddressSanitizer|LeakSanitizer|runtime error:' <<<"$out"; then
		echo "not ok - t/it_cluster: sanitizer reports in its output (above)"
	fi
	"$CLUSTER" stop "$dir" >/dev/null 2>&1 || true
	sanitizer_scan "t/it_cluster" "$dir"
	"$CLUSTER" destroy "$dir" >/dev/null 2>&1 || true
	echo "# t/it_cluster: $((SECONDS - t0)) s"
}

# faults: bench/faults on a cluster of its own (no throughput rows: they measure the
# machine, not a property), its table and one line per fault.
faults() {
	local dir rc=0 t0=$SECONDS
	new_dir faults
	dir=$DIR
	FAULTS_DIR=$dir FAULTS_KEEP=1 FAULTS_THROUGHPUT=0 FAULTS_TAP=$dir.tap \
		bounded "${MENHIR_FAULTS_LIMIT:-1800}" "$ROOT/bench/faults" >"$dir.log" 2>&1 || rc=$?
	# The table (its rows start with "|"), the progress lines as comments.
	sed -E -e '/^(ok|not ok) - /d' -e '/^(\||## |$)/!s/^/# /' "$dir.log"
	[[ ! -s $dir.tap ]] || cat "$dir.tap"
	if ((rc != 0)) && ! grep -q '^not ok ' "$dir.tap" 2>/dev/null; then
		echo "not ok - bench/faults exited $rc (124: over its time limit; its log is above)"
	fi
	rm -f "$dir.log" "$dir.tap"
	"$CLUSTER" stop "$dir" >/dev/null 2>&1 || true
	sanitizer_scan "bench/faults" "$dir"
	"$CLUSTER" destroy "$dir" >/dev/null 2>&1 || true
	echo "# bench/faults: $((SECONDS - t0)) s"
}

main() {
	local why
	why=$(preflight)
	if [[ -n $why ]]; then
		unavailable "$why"
		return
	fi
	trap cleanup EXIT
	trap 'exit 143' TERM
	trap 'exit 130' INT
	make -C "$ROOT" -s menhir bench/faultload t/it_cluster >/dev/null ||
		{
			echo "not ok - cluster suites: the programs did not build"
			return 1
		}
	it_cluster
	faults
}

main "$@"
