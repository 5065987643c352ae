/*
 * histread.h - what the history reader tests share: reading a text as a
 * named file would be read, a value as JSON text, and the check that an
 * input is refused with a message naming its line.
 *
 * Each function is static: include this header from a test file only.
 *
 * Ownership: hr_read() fills a history the caller releases with
 * hist_release() (also after an error); hr_json() writes into the
 * caller's sb and returns its buffer.
 */
#ifndef NS_HISTREAD_H
#define NS_HISTREAD_H

#include "test.h"

#include "err.h"
#include "history.h"

/* hist_init(h), then read text as the file `name` in format fmt. */
static inline int hr_read(struct history *h, const char *name,
			  const char *text, enum hist_format fmt,
			  struct sb *warn, struct sb *err)
{
	hist_init(h);
	return hist_read_mem(h, name, text, strlen(text), fmt, warn, err);
}

/* v as JSON text, in out (reset first). */
static inline const char *hr_json(const struct history *h,
				  const struct hist_value *v, struct sb *out)
{
	sb_reset(out);
	hist_value_json(h, v, out);
	return out->buf;
}

static inline void hr_bad_(const char *file, int line, const char *name,
			   enum hist_format fmt, const char *text,
			   const char *want)
{
	struct history h;
	struct sb warn = SB_INIT, err = SB_INIT;
	int rc = hr_read(&h, name, text, fmt, &warn, &err);

	if (rc != -NS_EINPUT)
		test_fail_(file, line, "rc %d for %s", rc, text);
	if (!strstr(err.buf, want))
		test_fail_(file, line, "\"%s\" does not contain \"%s\"",
			   err.buf, want);
	hist_release(&h);
	sb_release(&warn);
	sb_release(&err);
}

/* Reading text must fail with an input error whose message has want. */
#define HR_BAD(name, fmt, text, want) \
	hr_bad_(__FILE__, __LINE__, name, fmt, text, want)

#endif
