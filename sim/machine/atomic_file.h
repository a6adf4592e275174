/* Writing a file atomically: the data goes to a temporary beside it, which rename(2)
 * puts in its place only once all of it is written (stats files, traces, recordings). */
#ifndef HVSIM_ATOMIC_FILE_H
#define HVSIM_ATOMIC_FILE_H

#include <stdbool.h>
#include <stdio.h>

/* "DIR/.NAME.XXXXXX" for path: a mkstemp template in path's own directory, so that the
 * rename stays on one file system. malloc'd; NULL when out of host memory. */
char *atomic_temp_name(const char *path);

/* mkstemp on that template, then the mode a plain fopen would have given (mkstemp's is
 * 0600). Returns the descriptor, or -1 with errno set. */
int atomic_temp_create(char *tmp);

/* Both of the above and fdopen(mode): the stream to write path's new contents to, and
 * in *tmp the temporary's name. NULL with nothing left on disk (and *tmp NULL). */
FILE *atomic_open(const char *path, const char *mode, char **tmp);

/* Closes f and, if ok (the caller's writes worked), no write error is pending and the
 * close works, renames tmp over path; otherwise removes tmp. Frees tmp. True when path
 * now holds the new contents. */
bool atomic_commit(FILE *f, char *tmp, const char *path, bool ok);

#endif
