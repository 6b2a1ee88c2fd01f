/* unit_webhooks.c - (being written). */
#include <criterion/criterion.h>
