# script/lib/common.sh — helpers shared by script/*: messages, process and port checks, quoting.
# shellcheck shell=bash
# Sourced, never run. Callers set `set -euo pipefail` themselves.

# The checkout this library belongs to, whatever the caller's working directory.
# shellcheck disable=SC2034 # used by the scripts that source this file
MH_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"

mh_info() { printf '%s: %s\n' "${MH_PROG:-menhir}" "$*" >&2; }
mh_warn() { printf '%s: warning: %s\n' "${MH_PROG:-menhir}" "$*" >&2; }
mh_die() {
	printf '%s: error: %s\n' "${MH_PROG:-menhir}" "$*" >&2
	exit 1
}

# mh_shq VALUE: VALUE quoted for a POSIX shell, so the env file survives spaces and quotes.
mh_shq() {
	local s=${1//\'/\'\\\'\'}
	printf "'%s'" "$s"
}

# mh_pqq VALUE: VALUE quoted for a libpq conninfo string (single quotes, \ and ' escaped).
mh_pqq() {
	local s=${1//\\/\\\\}
	s=${s//\'/\\\'}
	printf "'%s'" "$s"
}

# mh_pid_alive PID [NAME]: true when PID is a live (non-zombie) process and, if NAME is
# given, its command line mentions NAME. The name check keeps a stale PID file (after a
# reboot, say) from making us leave alone, or later kill, some unrelated process.
mh_pid_alive() {
	local pid=$1 name=${2:-} state cmd
	[[ $pid =~ ^[0-9]+$ ]] || return 1
	[[ -r /proc/$pid/stat ]] || return 1
	# Field 3 of /proc/PID/stat is the state; the command in field 2 may hold spaces.
	state=$(sed -E 's/^.*\) ([A-Za-z]).*$/\1/' "/proc/$pid/stat" 2>/dev/null) || return 1
	[[ $state != Z && $state != X ]] || return 1
	if [[ -n $name ]]; then
		cmd=$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null) || return 1
		[[ $cmd == *"$name"* ]] || return 1
	fi
	return 0
}

# mh_pidfile_pid FILE: the first line of FILE (a PID), or nothing.
mh_pidfile_pid() {
	[[ -s $1 ]] || return 0
	head -n 1 "$1" | tr -dc '0-9'
}

# mh_wait_dead PID SECONDS: wait for PID to go away; false if it is still there after SECONDS.
mh_wait_dead() {
	local pid=$1 tenths=$(($2 * 10))
	while mh_pid_alive "$pid"; do
		((tenths-- > 0)) || return 1
		sleep 0.1
	done
}

# mh_port_busy PORT: true when something accepts TCP connections on 127.0.0.1:PORT.
mh_port_busy() {
	(exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# mh_free_port [EXCLUDE...]: print a loopback TCP port nobody listens on and that is not
# among EXCLUDE. Random in 20000–59999, above the usual service ports and mostly below
# Linux's ephemeral range, so the pick rarely collides with an outgoing connection.
mh_free_port() {
	local port tries=200 ex busy low=60000 _
	# Below the kernel's ephemeral range: a port handed out there may be taken as the source
	# port of any outgoing connection before the test that listens on it (the billing
	# provider's stand-in binds only when its test runs) gets to bind it.
	read -r low _ </proc/sys/net/ipv4/ip_local_port_range 2>/dev/null || low=60000
	((low > 25000)) || low=60000
	while ((tries-- > 0)); do
		port=$((20000 + RANDOM % (low - 20000)))
		busy=
		for ex in "$@"; do [[ $ex == "$port" ]] && busy=1; done
		[[ -z $busy ]] || continue
		# Any TCP socket on the port, not only a listener: a client's connection (or its
		# TIME-WAIT) on an ephemeral port that happens to be this one makes bind() fail
		# too, and a busy machine has thousands of them.
		if command -v ss >/dev/null; then
			ss -Htan "sport = :$port" 2>/dev/null | grep -q . && continue
		fi
		mh_port_busy "$port" && continue
		printf '%s\n' "$port"
		return 0
	done
	mh_die "no free loopback port found"
}

# mh_cpus: the number of CPUs this process may use.
mh_cpus() {
	nproc 2>/dev/null || echo 1
}
