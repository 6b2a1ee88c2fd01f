/* modules.c - the registry: adding a module is one folder and one line here. */
#include "modules/modules.h"

#include "modules/apikeys/apikeys.h"
#include "modules/auth/auth.h"
#include "modules/documents/documents.h"
#include "modules/health/health.h"
#include "modules/invitations/invitations.h"
#include "modules/jobs/jobs.h"
#include "modules/mail/mail.h"
#include "modules/metrics/metrics.h"
#include "modules/processing/processing.h"
#include "modules/system/system.h"
#include "modules/tenants/tenants.h"
#include "modules/testsupport/testsupport.h"
#include "modules/users/users.h"
#include "modules/webhooks/webhooks.h"

const struct mh_module *const mh_modules[] = {
	&health_module,
	&metrics_module,
	&system_module,
	&testsupport_module,
	&auth_module,
	&tenants_module,
	&users_module,
	&apikeys_module,
	&documents_module,
	&jobs_module,
	&processing_module,
	&webhooks_module,
	&mail_module,
	&invitations_module,
	NULL,
};
