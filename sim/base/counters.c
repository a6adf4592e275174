#include "counters.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *xstrdup(const char *s)
{
	char *d = strdup(s);
	if (!d) {
		fputs("hvsim: out of memory\n", stderr);
		abort();
	}
	return d;
}

void counters_init(struct counter_registry *r)
{
	r->v = NULL;
	r->n = r->cap = 0;
}

void counters_free(struct counter_registry *r)
{
	for (size_t i = 0; i < r->n; i++) {
		free(r->v[i].name);
		free(r->v[i].desc);
	}
	free(r->v);
	counters_init(r);
}

void counter_register(struct counter_registry *r, const char *name, const char *desc,
		      const uint64_t *value)
{
	if (counter_find(r, name)) {
		fprintf(stderr, "hvsim: internal error: counter %s registered twice\n", name);
		abort();
	}
	if (r->n == r->cap) {
		size_t cap = r->cap ? r->cap * 2 : 64;
		struct counter *v = realloc(r->v, cap * sizeof *v);
		if (!v) {
			fputs("hvsim: out of memory\n", stderr);
			abort();
		}
		r->v = v;
		r->cap = cap;
	}
	r->v[r->n++] = (struct counter){ xstrdup(name), xstrdup(desc), value };
}

const struct counter *counter_find(const struct counter_registry *r, const char *name)
{
	for (size_t i = 0; i < r->n; i++)
		if (strcmp(r->v[i].name, name) == 0)
			return &r->v[i];
	return NULL;
}
