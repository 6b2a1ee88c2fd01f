/* invitations.h - the invitations module: a tenant's admins invite an address by e-mail, and
 * the invitee accepts with the mailed token (creating their account, or, for an existing
 * account, after logging in). Nothing adds a member without the invitee's consent. */
#ifndef MH_MODULES_INVITATIONS_H
#define MH_MODULES_INVITATIONS_H

#include "core/module.h"

extern const struct mh_module invitations_module;

#endif
