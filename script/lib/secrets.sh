# script/lib/secrets.sh — the local stack's generated passwords (PostgreSQL roles, Redis).
# shellcheck shell=bash
# Sourced by script/stack after common.sh; uses STATE.
#
# Each secret is made once per stack, the first time something asks for it, and kept in
# STATE/secrets/NAME (directory 0700, file 0600), so a restart reuses it and `destroy` removes
# it. 32 random bytes as hex: safe unquoted in a libpq conninfo string and in a redis:// URL,
# and long enough that a local user cannot guess it. Secrets are passed to the daemons
# through 0600 files or stdin, never on a command line (any local user can read those).
# script/test greps every log of a run for these values.

# mh_secret NAME: print the secret NAME, generating it the first time.
mh_secret() {
	local dir=$STATE/secrets f
	f=$dir/$1
	if [[ ! -s $f ]]; then
		(
			umask 077
			mkdir -p "$dir"
			od -An -v -tx1 -N32 /dev/urandom | tr -d ' \n' >"$f.tmp"
			mv "$f.tmp" "$f"
		)
	fi
	# A copy from an older stack, or someone's chmod: keep the rule whatever happened.
	chmod 0700 "$dir"
	chmod 0600 "$f"
	printf '%s' "$(<"$f")"
}

# mh_secret_file NAME: the file that holds secret NAME (generating it first).
mh_secret_file() {
	mh_secret "$1" >/dev/null
	printf '%s\n' "$STATE/secrets/$1"
}
