#include "atomic_file.h"

#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

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

FILE *atomic_open(const char *path, const char *mode, char **tmp)
{
	*tmp = atomic_temp_name(path);
	if (!*tmp)
		return NULL;
	int fd = atomic_temp_create(*tmp);
	if (fd >= 0) {
		FILE *f = fdopen(fd, mode);
		if (f)
			return f;
		close(fd);
		unlink(*tmp);
	}
	free(*tmp);
	*tmp = NULL;
	return NULL;
}

bool atomic_commit(FILE *f, char *tmp, const char *path, bool ok)
{
	ok = !ferror(f) && ok;
	ok = fclose(f) == 0 && ok;
	ok = ok && rename(tmp, path) == 0;
	if (!ok)
		unlink(tmp);
	free(tmp);
	return ok;
}
