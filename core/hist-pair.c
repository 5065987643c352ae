/*
 * hist-pair.c - validating a history and pairing each invoke with its
 * completion (hist_pair, see history.h).
 *
 * Client processes are sequential: a process invokes, then completes that
 * op (same f) before it invokes again.  Rules, in history order:
 *   - an invoke while the process has one pending is an error;
 *   - a completion with nothing pending, or of a different f, is an error;
 *   - after an `info` the process is crashed: Jepsen continues the worker
 *     under a new process id, so any later event of that id is an error;
 *   - in our own JSON format (and in memory, format NULL) time must not go
 *     backwards; foreign formats' times are advisory.
 * An invoke still pending at the end keeps pair -1 (indeterminate).
 *
 * The nemesis is not a client and is paired loosely, never rejected: an
 * invoke pairs with the next nemesis ok/fail/info; Jepsen's info/info
 * pairs (start ... started) pair two infos of the same f in a row.
 *
 * Cost: O(n) time, with a hash table over the distinct process ids.
 */
#include "hist-internal.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "err.h"

struct proc {
	int64_t id;
	int64_t pending;	/* invoke's position, -1 if none */
	uint8_t used, retired;
	size_t info_pos;
};

struct proctab {
	struct proc *slots;
	size_t nslots, n;
};

static uint64_t mix(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	return x;
}

static struct proc *proc_get(struct proctab *t, int64_t id);

static void proc_grow(struct proctab *t)
{
	struct proc *old = t->slots;
	size_t i, n = t->nslots;

	t->nslots = n ? n * 2 : 64;
	t->slots = xcalloc(t->nslots, sizeof(*t->slots));
	t->n = 0;
	for (i = 0; i < n; i++)
		if (old[i].used)
			*proc_get(t, old[i].id) = old[i];
	free(old);
}

static struct proc *proc_get(struct proctab *t, int64_t id)
{
	size_t s;

	if ((t->n + 1) * 2 > t->nslots)
		proc_grow(t);
	s = mix((uint64_t)id) & (t->nslots - 1);
	while (t->slots[s].used && t->slots[s].id != id)
		s = (s + 1) & (t->nslots - 1);
	if (!t->slots[s].used) {
		t->slots[s].used = 1;
		t->slots[s].id = id;
		t->slots[s].pending = -1;
		t->n++;
	}
	return &t->slots[s];
}

/* "FILE:LINE: " of event i, or "FILE: event I: " when it has no line. */
static void where(const struct history *h, size_t i, struct sb *err)
{
	hist_where(h, i, err);
	sb_adds(err, ": ");
}

static void pos_text(const struct history *h, size_t i, struct sb *err)
{
	if (hist_line(h, i))
		sb_addf(err, "line %u", hist_line(h, i));
	else
		sb_addf(err, "event %zu", i);
}

static void link(struct history *h, size_t a, size_t b)
{
	h->ev[a].pair = (int32_t)b;
	h->ev[b].pair = (int32_t)a;
}

static void nemesis_event(struct history *h, size_t i, int64_t *pending)
{
	const struct hist_event *e = &h->ev[i];

	if (e->type == HIST_INVOKE) {
		*pending = (int64_t)i;
		return;
	}
	if (*pending >= 0 && (h->ev[*pending].type == HIST_INVOKE ||
			      (e->type == HIST_INFO &&
			       h->ev[*pending].f == e->f))) {
		link(h, (size_t)*pending, i);
		*pending = -1;
		return;
	}
	*pending = e->type == HIST_INFO ? (int64_t)i : -1;
}

static int client_event(struct history *h, size_t i, struct proctab *t,
			struct sb *err)
{
	const struct hist_event *e = &h->ev[i];
	struct proc *p = proc_get(t, e->process);
	const char *type = hist_type_name(e->type);

	if (p->retired) {
		where(h, i, err);
		sb_addf(err, "process %" PRId32 " is used again after its op "
			"ended with info at ", e->process);
		pos_text(h, p->info_pos, err);
		sb_adds(err, " (after an indeterminate op a client must "
			"continue under a new process id)");
		return -NS_EINPUT;
	}
	if (e->type == HIST_INVOKE) {
		if (p->pending >= 0) {
			where(h, i, err);
			sb_addf(err, "process %" PRId32 " invokes while its "
				"op from ", e->process);
			pos_text(h, (size_t)p->pending, err);
			sb_adds(err, " is still pending");
			return -NS_EINPUT;
		}
		p->pending = (int64_t)i;
		return 0;
	}
	if (p->pending < 0) {
		where(h, i, err);
		sb_addf(err, "process %" PRId32 " completes (%s %s) without "
			"a pending invoke", e->process, type,
			hist_str(h, e->f));
		return -NS_EINPUT;
	}
	if (h->ev[p->pending].f != e->f) {
		where(h, i, err);
		sb_addf(err, "process %" PRId32 " completes '%s' but invoked "
			"'%s' at ", e->process, hist_str(h, e->f),
			hist_str(h, h->ev[p->pending].f));
		pos_text(h, (size_t)p->pending, err);
		return -NS_EINPUT;
	}
	link(h, (size_t)p->pending, i);
	p->pending = -1;
	if (e->type == HIST_INFO) {
		p->retired = 1;
		p->info_pos = i;
	}
	return 0;
}

int hist_pair(struct history *h, struct sb *err)
{
	struct proctab t = { NULL, 0, 0 };
	int64_t nemesis = -1;
	int check_time = !h->format || !strcmp(h->format, "json");
	size_t i;
	int rc = 0;

	if (h->n > HIST_EVENTS_MAX) {
		sb_addf(err, "%s: %zu events: at most %zu are supported",
			h->source ? h->source : "history", h->n,
			HIST_EVENTS_MAX);
		return -NS_EINPUT;
	}
	for (i = 0; i < h->n; i++)
		h->ev[i].pair = -1;
	for (i = 0; i < h->n && !rc; i++) {
		const struct hist_event *e = &h->ev[i];

		if (check_time && i && e->time < h->ev[i - 1].time) {
			where(h, i, err);
			sb_addf(err, "time goes backwards (%" PRId64 " ns "
				"after %" PRId64 " ns at ", e->time,
				h->ev[i - 1].time);
			pos_text(h, i - 1, err);
			sb_adds(err, ")");
			rc = -NS_EINPUT;
			break;
		}
		if (e->type > HIST_INFO) {
			where(h, i, err);
			sb_addf(err, "bad event type %u", e->type);
			rc = -NS_EINPUT;
		} else if (hist_is_client(e)) {
			rc = client_event(h, i, &t, err);
		} else {
			nemesis_event(h, i, &nemesis);
		}
	}
	free(t.slots);
	return rc;
}
