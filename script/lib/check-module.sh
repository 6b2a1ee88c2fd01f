#!/usr/bin/env bash
# script/lib/check-module.sh — adding a module is a folder and one line: proves it.
#
# Copies the checkout (the files git knows, committed or not) to a temp dir, adds a
# throw-away module exactly as README "Adding a module" says — the folder
# src/modules/hello/ (hello.c and module.am), one line in src/modules/modules.c, one line in
# Makefile.am — builds it without sanitizers, and checks that `menhir routes` lists its route,
# `menhir config` its configuration key (with a value from the environment) and
# `menhir openapi` the route's documentation. Prints TAP lines ("ok - …", "not ok - …", or
# "skip - …" outside a git checkout); script/test counts them. Takes about a minute on two cores: the whole binary is compiled once.
set -euo pipefail

# The module a developer would write: one route, one configuration key, nothing else.
hello_c() {
	cat <<'C'
/* hello.c - a throw-away module (script/lib/check-module.sh): one route, one setting. */
#include "core/buf.h"
#include "core/module.h"
#include "core/openapi.h"

static struct hello_settings {
	char hello_greeting[64];
} hello_settings;

static const struct mh_config_key hello_keys[] = {
	MH_KEY_STR(struct hello_settings, hello_greeting, "hello", "what GET /api/v1/hello says"),
	{ 0 },
};

static const struct mh_settings hello_config = {
	hello_keys, &hello_settings, sizeof(hello_settings), NULL, NULL,
};

/* GET /api/v1/hello (public) 200 {"data": {"greeting": hello_greeting}}. */
static int hello_get(struct mh_request *req, struct mh_response *res)
{
	struct mh_buf b;

	mh_buf_init(&b, req->arena, 128);
	mh_buf_puts(&b, "{\"greeting\":");
	mh_buf_json_cstr(&b, hello_settings.hello_greeting);
	mh_buf_putc(&b, '}');
	return b.failed ? -1 : mh_reply_data(req, res, 200, mh_buf_cstr(&b));
}

static const struct mh_doc_response hello_responses[] = {
	{ 200, "The greeting.", .content = "{\"application/json\":{\"schema\":{\"type\":\"object\"}}}" },
	{ 0 },
};
static const struct mh_route_doc hello_doc = {
	.operation_id = "hello",
	.flags = MH_DOC_NO_DEPENDENCY,
	.summary = "Hello",
	.responses = hello_responses,
};

static const struct mh_route hello_routes[] = {
	{ MH_GET, "/api/v1/hello", hello_get, MH_PUBLIC, MH_ROLE_NONE, .doc = &hello_doc },
	{ 0 },
};

const struct mh_module hello_module = {
	.name = "hello",
	.routes = hello_routes,
	.settings = &hello_config,
};
C
}

check() {
	local name=$1
	shift
	if "$@" >>"$tmp/check.log" 2>&1; then
		echo "ok - $name"
	else
		echo "not ok - $name"
		tail -n 20 "$tmp/check.log" | sed 's/^/#   /'
		rc=1
	fi
}

main() {
	local root tmp rc=0
	root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
	if ! git -C "$root" rev-parse --git-dir >/dev/null 2>&1; then
		echo "skip - a module is a folder and one line (not a git checkout)"
		return 0
	fi
	tmp=$(mktemp -d)
	# shellcheck disable=SC2064 # expand now: remove exactly this dir
	trap "rm -rf '$tmp'" EXIT
	mkdir "$tmp/src"
	(cd "$root" && git ls-files -z --cached --others --exclude-standard |
		while IFS= read -r -d '' f; do [[ -f $f ]] && printf '%s\0' "$f"; done |
		xargs -0 cp --parents -t "$tmp/src")
	cd "$tmp/src"

	# The steps of README "Adding a module", and nothing else.
	mkdir src/modules/hello
	hello_c >src/modules/hello/hello.c
	printf 'libmenhir_a_SOURCES += src/modules/hello/hello.c\n' >src/modules/hello/module.am
	sed -i 's|^\(\s*\)/\* the end of the list|\1X(hello) \\\n&|' src/modules/modules.c
	# shellcheck disable=SC2016 # $(srcdir) is automake's, not ours
	printf 'include $(srcdir)/src/modules/hello/module.am\n' >>Makefile.am

	check "throw-away module: one line in modules.c" grep -q 'X(hello)' src/modules/modules.c
	check "throw-away module builds" sh -c \
		'autoreconf -fi && ./configure --disable-sanitizers && make -j2 menhir'
	check "throw-away module: menhir routes lists its route" sh -c \
		'./menhir routes | grep -q "\"pattern\": \"/api/v1/hello\""'
	check "throw-away module: menhir config reads its key" sh -c \
		'MENHIR_HELLO_GREETING=hi ./menhir config | grep -qx "hello_greeting = hi"'
	check "throw-away module: menhir openapi documents its route" sh -c \
		'./menhir openapi | grep -q "\"/api/v1/hello\""'
	return "$rc"
}

main "$@"
