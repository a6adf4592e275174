/* The guest's console on its way out, counted and hashed, so that a recording can say
 * what the guest printed and a replay can check it without printing it. A FILE made
 * with fopencookie (glibc), unbuffered: the UART writes byte by byte into it, and each
 * write goes straight on to the real console, whose own buffering is unchanged. */
#include <zlib.h>

#include "record.h"

static ssize_t tee_write(void *cookie, const char *buf, size_t n)
{
	struct console_tee *t = cookie;
	t->crc = (uint32_t)crc32(t->crc, (const Bytef *)buf, (uInt)n);
	t->bytes += n;
	if (t->out && fwrite(buf, 1, n, t->out) != n)
		return -1;
	return (ssize_t)n;
}

bool console_tee_open(struct console_tee *t, FILE *out)
{
	t->out = out;
	t->bytes = 0;
	t->crc = 0;
	cookie_io_functions_t io = { .write = tee_write };
	t->f = fopencookie(t, "w", io);
	if (!t->f)
		return false;
	setvbuf(t->f, NULL, _IONBF, 0);
	return true;
}

void console_tee_close(struct console_tee *t)
{
	if (t->f)
		fclose(t->f);
	t->f = NULL;
}
