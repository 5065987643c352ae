/*
 * history.c - the history model: events, interned strings, values, JSON
 * output of one event.  Readers live in hist-*.c (see history.h).
 *
 * Strings are interned in an open-addressing hash table keyed by FNV-1a;
 * texts are kept in one growing arena, so an id is stable for the life of
 * the history.  Interning is O(1) expected.
 */
#include "history.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"

/* 20 million events in 2 GB with room for the checkers: see history.h. */
_Static_assert(sizeof(struct hist_event) == 64,
	       "struct hist_event must stay 64 bytes");

struct hist_strtab {
	char *arena;			/* NUL-terminated texts back to back */
	size_t arena_len, arena_alloc;
	size_t *off;			/* id -> offset in arena */
	uint32_t *len;			/* id -> length */
	size_t nstr, str_alloc;
	uint32_t *slots;		/* hash slots: id + 1, 0 = empty */
	size_t nslots;
};

static uint64_t fnv1a(const char *s, size_t n)
{
	uint64_t h = 1469598103934665603ULL;
	size_t i;

	for (i = 0; i < n; i++) {
		h ^= (unsigned char)s[i];
		h *= 1099511628211ULL;
	}
	return h;
}

static void strtab_rehash(struct hist_strtab *t, size_t nslots)
{
	size_t i;

	free(t->slots);
	t->slots = xcalloc(nslots, sizeof(*t->slots));
	t->nslots = nslots;
	for (i = 0; i < t->nstr; i++) {
		size_t s = fnv1a(t->arena + t->off[i], t->len[i]) &
			   (nslots - 1);

		while (t->slots[s])
			s = (s + 1) & (nslots - 1);
		t->slots[s] = (uint32_t)i + 1;
	}
}

void hist_init(struct history *h)
{
	memset(h, 0, sizeof(*h));
	h->strs = xcalloc(1, sizeof(*h->strs));
	hist_intern(h, "", 0);	/* id 0 */
}

void hist_release(struct history *h)
{
	if (h->strs) {
		free(h->strs->arena);
		free(h->strs->off);
		free(h->strs->len);
		free(h->strs->slots);
		free(h->strs);
	}
	free(h->ev);
	free(h->lines);
	free(h->index);
	free(h->vals);
	free(h->source);
	free(h->format);
	memset(h, 0, sizeof(*h));
}

uint32_t hist_intern(struct history *h, const char *s, size_t n)
{
	struct hist_strtab *t = h->strs;
	size_t slot;
	uint32_t id;

	if ((t->nstr + 1) * 2 > t->nslots)
		strtab_rehash(t, t->nslots ? t->nslots * 2 : 256);
	slot = fnv1a(s, n) & (t->nslots - 1);
	while (t->slots[slot]) {
		id = t->slots[slot] - 1;
		if (t->len[id] == n && !memcmp(t->arena + t->off[id], s, n))
			return id;
		slot = (slot + 1) & (t->nslots - 1);
	}
	id = (uint32_t)t->nstr;
	ALLOC_GROW(t->off, t->nstr + 1, t->str_alloc);
	t->len = xrealloc(t->len, t->str_alloc * sizeof(*t->len));
	ALLOC_GROW(t->arena, t->arena_len + n + 1, t->arena_alloc);
	memcpy(t->arena + t->arena_len, s, n);
	t->arena[t->arena_len + n] = '\0';
	t->off[id] = t->arena_len;
	t->len[id] = (uint32_t)n;
	t->arena_len += n + 1;
	t->nstr++;
	t->slots[slot] = id + 1;
	return id;
}

const char *hist_str(const struct history *h, uint32_t id)
{
	if (id >= h->strs->nstr)
		return "";
	return h->strs->arena + h->strs->off[id];
}

uint32_t hist_lookup(const struct history *h, const char *s)
{
	const struct hist_strtab *t = h->strs;
	size_t n = strlen(s), slot;

	if (!t->nslots)
		return UINT32_MAX;
	slot = fnv1a(s, n) & (t->nslots - 1);
	while (t->slots[slot]) {
		uint32_t id = t->slots[slot] - 1;

		if (t->len[id] == n && !memcmp(t->arena + t->off[id], s, n))
			return id;
		slot = (slot + 1) & (t->nslots - 1);
	}
	return UINT32_MAX;
}

size_t hist_append(struct history *h, const struct hist_event *e)
{
	if (h->n + 1 > h->alloc) {
		/* doubling; a long run's events fill huge pages (one page
		   fault per 2 MiB, not per 4 kB, as the recorder appends) */
		h->alloc = h->alloc ? h->alloc * 2 : 16;
		h->ev = xrealloc_large(h->ev, h->alloc * sizeof(*h->ev));
		if (h->lines)
			h->lines = xrealloc(h->lines,
					    h->alloc * sizeof(*h->lines));
		if (h->index)
			h->index = xrealloc(h->index,
					    h->alloc * sizeof(*h->index));
	}
	h->ev[h->n] = *e;
	if (h->lines)
		h->lines[h->n] = h->lines_by_position ?
				 (uint32_t)(h->n + 1) : 0;
	if (h->index)
		h->index[h->n] = h->n;
	return h->n++;
}

void hist_set_line(struct history *h, size_t i, uint32_t line)
{
	size_t j;

	if (!h->lines) {
		if (line == hist_line(h, i))
			return;
		h->lines = xmalloc((h->alloc ? h->alloc : 1) *
				   sizeof(*h->lines));
		for (j = 0; j < h->n; j++)
			h->lines[j] = h->lines_by_position ?
				      (uint32_t)(j + 1) : 0;
	}
	h->lines[i] = line;
}

void hist_set_index(struct history *h, size_t i, uint64_t index)
{
	size_t j;

	if (!h->index) {
		if (index == i)
			return;
		h->index = xmalloc((h->alloc ? h->alloc : 1) *
				   sizeof(*h->index));
		for (j = 0; j < h->n; j++)
			h->index[j] = j;
	}
	h->index[i] = index;
}

void hist_where(const struct history *h, size_t i, struct sb *out)
{
	const char *name = h->source ? h->source : "history";

	if (hist_line(h, i))
		sb_addf(out, "%s:%u", name, hist_line(h, i));
	else
		sb_addf(out, "%s: event %zu", name, i);
}

uint64_t hist_alloc_vals(struct history *h, size_t n)
{
	uint64_t off = h->nvals;

	if (!n)
		return off;	/* an empty list: vals may still be NULL */
	ALLOC_GROW(h->vals, h->nvals + n, h->vals_alloc);
	memset(h->vals + off, 0, n * sizeof(*h->vals));
	h->nvals += n;
	return off;
}

int hist_value_eq(const struct history *h, const struct hist_value *a,
		  const struct hist_value *b)
{
	uint32_t i;

	if (a->kind != b->kind)
		return 0;
	switch (a->kind) {
	case HV_NIL:
		return 1;
	case HV_INT:
	case HV_BOOL:
		return a->u.i == b->u.i;
	case HV_STR:
	case HV_RAW:
		return a->u.str == b->u.str;
	case HV_LIST:
		if (a->n != b->n)
			return 0;
		for (i = 0; i < a->n; i++)
			if (!hist_value_eq(h, hist_list_elem(h, a, i),
					   hist_list_elem(h, b, i)))
				return 0;
		return 1;
	}
	return 0;
}

uint64_t hist_value_hash(const struct history *h, const struct hist_value *v)
{
	uint64_t x = (uint64_t)v->kind * 0x9e3779b97f4a7c15ULL;
	uint32_t i;

	switch (v->kind) {
	case HV_INT:
	case HV_BOOL:
		x ^= (uint64_t)v->u.i;
		break;
	case HV_STR:
	case HV_RAW:
		x ^= v->u.str;
		break;
	case HV_LIST:
		for (i = 0; i < v->n; i++)
			x = (x ^ hist_value_hash(h, hist_list_elem(h, v, i))) *
			    0x100000001b3ULL;
		break;
	}
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	return x;
}

static void add_json_string(struct sb *out, const char *s)
{
	sb_addc(out, '"');
	sb_add_json_escaped(out, s, strlen(s));
	sb_addc(out, '"');
}

size_t hist_show_len(const char *s, size_t n)
{
	if (n <= HIST_SHOW_BYTES)
		return n;
	n = HIST_SHOW_BYTES;
	/* back to the first byte of a UTF-8 character */
	while (n && ((unsigned char)s[n] & 0xc0) == 0x80)
		n--;
	return n;
}

/* s as a JSON string; shown (show set) as its first bytes and its size
   when longer than HIST_SHOW_BYTES (*cut set then). */
static void add_json_string_show(struct sb *out, const char *s, int show,
				 int *cut)
{
	size_t n = strlen(s), k = show ? hist_show_len(s, n) : n;

	sb_addc(out, '"');
	sb_add_json_escaped(out, s, k);
	if (k < n) {
		sb_addf(out, "... (%zu bytes)", n);
		*cut = 1;
	}
	sb_addc(out, '"');
}

/*
 * v as JSON text into out; show: shortened (hist_value_json_show).  Once
 * out holds stop bytes or more, nothing more is appended (stop SIZE_MAX:
 * never): what is written is a head of the whole text, so a caller that
 * keeps only a head formats little more than it.
 */
static void value_json(const struct history *h, const struct hist_value *v,
		       int show, size_t stop, struct sb *out, int *cut)
{
	uint32_t i, n = v->n;
	const char *raw;

	if (out->len >= stop)
		return;
	switch (v->kind) {
	case HV_NIL:
		sb_adds(out, "null");
		break;
	case HV_INT:
		sb_addi64(out, v->u.i);
		break;
	case HV_BOOL:
		sb_adds(out, v->u.i ? "true" : "false");
		break;
	case HV_STR:
		add_json_string_show(out, hist_str(h, v->u.str), show, cut);
		break;
	case HV_RAW:
		/* JSON text: cut, it is no JSON; so a string of its head */
		raw = hist_str(h, v->u.str);
		if (show && strlen(raw) > HIST_SHOW_BYTES)
			add_json_string_show(out, raw, show, cut);
		else
			sb_adds(out, raw);
		break;
	case HV_LIST:
		if (show && n > HIST_SHOW_ELEMS) {
			n = HIST_SHOW_ELEMS;
			*cut = 1;
		}
		sb_addc(out, '[');
		for (i = 0; i < n && out->len < stop; i++) {
			if (i)
				sb_addc(out, ',');
			value_json(h, hist_list_elem(h, v, i), show, stop,
				   out, cut);
		}
		if (out->len < stop)	/* else only a head was wanted */
			sb_addc(out, ']');
		break;
	}
}

void hist_value_json(const struct history *h, const struct hist_value *v,
		     struct sb *out)
{
	int cut = 0;

	value_json(h, v, 0, SIZE_MAX, out, &cut);
}

int hist_value_json_show(const struct history *h, const struct hist_value *v,
			 struct sb *out)
{
	int cut = 0;

	value_json(h, v, 1, SIZE_MAX, out, &cut);
	return cut;
}

void hist_value_json_head(const struct history *h, const struct hist_value *v,
			  size_t max, struct sb *out)
{
	int cut = 0;

	value_json(h, v, 1, out->len + max + 1, out, &cut);
}

int hist_str_show(const char *s, struct sb *out)
{
	size_t n = strlen(s), k = hist_show_len(s, n);

	sb_add(out, s, k);
	if (k == n)
		return 0;
	sb_addf(out, "... (%zu bytes)", n);
	return 1;
}

void hist_value_show(const struct history *h, const struct hist_value *v,
		     int bare, struct sb *out)
{
	if (bare && v->kind == HV_STR) {
		hist_str_show(hist_str(h, v->u.str), out);
		return;
	}
	hist_value_json_show(h, v, out);
	if (v->kind == HV_LIST && v->n > HIST_SHOW_ELEMS)
		sb_addf(out, " and %" PRIu32 " more (%" PRIu32 " elements)",
			v->n - HIST_SHOW_ELEMS, v->n);
}

int hist_timed(const struct history *h)
{
	size_t i;

	for (i = 0; i < h->n; i++)
		if (h->ev[i].time)
			return 1;
	return 0;
}

const char *hist_type_name(enum hist_type t)
{
	static const char *const names[] = { "invoke", "ok", "fail", "info" };

	return (unsigned)t < 4 ? names[t] : "?";
}

/* Event i as one JSON line; show: its value and error shortened (returns
   which of them were cut, HIST_SHOW_CUT_*). */
static unsigned event_json(const struct history *h, size_t i, int show,
			   struct sb *out)
{
	const struct hist_event *e = &h->ev[i];
	int vcut = 0, ecut = 0;

	/* Written for every event a run records: sb_addi64, not printf. */
	sb_adds(out, "{\"index\":");
	sb_addu64(out, hist_index(h, i));
	sb_adds(out, ",\"time\":");
	sb_addi64(out, e->time);
	if (e->process == HIST_NEMESIS) {
		sb_adds(out, ",\"process\":\"nemesis\"");
	} else {
		sb_adds(out, ",\"process\":");
		sb_addi64(out, e->process);
	}
	sb_adds(out, ",\"type\":\"");
	sb_adds(out, hist_type_name(e->type));
	sb_adds(out, "\",\"f\":");
	add_json_string(out, hist_str(h, e->f));
	sb_adds(out, ",\"value\":");
	value_json(h, &e->value, show, SIZE_MAX, out, &vcut);
	if (e->flags & HIST_F_KEY) {
		sb_adds(out, ",\"key\":");
		add_json_string(out, hist_str(h, e->key));
	}
	if (e->process != HIST_NEMESIS) {
		sb_adds(out, ",\"session\":");
		sb_addi64(out, e->session);
	}
	if (e->node) {
		sb_adds(out, ",\"node\":");
		add_json_string(out, hist_str(h, e->node));
	}
	if (e->flags & HIST_F_VERSION) {
		sb_adds(out, ",\"version\":");
		sb_addi64(out, e->version);
	}
	if (e->flags & HIST_F_FINAL)
		sb_adds(out, ",\"final\":true");
	if (e->error) {
		sb_adds(out, ",\"error\":");
		add_json_string_show(out, hist_str(h, e->error), show, &ecut);
	}
	sb_adds(out, "}\n");
	return (vcut ? HIST_SHOW_CUT_VALUE : 0) |
	       (ecut ? HIST_SHOW_CUT_ERROR : 0);
}

void hist_event_json(const struct history *h, size_t i, struct sb *out)
{
	event_json(h, i, 0, out);
}

unsigned hist_event_json_show(const struct history *h, size_t i,
			      struct sb *out)
{
	return event_json(h, i, 1, out);
}
