#include "cli.h"

#include <stdarg.h>
#include <stdio.h>

int cli_error(const char *fmt, ...)
{
	va_list ap;
	fputs("hvsim: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return EXIT_USAGE;
}
