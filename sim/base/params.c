#include "params.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const struct param_info param_info[PARAM_COUNT] = {
#define X(id, name, def, desc) [PARAM_##id] = { name, def, desc },
#include "params.def"
#undef X
};

void params_defaults(struct params *p)
{
	for (int i = 0; i < PARAM_COUNT; i++)
		p->v[i] = param_info[i].def;
}

bool params_set(struct params *p, const char *assignment, char *err, unsigned errlen)
{
	const char *eq = strchr(assignment, '=');
	if (!eq) {
		snprintf(err, errlen, "parameter '%s' must be NAME=VALUE", assignment);
		return false;
	}
	size_t nlen = (size_t)(eq - assignment);
	for (int i = 0; i < PARAM_COUNT; i++) {
		if (strlen(param_info[i].name) != nlen || strncmp(param_info[i].name, assignment, nlen))
			continue;
		char *end;
		errno = 0;
		unsigned long long v = strtoull(eq + 1, &end, 0);
		if (errno || end == eq + 1 || *end || eq[1] == '-') {
			snprintf(err, errlen, "parameter %.*s: '%s' is not a non-negative integer",
				 (int)nlen, assignment, eq + 1);
			return false;
		}
		p->v[i] = v;
		return true;
	}
	snprintf(err, errlen, "unknown parameter '%.*s' (hvsim params lists them)", (int)nlen,
		 assignment);
	return false;
}
