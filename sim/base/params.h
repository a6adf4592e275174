/* The parameter table (params.def) as an enum and a value array. */
#ifndef HVSIM_BASE_PARAMS_H
#define HVSIM_BASE_PARAMS_H

#include <stdbool.h>
#include <stdint.h>

enum param_id {
#define X(id, name, def, desc) PARAM_##id,
#include "params.def"
#undef X
	PARAM_COUNT
};

struct param_info {
	const char *name;
	uint64_t def;
	const char *desc;
};

extern const struct param_info param_info[PARAM_COUNT];

struct params {
	uint64_t v[PARAM_COUNT];
};

void params_defaults(struct params *p);
/* Applies "name=value"; returns false and fills err (one line) if the name is unknown
 * or the value is not a number. */
bool params_set(struct params *p, const char *assignment, char *err, unsigned errlen);

#endif
