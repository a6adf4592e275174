#include "atomic_file.h"

#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

char *atomic_temp_name(const char *path)
{
	char *d = strdup(path), *b = strdup(path), *t = NULL;
	if (d && b) {
		const char *dir = dirname(d), *base = basename(b);
		size_t n = strlen(dir) + strlen(base) + 16;
		t = malloc(n);
		if (t)
			snprintf(t, n, "%s/.%s.XXXXXX", dir, base);
	}
	free(d);
	free(b);
	return t;
}

int atomic_temp_create(char *tmp)
{
	int fd = mkstemp(tmp);
	if (fd < 0)
		return -1;
	mode_t mask = umask(0);
	umask(mask);
	fchmod(fd, 0666 & ~mask);
	return fd;
}
