#!/usr/bin/env bash
# script/lib/check-deb.sh — build the Debian package, install it here, check it, purge it.
#
# Prints TAP-style lines (ok / not ok / skip) that script/test counts. Needs a configured
# tree (script/bootstrap ran) for `make distdir`, root for dpkg -i, and a machine that may
# have a package installed and purged: CI's throw-away one, as root. The package is built
# from a distdir copy in a temp folder (so the tarball's contents are what gets packaged,
# and the checkout's sanitizer build is left alone), without sanitizers, as Debian would.
#
# It skips, saying why, only when the package cannot be built or installed at all here
# (no dpkg-buildpackage, not root); a missing debhelper or lintian is a failure, since
# script/bootstrap installs them. It refuses to touch a menhir package that was already
# installed before it ran.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
TMP=
INSTALLED=

ok() { echo "ok - deb: $*"; }
notok() { echo "not ok - deb: $*"; }
# indent FILE: a log's tail as TAP comments.
indent() { tail -n "${2:-20}" "$1" | sed 's/^/#   /'; }

cleanup() {
	if [[ -n $INSTALLED ]]; then
		dpkg --purge menhir >/dev/null 2>&1 || echo "# deb: could not purge menhir"
	fi
	[[ -z $TMP ]] || rm -rf "$TMP"
}

# check_stat PATH OWNER:GROUP MODE: PATH exists with exactly that owner, group and mode.
check_stat() {
	local have
	have=$(stat -c '%U:%G %a' "$1" 2>/dev/null || echo missing)
	if [[ $have == "$2 $3" ]]; then ok "$1 is $2 $3"; else notok "$1 is $have, want $2 $3"; fi
}

build() {
	local version
	version=$(cd "$ROOT" && dpkg-parsechangelog -S Version)
	TMP=$(mktemp -d /tmp/menhir-deb.XXXXXX)
	if ! make -s -C "$ROOT" distdir distdir="$TMP/menhir-$version" >"$TMP/distdir.log" 2>&1; then
		notok "make distdir"
		indent "$TMP/distdir.log"
		return 1
	fi
	# Debian's own build: no sanitizers, hardening flags, -Werror off (debian/rules).
	if ! (cd "$TMP/menhir-$version" && timeout 900 dpkg-buildpackage -us -uc -b) \
		>"$TMP/build.log" 2>&1; then
		notok "dpkg-buildpackage -us -uc -b"
		indent "$TMP/build.log" 40
		return 1
	fi
	ok "dpkg-buildpackage -us -uc -b builds menhir_${version}"
	DEB=$(echo "$TMP"/menhir_"${version}"_*.deb)
	CHANGES=$(echo "$TMP"/menhir_"${version}"_*.changes)
	VERSION=$version
}

check_lintian() {
	# Every remaining tag is justified in debian/menhir.lintian-overrides.
	if lintian --fail-on error,warning "$CHANGES" >"$TMP/lintian.log" 2>&1; then
		ok "lintian: no error or warning"
	else
		notok "lintian"
		indent "$TMP/lintian.log"
	fi
}

check_installed() {
	local out f
	out=$(/usr/bin/menhir --version 2>&1 || true)
	if [[ $out == "menhir $VERSION" ]]; then ok "menhir --version says $VERSION"; else notok "menhir --version: $out"; fi
	if getent passwd menhir | grep -q ':/nonexistent:/usr/sbin/nologin$'; then
		ok "the menhir system user exists (sysusers), no home, no shell"
	else
		notok "the menhir user: $(getent passwd menhir || echo missing)"
	fi
	# Installed units, as installed (the real /usr/bin/menhir is there now).
	out=$(SYSTEMD_LOG_COLOR=0 systemd-analyze verify --man=no /lib/systemd/system/menhir.socket \
		/lib/systemd/system/menhir.service /lib/systemd/system/menhir-worker.service \
		/lib/systemd/system/menhir-migrate.service 2>&1) || true
	if [[ -z $out ]]; then ok "systemd-analyze verify: the installed units"; else
		notok "systemd-analyze verify"
		printf '%s\n' "$out" | sed 's/^/#   /'
	fi
	# Enabled, not started (started only by the operator, after configuring).
	for f in sockets.target.wants/menhir.socket multi-user.target.wants/menhir.service \
		multi-user.target.wants/menhir-worker.service; do
		if [[ -L /etc/systemd/system/$f ]]; then ok "enabled: $f"; else notok "not enabled: $f"; fi
	done
	if [[ -d /run/systemd/system ]]; then
		for f in menhir.socket menhir.service menhir-worker.service; do
			if systemctl is-active --quiet "$f"; then notok "$f was started by the package"; else ok "$f not started"; fi
		done
	fi
	check_stat /usr/bin/menhir root:root 755
	check_stat /etc/menhir root:root 755
	check_stat /etc/menhir/menhir.conf root:menhir 640
	check_stat /etc/menhir/keys menhir:menhir 700
	check_stat /etc/nginx/sites-available/menhir root:root 644
	check_stat /lib/systemd/system/menhir.service root:root 644
	check_stat /usr/lib/sysusers.d/menhir.conf root:root 644
	check_stat /usr/lib/tmpfiles.d/menhir.conf root:root 644
	check_stat /usr/share/menhir/schema/0001_foundation.sql root:root 644
	check_stat /usr/share/menhir/doc/openapi.json root:root 644
	check_stat /usr/share/menhir/web/docs/index.html root:root 644
	check_stat /var/lib/menhir/files menhir:www-data 2750
	check_stat /run/menhir menhir:www-data 750
	check_stat /run/menhir/events menhir:menhir 700
	for f in /usr/share/man/man8/menhir.8.gz /usr/share/man/man5/menhir.conf.5.gz; do
		out=$(LC_ALL=C.UTF-8 MANROFFSEQ='' man --warnings -l "$f" 2>&1 >/dev/null) || out="man failed"
		if [[ -z $out ]]; then ok "$f renders without warnings"; else notok "$f: $out"; fi
	done
	# The shipped configuration loads as it is, and with every key uncommented at its
	# default: the sample cannot name a key, or a default, the binary refuses.
	if /usr/bin/menhir --config /etc/menhir/menhir.conf config >/dev/null 2>"$TMP/conf.log"; then
		ok "/etc/menhir/menhir.conf loads"
	else
		notok "/etc/menhir/menhir.conf: $(cat "$TMP/conf.log")"
	fi
	sed 's/^#\([a-z_]* = \)/\1/' /etc/menhir/menhir.conf >"$TMP/all.conf"
	if [[ $(grep -c '^[a-z_]* = ' "$TMP/all.conf") -gt 40 ]] &&
		/usr/bin/menhir --config "$TMP/all.conf" config >/dev/null 2>"$TMP/conf.log"; then
		ok "every key of the sample, uncommented, loads"
	else
		notok "the sample with every key uncommented: $(cat "$TMP/conf.log")"
	fi
}

check_purge() {
	local left
	if dpkg -r menhir >"$TMP/remove.log" 2>&1 && [[ ! -e /usr/bin/menhir ]] &&
		[[ -e /etc/menhir/menhir.conf ]]; then
		ok "dpkg -r removes the binary and keeps the configuration"
	else
		notok "dpkg -r"
		indent "$TMP/remove.log"
	fi
	dpkg --purge menhir >"$TMP/purge.log" 2>&1 || true
	INSTALLED=
	left=$(ls -d /etc/menhir /etc/nginx/sites-available/menhir /lib/systemd/system/menhir* \
		/etc/systemd/system/*.wants/menhir* 2>/dev/null || true)
	if [[ -z $left ]] && ! dpkg -s menhir >/dev/null 2>&1; then
		ok "dpkg --purge leaves no configuration, unit or enablement behind"
	else
		notok "dpkg --purge left: $left"
	fi
}

main() {
	if ! command -v dpkg-buildpackage >/dev/null; then
		echo "skip - deb: dpkg-buildpackage is not installed (not a Debian machine)"
		return 0
	fi
	if ((EUID != 0)); then
		echo "skip - deb: installing the package needs root (CI runs as root)"
		return 0
	fi
	local tool
	for tool in dh lintian; do
		command -v "$tool" >/dev/null || {
			notok "$tool is missing (script/bootstrap installs debhelper and lintian)"
			return 1
		}
	done
	if dpkg -s menhir >/dev/null 2>&1; then
		notok "a menhir package is already installed on this machine; not touching it"
		return 1
	fi
	trap cleanup EXIT
	build || return 1
	check_lintian
	if dpkg -i "$DEB" >"$TMP/install.log" 2>&1; then
		INSTALLED=1
		ok "dpkg -i ${DEB##*/}"
	else
		INSTALLED=1
		notok "dpkg -i"
		indent "$TMP/install.log"
		return 1
	fi
	check_installed
	check_purge
}

main "$@"
