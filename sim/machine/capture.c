/* One command's capture (record.h): the recording and the event trace of a run, and
 * the watch that takes the recording's periodic digests. */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "record.h"
#include "trace_event.h"

struct capture {
	struct recording *rec;
	struct event_trace *trace;
	struct console_tee tee;
	struct rec_image *img;       /* the image, then the modules */
	unsigned nimg;
	char *image_name;
	struct machine *m;
};

/* A whole file into memory: the bytes a recording embeds are the bytes that ran. */
static bool slurp(const char *path, uint8_t **out, size_t *size, char *err, size_t errlen)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "%s: %s", path, fd < 0 ? strerror(errno)
				      : "not a regular file; give the path of an ELF image");
		if (fd >= 0)
			close(fd);
		return false;
	}
	size_t n = (size_t)st.st_size, got = 0;
	uint8_t *b = malloc(n ? n : 1);
	while (b && got < n) {
		ssize_t r = read(fd, b + got, n - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		got += (size_t)r;
	}
	close(fd);
	if (!b || got != n) {
		snprintf(err, errlen, "%s: %s", path, b ? "read error or the file shrank"
							: "out of host memory");
		free(b);
		return false;
	}
	*out = b;
	*size = n;
	return true;
}

bool capture_prepare(struct capture **out, const struct record_options *o,
		     struct machine_config *cfg, struct boot_module *mods, unsigned nmods,
		     char *err, size_t errlen)
{
	*out = NULL;
	if (!o->record_path && !o->trace_path)
		return true;
	struct capture *c = calloc(1, sizeof *c);
	if (!c) {
		snprintf(err, errlen, "out of host memory");
		return false;
	}
	*out = c;
	if (o->trace_path) {
		unsigned kinds = o->trace_kinds_given ? o->trace_kinds : TK_DEFAULT;
		c->trace = event_trace_create(o->trace_path, kinds, err, errlen);
		if (!c->trace)
			return false;
	}
	if (!o->record_path)
		return true;

	c->img = calloc(1 + (size_t)nmods, sizeof *c->img);
	char *copy = strdup(cfg->image_path);
	c->image_name = copy ? strdup(basename(copy)) : NULL;
	free(copy);
	if (!c->img || !c->image_name) {
		snprintf(err, errlen, "out of host memory");
		return false;
	}
	uint8_t *bytes;
	size_t size;
	if (!slurp(cfg->image_path, &bytes, &size, err, errlen))
		return false;
	c->img[0] = (struct rec_image){ "image", c->image_name, bytes, size };
	c->nimg = 1;
	cfg->image_bytes = bytes;
	cfg->image_size = size;
	for (unsigned i = 0; i < nmods; i++) {
		if (mods[i].bytes) {
			/* made in memory by the command (hvsim boot's children list): a copy */
			size = mods[i].size;
			bytes = malloc(size ? size : 1);
			if (!bytes) {
				snprintf(err, errlen, "out of host memory");
				return false;
			}
			memcpy(bytes, mods[i].bytes, size);
		} else if (!slurp(mods[i].path, &bytes, &size, err, errlen)) {
			return false;
		}
		c->img[c->nimg++] = (struct rec_image){ "module", mods[i].name, bytes, size };
		mods[i].bytes = bytes;
		mods[i].size = size;
	}
	if (!console_tee_open(&c->tee, cfg->console)) {
		snprintf(err, errlen, "cannot hash the console: %s", strerror(errno));
		return false;
	}
	cfg->console = c->tee.f;
	c->rec = recording_create(o->record_path, o->record_interval, err, errlen);
	return c->rec != NULL;
}

/* Between instructions, at each multiple of the interval (cpu.h "The watch") */
static void capture_watch(struct cpu *cpu, void *ctx)
{
	struct capture *c = ctx;
	if (cpu->insns_retired >= recording_next_digest(c->rec))
		recording_digest(c->rec, c->m);
	cpu->watch_at = recording_next_digest(c->rec);
}

bool capture_start(struct capture *c, struct machine *m, const char *command, char *err,
		   size_t errlen)
{
	c->m = m;
	if (c->rec) {
		if (!recording_start(c->rec, m, command, c->img, c->nimg, err, errlen))
			return false;
		m->cpu.watch_fn = capture_watch;
		m->cpu.watch_ctx = c;
		m->cpu.watch_at = recording_next_digest(c->rec);
	}
	if (c->trace)
		event_trace_start(c->trace, m, command);
	return true;
}

bool capture_finish(struct capture *c, struct machine *m, char *err, size_t errlen)
{
	m->cpu.watch_fn = NULL;
	if (c->trace && !event_trace_finish(c->trace, m, err, errlen))
		return false;
	if (c->rec && !recording_finish(c->rec, m, &c->tee, err, errlen))
		return false;
	return true;
}

void capture_free(struct capture *c)
{
	if (!c)
		return;
	if (c->m && c->m->cpu.watch_ctx == c)
		c->m->cpu.watch_fn = NULL;
	event_trace_free(c->trace);
	recording_free(c->rec);
	console_tee_close(&c->tee);
	for (unsigned i = 0; i < c->nimg; i++)
		free((void *)c->img[i].bytes);
	free(c->img);
	free(c->image_name);
	free(c);
}
