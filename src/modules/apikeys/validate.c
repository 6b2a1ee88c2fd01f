/* validate.c - the apikeys module's input rules beyond what auth.h already offers. */
#include "modules/apikeys/internal.h"

#include <ctype.h>
#include <string.h>

/* n digits at s. */
static int digits(const char *s, int n)
{
	for (int i = 0; i < n; i++)
		if (!isdigit((unsigned char)s[i]))
			return 0;
	return 1;
}

const char *apikeys_check_time(const char *s)
{
	static const char *const msg =
	        "must be an RFC 3339 date-time with an offset, e.g. 2030-01-31T12:00:00Z";
	size_t i = 19;

	/* PostgreSQL would also take "tomorrow" or "infinity"; an API takes one spelling. */
	if (strlen(s) < 20 || strlen(s) > 40 || !digits(s, 4) || s[4] != '-' || !digits(s + 5, 2) ||
	    s[7] != '-' || !digits(s + 8, 2) || (s[10] != 'T' && s[10] != 't') ||
	    !digits(s + 11, 2) || s[13] != ':' || !digits(s + 14, 2) || s[16] != ':' ||
	    !digits(s + 17, 2))
		return msg;
	if (s[i] == '.') {
		size_t start = ++i;

		while (isdigit((unsigned char)s[i]))
			i++;
		if (i == start || i - start > 9)
			return msg;
	}
	if ((s[i] == 'Z' || s[i] == 'z') && s[i + 1] == '\0')
		return NULL;
	if ((s[i] == '+' || s[i] == '-') && digits(s + i + 1, 2) && s[i + 3] == ':' &&
	    digits(s + i + 4, 2) && s[i + 6] == '\0')
		return NULL;
	return msg;
}
