/* What every hvsim command shares on its command line: hvsim's own exit statuses
 * (DESIGN.md, "Exit statuses") and the one line that names a bad option or file. */
#ifndef HVSIM_CLI_H
#define HVSIM_CLI_H

enum hvsim_exit_status {
	EXIT_USAGE = 2, /* a bad option, a bad or unreadable file */
	EXIT_CRASH = 3, /* the guest crashed the machine (triple fault, ...) */
	EXIT_LIMIT = 4, /* --max-insns or --max-cycles reached */
};

/* Writes "hvsim: " and the message as one line on stderr; returns EXIT_USAGE. */
int cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
