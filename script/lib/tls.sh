# script/lib/tls.sh — the local stack's self-signed certificate, made once per state folder.
# shellcheck shell=bash
# Sourced by script/stack after common.sh; uses STATE.

# tls_ensure: STATE/tls/cert.pem and key.pem for localhost and 127.0.0.1. Tests trust the
# certificate itself as their CA (MENHIR_TEST_CA), so no verification is switched off.
tls_ensure() {
	local dir=$STATE/tls
	[[ -s $dir/cert.pem && -s $dir/key.pem ]] && return 0
	mkdir -p "$dir"
	chmod 0700 "$dir"
	openssl req -x509 -newkey rsa:2048 -nodes -days 825 -sha256 \
		-keyout "$dir/key.pem" -out "$dir/cert.pem" \
		-subj "/CN=localhost" \
		-addext "subjectAltName=DNS:localhost,IP:127.0.0.1" \
		-addext "basicConstraints=critical,CA:TRUE" \
		-addext "keyUsage=critical,digitalSignature,keyEncipherment,keyCertSign" \
		-addext "extendedKeyUsage=serverAuth" >"$dir/openssl.log" 2>&1 || {
		cat "$dir/openssl.log" >&2
		mh_die "openssl could not make the certificate"
	}
	chmod 0600 "$dir/key.pem"
	mh_info "made self-signed certificate $dir/cert.pem"
}
