/*
 * hist-read.c - opening a history: the input, format detection, Jepsen
 * tuples, and the hand-off to one reader (hist-json.c, hist-edn.c,
 * hist-log.c) and to hist_pair() (hist-pair.c).
 *
 * Input.  A regular file is mapped read-only and the readers give the
 * pages they have passed back to the kernel (hist__src_consumed), so
 * reading a multi-gigabyte history costs the events, not the file.
 * Standard input and other non-mappable files are read into memory.
 *
 * Indexes.  The `index` of the events must increase along the file
 * (check_index): an error in JSON Lines, a warning in EDN (the indexes
 * are dropped; the file order is the history order).
 *
 * Detection (HIST_FMT_AUTO).  A run's history (RUN/history.jsonl beside
 * RUN/run.json) is JSON Lines by construction and read as such, whatever
 * its first bytes (run_history()).  Any other input, from the first
 * significant byte:
 *   '{' then '"'          JSON Lines (our format)
 *   '{' '[' '(' ';' '#'   Jepsen EDN
 *   otherwise             jepsen.log if a "jepsen.util" op line is found
 *
 * Jepsen's independent keys.  Jepsen writes an op on key k as the tuple
 * [k v].  In EDN and jepsen.log input, when every client invoke's value
 * is a two-element vector whose first element is an integer, string or
 * keyword, the history is taken to be keyed: key = k, value = v.  A
 * completion takes its invoke's key: it carries [k v] with the same k,
 * or, when it is a fail or an info or its value is nil, no tuple at all
 * (its value is kept).  Any other event turns keys off; when most
 * invokes were tuples, a warning names it (FILE:LINE).  (A history of
 * nothing but CAS ops on one register would look keyed; convert it to
 * JSON Lines to avoid the guess.)
 */
#define _GNU_SOURCE
#include "hist-internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "alloc.h"
#include "err.h"

int hist_format_parse(const char *name)
{
	if (!strcmp(name, "json") || !strcmp(name, "jsonl"))
		return HIST_FMT_JSON;
	if (!strcmp(name, "edn"))
		return HIST_FMT_EDN;
	if (!strcmp(name, "jepsen-log") || !strcmp(name, "log"))
		return HIST_FMT_LOG;
	if (!strcmp(name, "auto"))
		return HIST_FMT_AUTO;
	return -1;
}

static int has_log_ops(const char *buf, size_t len)
{
	return memmem(buf, len, "jepsen.util - ", 14) ||
	       memmem(buf, len, "jepsen.util: ", 13);
}

static int detect(const struct hist__src *src, struct sb *err)
{
	const char *p = src->buf + hist__bom(src->buf, src->len);
	const char *end = src->buf + src->len;

	while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' ||
			   *p == '\r' || *p == ','))
		p++;
	if (p == end) {
		sb_addf(err, "%s: empty history (no events)", src->name);
		return -NS_EINPUT;
	}
	if (*p == '{') {
		const char *q = p + 1;

		while (q < end && (*q == ' ' || *q == '\t'))
			q++;
		return q < end && *q == '"' ? HIST_FMT_JSON : HIST_FMT_EDN;
	}
	if (strchr("[(;#", *p))
		return HIST_FMT_EDN;
	if (has_log_ops(src->buf, src->len))
		return HIST_FMT_LOG;
	sb_addf(err, "%s: cannot tell the format (not JSON Lines, EDN nor "
		"a jepsen.log with op lines); use --format", src->name);
	return -NS_EINPUT;
}

/* Whether v is a [key value] tuple (see the top of this file). */
static int is_tuple(const struct history *h, const struct hist_value *v)
{
	int kind;

	if (v->kind != HV_LIST || v->n != 2)
		return 0;
	kind = hist_list_elem(h, v, 0)->kind;
	return kind == HV_INT || kind == HV_STR;	/* not e.g. a
							   transaction of
							   two micro-ops */
}

/*
 * Whether client event i fits a keyed history: an invoke carries a tuple;
 * a completion carries a tuple of its invoke's key, or (fail, info, or a
 * nil value) no tuple at all and takes its invoke's key.
 */
static int fits_keys(const struct history *h, size_t i)
{
	const struct hist_event *e = &h->ev[i];
	const struct hist_event *inv;

	if (e->type == HIST_INVOKE)
		return is_tuple(h, &e->value);
	inv = &h->ev[e->pair];	/* paired: hist_pair() succeeded */
	if (!is_tuple(h, &inv->value))
		return 1;	/* the invoke is the culprit */
	if (is_tuple(h, &e->value))
		return hist_value_eq(h, hist_list_elem(h, &e->value, 0),
				     hist_list_elem(h, &inv->value, 0));
	return e->type != HIST_OK || e->value.kind == HV_NIL;
}

/*
 * Split Jepsen [key value] tuples (see the top of this file); h is
 * paired.  When most client invokes carry a tuple but some event does
 * not fit, keys stay off and warn names that event.
 */
static void untuple(struct history *h, struct sb *warn)
{
	struct sb text = SB_INIT;
	size_t i, ninv = 0, ntuple = 0, bad = SIZE_MAX;

	for (i = 0; i < h->n; i++) {
		const struct hist_event *e = &h->ev[i];

		if (!hist_is_client(e))
			continue;
		if (e->type == HIST_INVOKE) {
			ninv++;
			ntuple += is_tuple(h, &e->value);
		}
		if (bad == SIZE_MAX && !fits_keys(h, i))
			bad = i;
	}
	if (!ntuple)
		return;
	if (bad != SIZE_MAX) {
		if (ntuple * 2 > ninv) {
			if (warn->len)
				sb_adds(warn, "\n");
			sb_addf(warn, "%s:%u: this %s's value is not a [key "
				"value] tuple", h->source, hist_line(h, bad),
				hist_type_name((enum hist_type)
					       h->ev[bad].type));
			if (h->ev[bad].type != HIST_INVOKE &&
			    is_tuple(h, &h->ev[bad].value))
				sb_adds(warn, " of its invoke's key");
			sb_addf(warn, " (the invokes of %zu of %zu client "
				"ops are): independent keys are off, the "
				"history is checked as one object", ntuple,
				ninv);
		}
		return;
	}
	for (i = 0; i < h->n; i++) {
		struct hist_event *e = &h->ev[i];
		const struct hist_event *inv;

		if (!hist_is_client(e))
			continue;
		inv = e->type == HIST_INVOKE ? e : &h->ev[e->pair];
		if (e != inv) {
			e->key = inv->key;
			e->flags |= HIST_F_KEY;
			if (is_tuple(h, &e->value))
				e->value = *hist_list_elem(h, &e->value, 1);
			continue;
		}
		sb_reset(&text);
		hist__value_text(h, hist_list_elem(h, &e->value, 0), &text);
		e->key = hist_intern(h, text.buf, text.len);
		e->flags |= HIST_F_KEY;
		e->value = *hist_list_elem(h, &e->value, 1);
	}
	sb_release(&text);
}

/*
 * Indexes must increase along the file (gaps are fine: a filtered
 * history keeps its indexes).  In our JSON Lines, written by one
 * recorder, a duplicate or decreasing `index` means a damaged or joined
 * file: an error naming its line.  In EDN, as for times, the file order
 * is the history order and indexes are advisory: they are dropped (each
 * event numbered by its position) with a warning naming the line.
 */
static int check_index(struct history *h, int foreign, struct sb *warn,
		       struct sb *err)
{
	struct sb *out = foreign ? warn : err;
	size_t i;

	if (!h->index)
		return 0;	/* every index is its position */
	for (i = 1; i < h->n; i++)
		if (h->index[i] <= h->index[i - 1])
			break;
	if (i == h->n)
		return 0;
	if (foreign && out->len)
		sb_adds(out, "\n");
	hist_where(h, i, out);
	sb_addf(out, ": %s %llu is not greater than the one before it "
		"(%llu, ", foreign ? ":index" : "'index'",
		(unsigned long long)h->index[i],
		(unsigned long long)h->index[i - 1]);
	if (hist_line(h, i - 1))
		sb_addf(out, "line %u)", hist_line(h, i - 1));
	else
		sb_addf(out, "event %zu)", i - 1);
	if (!foreign) {
		sb_adds(out, ": indexes must increase along the file "
			"(two histories joined?)");
		return -NS_EINPUT;
	}
	sb_adds(out, ": :index values are ignored, events are numbered by "
		"their position in the file");
	free(h->index);
	h->index = NULL;
	return 0;
}

static int read_src(struct history *h, struct hist__src *src,
		    enum hist_format fmt, struct sb *warn, struct sb *err)
{
	static const char *const names[] = {
		[HIST_FMT_JSON] = "json", [HIST_FMT_EDN] = "edn",
		[HIST_FMT_LOG] = "jepsen-log",
	};
	int rc;

	free(h->source);
	h->source = xstrdup(src->name);
	if (fmt == HIST_FMT_AUTO) {
		rc = detect(src, err);
		if (rc < 0)
			return rc;
		fmt = (enum hist_format)rc;
	}
	if (fmt != HIST_FMT_JSON && fmt != HIST_FMT_EDN &&
	    fmt != HIST_FMT_LOG) {
		sb_addf(err, "%s: unknown history format %d", src->name,
			(int)fmt);
		return -NS_EUSAGE;
	}
	free(h->format);
	h->format = xstrdup(names[fmt]);
	/* Lines of a file: by default one event a line (the readers set
	 * those that differ, keeping the array away for JSON Lines). */
	if (!h->n)
		h->lines_by_position = 1;
	switch (fmt) {
	case HIST_FMT_JSON:
		rc = hist__read_json(h, src, warn, err);
		break;
	case HIST_FMT_EDN:
		rc = hist__read_edn(h, src, warn, err);
		break;
	default:
		rc = hist__read_log(h, src, warn, err);
		break;
	}
	if (rc < 0)
		return rc;
	if (!h->n) {
		sb_addf(err, "%s: no operations found (read as %s)",
			src->name, h->format);
		return -NS_EINPUT;
	}
	rc = check_index(h, fmt != HIST_FMT_JSON, warn, err);
	if (rc < 0)
		return rc;
	rc = hist_pair(h, err);
	if (!rc && fmt != HIST_FMT_JSON)
		untuple(h, warn);
	return rc;
}

int hist_read_mem(struct history *h, const char *name, const char *buf,
		  size_t len, enum hist_format fmt, struct sb *warn,
		  struct sb *err)
{
	struct hist__src src = { name, buf, len, 0, 0 };

	return read_src(h, &src, fmt, warn, err);
}

static int read_all(int fd, const char *path, struct sb *out,
		    struct sb *err)
{
	for (;;) {
		ssize_t n;

		sb_grow(out, 65536);
		n = read(fd, out->buf + out->len, out->alloc - out->len - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			sb_addf(err, "cannot read '%s': %s", path,
				strerror(errno));
			return -NS_EIO;
		}
		if (!n)
			return 0;
		out->len += (size_t)n;
		out->buf[out->len] = '\0';
	}
}

/* Whether the file ends in the blank padding of a history still being
   written (or whose controller was killed).  Such a file is read with
   read(2), not mapped: the run cuts the padding when it ends, and a map
   of the part cut would fault (SIGBUS) when read. */
static int padded(int fd, off_t size)
{
	char end[2];

	return size < 2 || pread(fd, end, 2, size - 2) != 2 ||
	       (end[0] == ' ' && end[1] == '\n');
}

/*
 * Whether path is a run's history: named history.jsonl, with the run's
 * run.json beside it.  The controller writes it as JSON Lines, so it is
 * read as such without looking: one whose controller was killed while
 * writing its first line starts with blank padding (the writer stores a
 * line's first byte last), which detection cannot place, while the JSON
 * reader tells the line cut short.
 */
static int run_history(const char *path)
{
	const char *base = strrchr(path, '/');
	struct sb run = SB_INIT;
	int yes;

	base = base ? base + 1 : path;
	if (strcmp(base, "history.jsonl"))
		return 0;
	sb_add(&run, path, (size_t)(base - path));
	sb_adds(&run, "run.json");
	yes = !access(run.buf, F_OK);
	sb_release(&run);
	return yes;
}

int hist_read_file(struct history *h, const char *path, enum hist_format fmt,
		   struct sb *warn, struct sb *err)
{
	struct hist__src src = { path, NULL, 0, 0, 0 };
	struct sb data = SB_INIT;
	struct stat st;
	void *map = NULL;
	int fd, rc;

	if (fmt == HIST_FMT_AUTO && run_history(path))
		fmt = HIST_FMT_JSON;
	if (!strcmp(path, "-")) {
		fd = STDIN_FILENO;
		src.name = "<stdin>";
	} else {
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0) {
			sb_addf(err, "cannot open '%s': %s", path,
				strerror(errno));
			return -NS_EIO;
		}
	}
	if (fd != STDIN_FILENO && !fstat(fd, &st) && S_ISREG(st.st_mode) &&
	    st.st_size > 0 && !padded(fd, st.st_size)) {
		map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE,
			   fd, 0);
		if (map == MAP_FAILED)
			map = NULL;
	}
	if (map) {
		src.buf = map;
		src.len = (size_t)st.st_size;
		src.mapped = 1;
		madvise(map, src.len, MADV_SEQUENTIAL);
	} else {
		rc = read_all(fd, path, &data, err);
		if (rc < 0) {
			if (fd != STDIN_FILENO)
				close(fd);
			sb_release(&data);
			return rc;
		}
		src.buf = data.buf;
		src.len = data.len;
	}
	if (fd != STDIN_FILENO)
		close(fd);
	rc = read_src(h, &src, fmt, warn, err);
	if (map)
		munmap(map, src.len);
	sb_release(&data);
	return rc;
}
