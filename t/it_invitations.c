/* it_invitations.c - invitations with consent, end to end through nginx with the mail read
 * from the stack's SMTP mailbox: a new address accepts by choosing its password; an existing
 * account changes nothing until its owner logs in and accepts (the review's first defect); an
 * invited address can still sign up normally (its second); single-use tokens, revocation,
 * expiry, a token used from another tenant; the owner rule, the per-tenant limit; no answer
 * names another tenant's user; login never lands in the tenant that added someone last. */
#include <openssl/sha.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <json-c/json.h>

#include "auth_helpers.h"
#include "helpers.h"
#include "mail_helpers.h"
#include "secrets.h"

TestSuite(invitations, .timeout = 240);

#define MAIL_WAIT_MS 20000

/* Invites email into inviter's tenant with role; returns the status, the invitation's id in
 * id (when 201) and the body in r (caller frees). */
static long invite(const struct t_session *inviter, const char *email, const char *role,
                   char id[40], struct http_response *r)
{
	char body[300];

	snprintf(body, sizeof(body), "{\"email\":\"%s\",\"role\":\"%s\"}", email, role);
	t_auth_request("POST", "/api/v1/tenants/current/invitations", inviter->access, NULL, NULL,
	               body, r);
	if (r->status == 201 && id != NULL) {
		json_object *root = t_auth_json(r);
		snprintf(id, 40, "%s", t_auth_data_str(root, "id"));
		json_object_put(root);
	}
	return r->status;
}

/* Invites and returns the token of the n-th mail to email. */
static void invite_token(const struct t_session *inviter, const char *email, const char *role,
                         int n, char token[64], char id[40])
{
	struct http_response r;
	char *mail;

	cr_assert_eq(invite(inviter, email, role, id, &r), 201, "%s", r.body);
	t_http_free(&r);
	mail = t_mail_wait(email, "/accept-invitation#", n, MAIL_WAIT_MS);
	cr_assert(mail != NULL, "no invitation mail reached %s", email);
	t_mail_token(mail, "accept-invitation", token, 64);
	free(mail);
}

static long accept(const char *token, const char *password, const char *bearer,
                   struct http_response *r)
{
	char body[300];

	if (password != NULL)
		snprintf(body, sizeof(body), "{\"token\":\"%s\",\"password\":\"%s\"}", token,
		         password);
	else
		snprintf(body, sizeof(body), "{\"token\":\"%s\"}", token);
	t_auth_request("POST", "/api/v1/auth/invitations/accept", bearer, NULL, NULL, body, r);
	return r->status;
}

static long memberships(const char *user_id)
{
	char sql[200];

	snprintf(sql, sizeof(sql), "SELECT count(*) FROM memberships WHERE user_id = '%s'",
	         user_id);
	return t_auth_sql_long(sql);
}

static long is_member(const char *tenant_id, const char *user_id)
{
	char sql[300];

	snprintf(sql, sizeof(sql),
	         "SELECT count(*) FROM memberships WHERE tenant_id = '%s' AND user_id = '%s'",
	         tenant_id, user_id);
	return t_auth_sql_long(sql);
}

Test(invitations, a_new_address_accepts_by_choosing_a_password)
{
	struct t_session owner, joined;
	struct http_response r;
	char email[160], token[64], id[40], *mail;
	json_object *root;

	t_auth_signup(&owner, "inv-owner");
	t_auth_email(email, sizeof(email), "inv-new");
	cr_assert_eq(invite(&owner, email, "member", id, &r), 201, "%s", r.body);
	cr_assert(strstr(r.body, "\"status\":\"pending\"") != NULL, "%s", r.body);
	cr_assert(strstr(r.body, "user_id") == NULL, "no user id before acceptance: %s", r.body);
	{
		char *loc = t_header(&r, "location");
		cr_assert(loc != NULL && strstr(loc, id) != NULL);
		free(loc);
	}
	t_http_free(&r);
	mail = t_mail_wait(email, "/accept-invitation#", 1, MAIL_WAIT_MS);
	cr_assert(mail != NULL, "no invitation mail");
	cr_assert(strstr(mail, "inv-owner tenant") != NULL, "the mail names the tenant");
	cr_assert(strstr(mail, "text/html") != NULL && strstr(mail, "text/plain") != NULL);
	t_mail_token(mail, "accept-invitation", token, sizeof(token));
	free(mail);
	/* Nothing exists before acceptance. */
	{
		char sql[256];
		snprintf(sql, sizeof(sql), "SELECT count(*) FROM users WHERE email = '%s'", email);
		cr_assert_eq(t_auth_sql_long(sql), 0, "an account without a credential was made");
	}
	/* A new account needs its password. */
	accept(token, NULL, NULL, &r);
	t_assert_error(&r, 400, "validation_failed");
	t_http_free(&r);
	cr_assert_eq(accept(token, T_SECRET_PASSWORD, NULL, &r), 201, "%s", r.body);
	root = t_auth_json(&r);
	cr_assert_str_eq(t_auth_data_str(root, "tenant_id"), owner.tenant_id);
	cr_assert_str_eq(t_auth_data_str(root, "role"), "member");
	json_object_put(root);
	t_http_free(&r);
	cr_assert_eq(t_auth_login(&joined, email, T_SECRET_PASSWORD, NULL), 200);
	cr_assert_str_eq(joined.tenant_id, owner.tenant_id);
	cr_assert_str_eq(joined.role, "member");
	/* Single use. */
	accept(token, T_SECRET_NEW_PASSWORD, NULL, &r);
	t_assert_error(&r, 400, "invalid_token");
	t_http_free(&r);
	/* The list shows it accepted. */
	t_auth_request("GET", "/api/v1/tenants/current/invitations", owner.access, NULL, NULL, NULL,
	               &r);
	cr_assert_eq(r.status, 200, "%s", r.body);
	cr_assert(strstr(r.body, "\"status\":\"accepted\"") != NULL, "%s", r.body);
	t_http_free(&r);
}

/* Seats are the plan's (schema 0016): the acceptance that would take one more than the plan
 * allows is refused, and creates nothing; the invitation can be accepted once a seat is
 * free again. */
Test(invitations, accepting_past_the_plans_seats_is_403_plan_limit_reached)
{
	struct t_session owner;
	struct http_response r;
	char email[160], token[64], id[40], plan[40], sql[512];

	t_auth_signup(&owner, "inv-seats");
	snprintf(plan, sizeof(plan), "seats1_%ld", (long)getpid());
	snprintf(sql, sizeof(sql),
	         "INSERT INTO plans (name, title, rank, seats, features, offered) VALUES ('%s',"
	         " 'One seat', 5000 + %ld %% 100000, 1, '{stats}', false)"
	         " ON CONFLICT (name) DO NOTHING",
	         plan, (long)getpid());
	t_auth_sql(sql);
	t_auth_set_plan(owner.tenant_id, plan);
	t_auth_email(email, sizeof(email), "inv-seat");
	invite_token(&owner, email, "member", 1, token, id);
	cr_assert_eq(accept(token, T_SECRET_PASSWORD, NULL, &r), 403, "%s", r.body);
	t_assert_error(&r, 403, "plan_limit_reached");
	cr_assert(strstr(r.body, "{\"field\":\"limit\",\"message\":\"1\"}") != NULL, "%s", r.body);
	t_http_free(&r);
	snprintf(sql, sizeof(sql), "SELECT count(*) FROM users WHERE email = '%s'", email);
	cr_assert_eq(t_auth_sql_long(sql), 0, "the refused acceptance made an account");
	/* With a seat more, the same invitation works. */
	t_auth_set_plan(owner.tenant_id, "free");
	cr_assert_eq(accept(token, T_SECRET_PASSWORD, NULL, &r), 201, "%s", r.body);
	t_http_free(&r);
}

/* The session an accepted invitation opens is listed like a login's: its client's
 * User-Agent and coarse network are recorded with its first refresh token. */
Test(invitations, the_session_an_acceptance_opens_records_its_client_and_network)
{
	struct t_session owner;
	struct http_response r;
	char email[160], token[64], id[40], body[300], sql[400], ua[300];
	const char *headers[] = {"Content-Type: application/json",
	                         "User-Agent: Menhir-Invitee/1.0 (e2e)", NULL};

	t_auth_signup(&owner, "inv-ua-owner");
	t_auth_email(email, sizeof(email), "inv-ua");
	invite_token(&owner, email, "member", 1, token, id);
	snprintf(body, sizeof(body), "{\"token\":\"%s\",\"password\":\"" T_SECRET_PASSWORD "\"}",
	         token);
	cr_assert_eq(t_http_request(NULL, "POST", "/api/v1/auth/invitations/accept", headers, body,
	                            strlen(body), &r),
	             0);
	cr_assert_eq(r.status, 201, "%s", r.body);
	t_http_free(&r);
	snprintf(sql, sizeof(sql),
	         "SELECT coalesce(rt.user_agent, '(none)') || '|' || coalesce(rt.client_net::text,"
	         " '(none)') FROM refresh_tokens rt JOIN users u ON u.id = rt.user_id"
	         " WHERE u.email = '%s'",
	         email);
	t_auth_sql_str(sql, ua, sizeof(ua));
	cr_assert_str_eq(ua, "Menhir-Invitee/1.0 (e2e)|127.0.0.0/24");
}

Test(invitations, an_existing_account_changes_nothing_until_its_owner_accepts)
{
	struct t_session attacker, victim, third, again;
	struct http_response r;
	char token[64], id[40];

	t_auth_signup(&attacker, "inv-attacker");
	t_auth_signup(&victim, "inv-victim");
	t_auth_signup(&third, "inv-third");
	invite_token(&attacker, victim.email, "viewer", 1, token, id);
	/* The 201 said nothing about the victim: not their id, not their name, not their
	 * tenant; and nothing changed for them. */
	{
		struct http_response l;
		t_auth_request("GET", "/api/v1/tenants/current/invitations", attacker.access, NULL,
		               NULL, NULL, &l);
		cr_assert(strstr(l.body, victim.user_id) == NULL, "%s", l.body);
		cr_assert(strstr(l.body, victim.tenant_id) == NULL, "%s", l.body);
		t_http_free(&l);
	}
	cr_assert_eq(memberships(victim.user_id), 1);
	cr_assert_eq(t_auth_login(&again, victim.email, T_SECRET_PASSWORD, NULL), 200);
	cr_assert_str_eq(again.tenant_id, victim.tenant_id, "login stays in the victim's tenant");
	/* Whoever holds the link, it does not work without the victim's own login; a password
	 * sent with it sets nothing. */
	accept(token, T_SECRET_NEW_PASSWORD, NULL, &r);
	t_assert_error(&r, 401, "login_required");
	t_http_free(&r);
	accept(token, NULL, third.access, &r);
	t_assert_error(&r, 401, "login_required");
	t_http_free(&r);
	cr_assert_eq(memberships(victim.user_id), 1);
	cr_assert_eq(t_auth_login(&again, victim.email, T_SECRET_NEW_PASSWORD, NULL), 401);
	/* The victim, logged in, consents. */
	cr_assert_eq(accept(token, NULL, victim.access, &r), 200, "%s", r.body);
	cr_assert(strstr(r.body, "\"joined\"") != NULL, "%s", r.body);
	t_http_free(&r);
	cr_assert_eq(is_member(attacker.tenant_id, victim.user_id), 1);
	/* Being added last does not make that tenant the default: the victim chose none, so
	 * their login lands in their oldest tenant, their own. */
	cr_assert_eq(t_auth_login(&again, victim.email, T_SECRET_PASSWORD, NULL), 200);
	cr_assert_str_eq(again.tenant_id, victim.tenant_id);
	accept(token, NULL, victim.access, &r);
	t_assert_error(&r, 400, "invalid_token");
	t_http_free(&r);
}

Test(invitations, an_invited_address_can_still_sign_up_normally)
{
	struct t_session owner, s;
	struct http_response r;
	char email[160], token[64], id[40], body[512];

	t_auth_signup(&owner, "inv-su-owner");
	t_auth_email(email, sizeof(email), "inv-signup");
	invite_token(&owner, email, "member", 1, token, id);
	snprintf(body, sizeof(body),
	         "{\"email\":\"%s\",\"password\":\"" T_SECRET_PASSWORD
	         "\",\"tenant_name\":\"Own\"}",
	         email);
	t_auth_request("POST", "/api/v1/auth/signup", NULL, NULL, NULL, body, &r);
	cr_assert_eq(r.status, 201, "the invitation blocked a normal signup: %s", r.body);
	t_http_free(&r);
	cr_assert_eq(t_auth_login(&s, email, T_SECRET_PASSWORD, NULL), 200);
	cr_assert_str_neq(s.tenant_id, owner.tenant_id);
	/* Now an account: the invitation needs its login. */
	accept(token, T_SECRET_NEW_PASSWORD, NULL, &r);
	t_assert_error(&r, 401, "login_required");
	t_http_free(&r);
	cr_assert_eq(accept(token, NULL, s.access, &r), 200, "%s", r.body);
	t_http_free(&r);
	cr_assert_eq(is_member(owner.tenant_id, s.user_id), 1);
}

Test(invitations, revoked_expired_and_replaced_invitations_are_refused)
{
	struct t_session owner;
	struct http_response r;
	char email[160], token[64], token2[64], id[40], id2[40], path[160], sql[256];

	t_auth_signup(&owner, "inv-rev");
	t_auth_email(email, sizeof(email), "inv-rev");
	invite_token(&owner, email, "member", 1, token, id);
	snprintf(path, sizeof(path), "/api/v1/tenants/current/invitations/%s", id);
	t_auth_request("DELETE", path, owner.access, NULL, NULL, NULL, &r);
	cr_assert_eq(r.status, 204, "%s", r.body);
	t_http_free(&r);
	t_auth_request("DELETE", path, owner.access, NULL, NULL, NULL, &r);
	t_assert_error(&r, 404, "not_found");
	t_http_free(&r);
	accept(token, T_SECRET_PASSWORD, NULL, &r);
	t_assert_error(&r, 400, "invalid_token");
	t_http_free(&r);
	/* A new invitation; then another replaces it. */
	invite_token(&owner, email, "member", 2, token, id);
	invite_token(&owner, email, "viewer", 3, token2, id2);
	accept(token, T_SECRET_PASSWORD, NULL, &r);
	t_assert_error(&r, 400, "invalid_token");
	t_http_free(&r);
	/* Expired (moved into the past rather than waited for). */
	snprintf(sql, sizeof(sql),
	         "UPDATE invitations SET expires_at = now() - interval '1 second' WHERE id = '%s'",
	         id2);
	t_auth_sql(sql);
	accept(token2, T_SECRET_PASSWORD, NULL, &r);
	t_assert_error(&r, 400, "invalid_token");
	t_http_free(&r);
	snprintf(sql, sizeof(sql), "SELECT count(*) FROM users WHERE email = '%s'", email);
	cr_assert_eq(t_auth_sql_long(sql), 0);
}

Test(invitations, a_token_used_from_another_tenant_joins_only_its_own_tenant)
{
	struct t_session a, b, invitee;
	struct http_response r;
	char token[64], id[40], path[160];

	t_auth_signup(&a, "inv-ta");
	t_auth_signup(&b, "inv-tb");
	t_auth_signup(&invitee, "inv-tx");
	invite_token(&a, invitee.email, "member", 1, token, id);
	/* B's owner can neither see nor revoke A's invitation. */
	snprintf(path, sizeof(path), "/api/v1/tenants/current/invitations/%s", id);
	t_auth_request("DELETE", path, b.access, NULL, NULL, NULL, &r);
	t_assert_error(&r, 404, "not_found");
	t_http_free(&r);
	t_auth_request("GET", "/api/v1/tenants/current/invitations", b.access, NULL, NULL, NULL,
	               &r);
	cr_assert(strstr(r.body, id) == NULL && strstr(r.body, invitee.email) == NULL, "%s",
	          r.body);
	t_http_free(&r);
	/* B's owner holding the token: not the invited address. */
	accept(token, NULL, b.access, &r);
	t_assert_error(&r, 401, "login_required");
	t_http_free(&r);
	cr_assert_eq(is_member(a.tenant_id, b.user_id), 0);
	/* The invitee, signed in to their own tenant, joins A (the token's), not their own. */
	cr_assert_eq(accept(token, NULL, invitee.access, &r), 200, "%s", r.body);
	cr_assert(strstr(r.body, a.tenant_id) != NULL, "%s", r.body);
	t_http_free(&r);
	cr_assert_eq(is_member(a.tenant_id, invitee.user_id), 1);
	cr_assert_eq(is_member(b.tenant_id, invitee.user_id), 0);
}

Test(invitations, only_an_owner_invites_an_owner_and_viewers_see_none)
{
	struct t_session owner, admin, viewer, joined;
	struct http_response r;
	char email[160], token[64], id[40];

	t_auth_signup(&owner, "inv-roles");
	t_auth_member(&admin, &owner, "admin", "inv-admin");
	t_auth_member(&viewer, &owner, "viewer", "inv-viewer");
	t_auth_email(email, sizeof(email), "inv-own");
	invite(&admin, email, "owner", NULL, &r);
	t_assert_error(&r, 403, "forbidden");
	t_http_free(&r);
	invite(&viewer, email, "member", NULL, &r);
	t_assert_error(&r, 403, "forbidden");
	t_http_free(&r);
	t_auth_request("GET", "/api/v1/tenants/current/invitations", viewer.access, NULL, NULL,
	               NULL, &r);
	t_assert_error(&r, 403, "forbidden");
	t_http_free(&r);
	invite_token(&owner, email, "owner", 1, token, id);
	cr_assert_eq(accept(token, T_SECRET_PASSWORD, NULL, &r), 201, "%s", r.body);
	t_http_free(&r);
	cr_assert_eq(t_auth_login(&joined, email, T_SECRET_PASSWORD, owner.tenant_id), 200);
	cr_assert_str_eq(joined.role, "owner");
}

Test(invitations, a_tenant_may_send_only_so_many_per_hour)
{
	struct t_session owner;
	struct http_response r;
	unsigned char md[SHA256_DIGEST_LENGTH];
	char key[128], email[160];
	int n;

	t_auth_signup(&owner, "inv-limit");
	n = snprintf(key, sizeof(key), "mh:ml:invite:");
	SHA256((const unsigned char *)owner.tenant_id, strlen(owner.tenant_id), md);
	for (int i = 0; i < SHA256_DIGEST_LENGTH; i++)
		n += snprintf(key + n, sizeof(key) - (size_t)n, "%02x", md[i]);
	t_auth_redis("SET %s %s EX 600", key, t_auth_config("invite_max"));
	t_auth_email(email, sizeof(email), "inv-limited");
	invite(&owner, email, "member", NULL, &r);
	t_assert_error(&r, 429, "too_many_requests");
	t_http_free(&r);
	t_mail_settle(email, MAIL_WAIT_MS);
	cr_assert_eq(t_mail_count(email), 0);
	t_auth_redis("DEL %s", key);
}

Test(invitations, bad_input_is_a_documented_error)
{
	struct t_session owner;
	struct http_response r;

	t_auth_signup(&owner, "inv-bad");
	t_auth_request("POST", "/api/v1/tenants/current/invitations", owner.access, NULL, NULL,
	               "{\"email\":\"x@example.test\",\"role\":\"king\"}", &r);
	t_assert_error(&r, 400, "validation_failed");
	t_http_free(&r);
	t_auth_request("POST", "/api/v1/tenants/current/invitations", owner.access, NULL, NULL,
	               "{\"email\":\"x@example.test\",\"role\":\"member\",\"extra\":1}", &r);
	t_assert_error(&r, 400, "validation_failed");
	t_http_free(&r);
	t_auth_request("DELETE", "/api/v1/tenants/current/invitations/not-a-uuid", owner.access,
	               NULL, NULL, NULL, &r);
	t_assert_error(&r, 404, "not_found");
	t_http_free(&r);
	accept("short", NULL, NULL, &r);
	t_assert_error(&r, 400, "invalid_token");
	t_http_free(&r);
	/* The old add-member path is gone. */
	t_auth_request("POST", "/api/v1/tenants/current/members", owner.access, NULL, NULL,
	               "{\"email\":\"x@example.test\",\"role\":\"member\"}", &r);
	cr_assert_eq(r.status, 405, "%s", r.body);
	t_http_free(&r);
}
