/* schemas.c - what the invitations module answers with: an invitation, a page of them, and
 * what a logged-in invitee hears on accepting. The schemas are declarations like any input
 * (core/input.h), named as components of the OpenAPI document (core/openapi.h). */
#include "modules/invitations/internal.h"

#include "core/input.h"
#include "core/openapi.h"

static const char *const invitation_status_values[] = {"pending", "accepted", "revoked", "expired",
                                                       NULL};
static const struct mh_field invitation_members[] = {
        {"id", MH_T_UUID, .flags = MH_REQUIRED},
        {"email", MH_T_EMAIL, .flags = MH_REQUIRED},
        {"role", MH_T_OBJECT, MH_REQUIRED, .ref = "Role"},
        {"status", MH_T_ENUM, MH_REQUIRED, .values = invitation_status_values},
        {"invited_by", MH_T_UUID, MH_REQUIRED | MH_NULLABLE,
         .description = "null once the inviter's account is gone."},
        {"expires_at", MH_T_TIMESTAMP, .flags = MH_REQUIRED},
        {"accepted_at", MH_T_TIMESTAMP, .flags = MH_REQUIRED | MH_NULLABLE},
        {"created_at", MH_T_TIMESTAMP, .flags = MH_REQUIRED},
        {0},
};
static const struct mh_field invitation_schema = {"Invitation", MH_T_OBJECT, 0,
                                                  .fields = invitation_members};

static const struct mh_field invitation_response_members[] = {
        {"data", MH_T_OBJECT, MH_REQUIRED, .ref = "Invitation"},
        {0},
};
static const struct mh_field invitation_response_schema = {"InvitationResponse", MH_T_OBJECT, 0,
                                                           .fields = invitation_response_members};

static const struct mh_field invitation_item = {NULL, MH_T_OBJECT, 0, .ref = "Invitation"};
static const struct mh_field invitation_list_members[] = {
        {"data", MH_T_ARRAY, MH_REQUIRED, .items = &invitation_item},
        {"next_cursor", MH_T_STRING, .flags = MH_REQUIRED | MH_NULLABLE},
        {0},
};
static const struct mh_field invitation_list_schema = {"InvitationList", MH_T_OBJECT, 0,
                                                       .fields = invitation_list_members};

static const char *const accepted_outcome_values[] = {"joined", "member", NULL};
static const struct mh_field invitation_accepted_members[] = {
        {"outcome", MH_T_ENUM, MH_REQUIRED, .values = accepted_outcome_values,
         .description = "joined: a member now; member: was one already."},
        {"tenant_id", MH_T_UUID, .flags = MH_REQUIRED},
        {"role", MH_T_OBJECT, MH_REQUIRED, .ref = "Role"},
        {0},
};
static const struct mh_field invitation_accepted_schema = {"InvitationAccepted", MH_T_OBJECT, 0,
                                                           .fields = invitation_accepted_members};

static const struct mh_field invitation_accepted_response_members[] = {
        {"data", MH_T_OBJECT, MH_REQUIRED, .ref = "InvitationAccepted"},
        {0},
};
static const struct mh_field invitation_accepted_response_schema = {
        "InvitationAcceptedResponse", MH_T_OBJECT, 0,
        .fields = invitation_accepted_response_members};

static const struct mh_field *const invitations_schemas[] = {
        &invitation_schema,          &invitation_response_schema,          &invitation_list_schema,
        &invitation_accepted_schema, &invitation_accepted_response_schema, NULL,
};

const struct mh_module_doc invitations_doc = {
        .tag = "invitations",
        .description = "A tenant's invitations: admins invite an address by e-mail; the invitee "
                       "accepts with the mailed link",
        .schemas = invitations_schemas,
};
