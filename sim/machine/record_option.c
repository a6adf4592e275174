/* --record, --record-interval, --trace, --trace-events: parsed the same way for every
 * command that runs a machine (record.h). Errors are one line, exit status 2. */
#include <inttypes.h>
#include <stdarg.h>
#include <string.h>

#include "record.h"
#include "trace_event.h"

static int usage(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int usage(const char *fmt, ...)
{
	va_list ap;
	fputs("hvsim: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return 2;
}

int record_option(struct record_options *o, int ch, const char *arg)
{
	char err[256];
	switch (ch) {
	case OPT_RECORD:
		if (!*arg)
			return usage("--record needs a file name");
		o->record_path = arg;
		return 0;
	case OPT_RECORD_INTERVAL: {
		uint64_t v = 0;
		bool ok = *arg != 0;
		for (const char *p = arg; ok && *p; p++) {
			unsigned d = (unsigned)(*p - '0');
			ok = d <= 9 && v <= (UINT64_MAX - d) / 10;
			v = v * 10 + d;
		}
		if (!ok || v == 0)
			return usage("--record-interval '%s': give a number of instructions, at "
				     "least 1", arg);
		o->record_interval = v;
		return 0;
	}
	case OPT_TRACE:
		if (!*arg)
			return usage("--trace needs a file name");
		o->trace_path = arg;
		return 0;
	case OPT_TRACE_EVENTS:
		if (!trace_kinds_parse(arg, &o->trace_kinds, err, sizeof err))
			return usage("--trace-events: %s", err);
		o->trace_kinds_given = true;
		return 0;
	default:
		return -1;
	}
}

int record_options_check(const struct record_options *o)
{
	if (o->trace_kinds_given && !o->trace_path)
		return usage("--trace-events needs --trace FILE");
	if (o->record_interval && !o->record_path)
		return usage("--record-interval needs --record FILE");
	if (o->record_path && o->trace_path && strcmp(o->record_path, o->trace_path) == 0)
		return usage("--record and --trace name the same file '%s'; give two",
			     o->record_path);
	return 0;
}
