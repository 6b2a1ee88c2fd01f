/* provider.c - calls to the payment provider's API: a form-encoded POST with the secret key
 * as a Bearer token and an Idempotency-Key, to billing_api_url (Stripe's, or a loopback
 * receiver in the tests), bounded by billing_timeout. Only the answer's "url" is read. */
#include "modules/billing/internal.h"

#include <string.h>

#include <curl/curl.h>
#include <json-c/json.h>

#include "core/curl_easy.h"
#include "core/json.h"

#define MAX_ANSWER (64 * 1024)

void billing_form_add(struct mh_buf *b, const char *name, const char *value)
{
	static const char hex[] = "0123456789ABCDEF";
	const char *parts[2] = {name, value};

	if (b->len > 0)
		mh_buf_putc(b, '&');
	for (int i = 0; i < 2; i++) {
		for (const unsigned char *p = (const unsigned char *)parts[i]; *p; p++) {
			if ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
			    (*p >= '0' && *p <= '9') || strchr("-._~", *p) != NULL) {
				mh_buf_putc(b, (char)*p);
			} else {
				mh_buf_putc(b, '%');
				mh_buf_putc(b, hex[*p >> 4]);
				mh_buf_putc(b, hex[*p & 15]);
			}
		}
		if (i == 0)
			mh_buf_putc(b, '=');
	}
}

static size_t collect(char *data, size_t size, size_t n, void *userdata)
{
	struct mh_buf *b = userdata;

	if (b->len + size * n > MAX_ANSWER)
		return 0; /* too big: the transfer fails */
	mh_buf_append(b, data, size * n);
	return size * n;
}

static void free_slist(void *p)
{
	curl_slist_free_all(p);
}

static void free_easy(void *p)
{
	curl_easy_cleanup(p);
}

int billing_provider_post(struct mh_arena *a, struct billing_call *call)
{
	const char *url = mh_arena_sprintf(a, "%s%s", billing_settings.billing_api_url, call->path);
	const char *auth = mh_arena_sprintf(a, "Authorization: Bearer %s", billing_secrets.api_key);
	const char *idem = mh_arena_sprintf(a, "Idempotency-Key: %s", call->idempotency_key);
	const char *lines[3] = {auth, idem, "Content-Type: application/x-www-form-urlencoded"};
	struct curl_slist *h = NULL, *h2;
	struct json_object *o, *u;
	struct mh_buf answer;
	CURL *c;

	call->status = 0;
	call->url = NULL;
	if (url == NULL || auth == NULL || idem == NULL || (c = curl_easy_init()) == NULL)
		return -1;
	if (mh_arena_defer(a, free_easy, c) < 0) {
		curl_easy_cleanup(c);
		return -1;
	}
	for (int i = 0; i < 3; i++) {
		if ((h2 = curl_slist_append(h, lines[i])) == NULL) {
			curl_slist_free_all(h);
			return -1;
		}
		h = h2;
	}
	if (mh_arena_defer(a, free_slist, h) < 0) {
		curl_slist_free_all(h);
		return -1;
	}
	/* The configured URL only (http for a loopback stand-in), through no proxy of the
	 * environment: the request carries the secret key. */
	if (mh_curl_easy_setup(c, "http,https", (long)billing_settings.billing_timeout, NULL) < 0)
		return -1;
	mh_buf_init(&answer, a, 1024);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(c, CURLOPT_USERAGENT, "Menhir-Billing/1");
	curl_easy_setopt(c, CURLOPT_POSTFIELDS, call->form);
	curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)strlen(call->form));
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &answer);
	if (curl_easy_perform(c) != CURLE_OK)
		return -1;
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &call->status);
	if (call->status < 200 || call->status > 299 || mh_buf_cstr(&answer) == NULL)
		return -1;
	o = mh_json_defer(a, json_tokener_parse(mh_buf_cstr(&answer)));
	if (o == NULL || !json_object_object_get_ex(o, "url", &u) ||
	    !json_object_is_type(u, json_type_string) ||
	    strncmp(json_object_get_string(u), "https://", 8) != 0)
		return -1;
	call->url = mh_arena_strdup(a, json_object_get_string(u));
	return call->url ? 0 : -1;
}
