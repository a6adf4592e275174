/* --record, --record-interval, --trace, --trace-events: parsed the same way for every
 * command that runs a machine (record.h). Errors are one line, exit status 2. */
#include <inttypes.h>
#include <string.h>

#include "cli.h"
#include "record.h"
#include "trace_event.h"

int record_option(struct record_options *o, int ch, const char *arg)
{
	char err[256];
	switch (ch) {
	case OPT_RECORD:
		if (!*arg)
			return cli_error("--record needs a file name");
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
			return cli_error("--record-interval '%s': give a number of instructions, at "
				     "least 1", arg);
		o->record_interval = v;
		return 0;
	}
	case OPT_TRACE:
		if (!*arg)
			return cli_error("--trace needs a file name");
		o->trace_path = arg;
		return 0;
	case OPT_TRACE_EVENTS:
		if (!trace_kinds_parse(arg, &o->trace_kinds, err, sizeof err))
			return cli_error("--trace-events: %s", err);
		o->trace_kinds_given = true;
		return 0;
	default:
		return -1;
	}
}

int record_options_check(const struct record_options *o)
{
	if (o->trace_kinds_given && !o->trace_path)
		return cli_error("--trace-events needs --trace FILE");
	if (o->record_interval && !o->record_path)
		return cli_error("--record-interval needs --record FILE");
	if (o->record_path && o->trace_path && strcmp(o->record_path, o->trace_path) == 0)
		return cli_error("--record and --trace name the same file '%s'; give two",
			     o->record_path);
	return 0;
}
