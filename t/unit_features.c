/* unit_features.c - (being written). */
#include <criterion/criterion.h>
