/*
 * checker-util.c - maps, fault windows and helpers shared by the set,
 * session and stale checkers (checker-util.h).
 */
#include "checker-util.h"

#include <stdlib.h>
#include <string.h>

#include "alloc.h"

static uint64_t mix64(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ULL;
	x ^= x >> 33;
	return x;
}

static size_t pow2_at_least(size_t n)
{
	size_t s = 16;

	while (s < n)
		s *= 2;
	return s;
}

/* ===== valmap ===== */

#define DIRECT_LIMIT ((int64_t)1 << 40)	/* |value| for the direct table */

static uint64_t vkey_hash(const struct history *h, uint32_t key,
			  const struct hist_value *v)
{
	uint64_t x;

	if (v->kind == HV_INT)
		x = (uint64_t)v->u.i * 0x9e3779b97f4a7c15ULL;
	else
		x = hist_value_hash(h, v);
	return mix64(x ^ ((uint64_t)key << 32 | 0x5bd1e995u)) | 1;
}

static void valmap_rehash(struct checker__valmap *m, size_t nslots)
{
	size_t i, mask = nslots - 1;

	free(m->slots);
	m->slots = xcalloc(nslots, sizeof(*m->slots));
	m->nslots = nslots;
	for (i = 0; i < m->n; i++) {
		size_t s;

		if (!m->hashes[i])
			continue;	/* in the direct table */
		s = m->hashes[i] & mask;
		while (m->slots[s])
			s = (s + 1) & mask;
		m->slots[s] = (uint32_t)i + 1;
	}
}

void checker__valmap_init(struct checker__valmap *m, size_t hint)
{
	memset(m, 0, sizeof(*m));
	valmap_rehash(m, pow2_at_least(hint < 1024 ? 64 : hint / 4));
}

void checker__valmap_reserve(struct checker__valmap *m, size_t n)
{
	if (n <= m->alloc)
		return;
	m->keys = xrealloc(m->keys, n * sizeof(*m->keys));
	m->hashes = xrealloc(m->hashes, n * sizeof(*m->hashes));
	m->alloc = n;
}

void checker__valmap_release(struct checker__valmap *m)
{
	free(m->keys);
	free(m->hashes);
	free(m->slots);
	free(m->direct);
	memset(m, 0, sizeof(*m));
}

static int vkey_eq(const struct history *h, const struct checker__vkey *k,
		   uint32_t key, const struct hist_value *v)
{
	if (k->key != key || k->v.kind != v->kind)
		return 0;
	if (v->kind == HV_INT)
		return k->v.u.i == v->u.i;
	return hist_value_eq(h, &k->v, v);
}

/* The direct slot of integer i, or NULL when outside the table. */
static struct checker__dslot *direct_find(const struct checker__valmap *m,
					  int64_t i)
{
	if (m->direct && i >= m->dmin && i < DIRECT_LIMIT &&
	    i - m->dmin < (int64_t)m->dlen)
		return &m->direct[i - m->dmin];
	return NULL;
}

/* The direct slot of integer i, growing the table if that is cheap. */
static struct checker__dslot *direct_slot(struct checker__valmap *m,
					  int64_t i)
{
	int64_t lo, hi;
	size_t len;
	struct checker__dslot *d = direct_find(m, i);

	if (d)
		return d;
	if (i <= -DIRECT_LIMIT || i >= DIRECT_LIMIT)
		return NULL;
	if (!m->direct) {
		lo = i - 1024;
		hi = i + 65536;
	} else {
		/* Grow by doubling towards i. */
		lo = m->dmin;
		hi = m->dmin + (int64_t)m->dlen;
		if (i < lo)
			lo -= (int64_t)m->dlen > lo - i ? (int64_t)m->dlen :
			      lo - i;
		else
			hi += (int64_t)m->dlen > i - hi + 1 ? (int64_t)m->dlen :
			      i - hi + 1;
	}
	len = (size_t)(hi - lo);
	if (len > 8 * (m->n + 65536))
		return NULL;	/* too sparse: hash it */
	d = xcalloc(len, sizeof(*d));
	if (m->direct) {
		memcpy(d + (m->dmin - lo), m->direct,
		       m->dlen * sizeof(*d));
		free(m->direct);
	}
	m->direct = d;
	m->dmin = lo;
	m->dlen = len;
	return &m->direct[i - lo];
}

static uint32_t hash_get(const struct checker__valmap *m,
			 const struct history *h, uint32_t key,
			 const struct hist_value *v, uint64_t hash,
			 size_t *slot)
{
	size_t mask = m->nslots - 1, s = hash & mask;

	while (m->slots[s]) {
		uint32_t id = m->slots[s] - 1;

		if (m->hashes[id] == hash && vkey_eq(h, &m->keys[id], key, v))
			return id;
		s = (s + 1) & mask;
	}
	if (slot)
		*slot = s;
	return CHECKER__NONE;
}

uint32_t checker__valmap_get(const struct checker__valmap *m,
			     const struct history *h, uint32_t key,
			     const struct hist_value *v)
{
	if (v->kind == HV_INT) {
		const struct checker__dslot *d = direct_find(m, v->u.i);

		if (d && d->id1 && d->key == key)
			return d->id1 - 1;
		/* An empty slot is final unless integers were hashed. */
		if (d && !d->id1 && !m->hashed_ints)
			return CHECKER__NONE;
	}
	return hash_get(m, h, key, v, vkey_hash(h, key, v), NULL);
}

static uint32_t new_id(struct checker__valmap *m, uint32_t key,
		       const struct hist_value *v, uint64_t hash)
{
	uint32_t id = (uint32_t)m->n;

	if (m->n + 1 > m->alloc) {
		ALLOC_GROW(m->keys, m->n + 1, m->alloc);
		m->hashes = xrealloc(m->hashes,
				     m->alloc * sizeof(*m->hashes));
	}
	m->keys[id].v = *v;
	m->keys[id].key = key;
	m->hashes[id] = hash;
	m->n++;
	return id;
}

uint32_t checker__valmap_put(struct checker__valmap *m,
			     const struct history *h, uint32_t key,
			     const struct hist_value *v, int *added)
{
	uint64_t hash;
	uint32_t id;
	size_t s;

	if (added)
		*added = 0;
	if (v->kind == HV_INT) {
		struct checker__dslot *d = direct_slot(m, v->u.i);

		if (d && d->id1 && d->key == key)
			return d->id1 - 1;
		if (d && !d->id1) {
			/* Hashed before the table reached it? */
			if (m->hashed_ints) {
				hash = vkey_hash(h, key, v);
				id = hash_get(m, h, key, v, hash, NULL);
				if (id != CHECKER__NONE)
					return id;
			}
			/* new_id does not move the table: d stays valid */
			id = new_id(m, key, v, 0);
			d->id1 = id + 1;
			d->key = key;
			if (added)
				*added = 1;
			return id;
		}
	}
	hash = vkey_hash(h, key, v);
	id = hash_get(m, h, key, v, hash, &s);
	if (id != CHECKER__NONE)
		return id;
	id = new_id(m, key, v, hash);
	m->slots[s] = id + 1;
	m->nhashed++;
	if (v->kind == HV_INT)
		m->hashed_ints++;
	if (m->nhashed * 2 > m->nslots)
		valmap_rehash(m, m->nslots * 2);
	if (added)
		*added = 1;
	return id;
}

/* ===== keymap ===== */

void checker__keymap_init(struct checker__keymap *m)
{
	memset(m, 0, sizeof(*m));
}

void checker__keymap_release(struct checker__keymap *m)
{
	free(m->idx);
	free(m->keys);
	memset(m, 0, sizeof(*m));
}

uint32_t checker__keymap_put(struct checker__keymap *m, uint32_t key,
			     int *added)
{
	size_t i = key == CHECKER__NOKEY ? 0 : (size_t)key + 1;

	if (added)
		*added = 0;
	if (i >= m->len) {
		size_t len = m->len ? m->len : 64;

		while (len <= i)
			len *= 2;
		m->idx = xrealloc(m->idx, len * sizeof(*m->idx));
		memset(m->idx + m->len, 0, (len - m->len) * sizeof(*m->idx));
		m->len = len;
	}
	if (!m->idx[i]) {
		ALLOC_GROW(m->keys, m->n + 1, m->alloc);
		m->keys[m->n] = key;
		m->idx[i] = (uint32_t)++m->n;
		if (added)
			*added = 1;
	}
	return m->idx[i] - 1;
}

/* ===== pairmap ===== */

static uint64_t pair_hash(uint64_t k)
{
	k *= 0x9e3779b97f4a7c15ULL;
	return k ^ (k >> 29);
}

static void pairmap_rehash(struct checker__pairmap *m, size_t nslots)
{
	struct checker__pslot *old = m->slots;
	size_t i, oldn = m->nslots, mask = nslots - 1;

	m->slots = xcalloc(nslots, sizeof(*m->slots));
	m->nslots = nslots;
	for (i = 0; i < oldn; i++) {
		size_t s;

		if (!old[i].id1)
			continue;
		s = pair_hash(old[i].k) & mask;
		while (m->slots[s].id1)
			s = (s + 1) & mask;
		m->slots[s] = old[i];
	}
	free(old);
}

void checker__pairmap_init(struct checker__pairmap *m, size_t hint)
{
	memset(m, 0, sizeof(*m));
	pairmap_rehash(m, pow2_at_least(hint * 2));
}

void checker__pairmap_release(struct checker__pairmap *m)
{
	free(m->slots);
	memset(m, 0, sizeof(*m));
}

uint32_t checker__pairmap_put(struct checker__pairmap *m, uint32_t a,
			      uint32_t b, int *added)
{
	uint64_t k = (uint64_t)a << 32 | b;
	size_t mask = m->nslots - 1, s = pair_hash(k) & mask;
	uint32_t id;

	while (m->slots[s].id1) {
		if (m->slots[s].k == k) {
			if (added)
				*added = 0;
			return m->slots[s].id1 - 1;
		}
		s = (s + 1) & mask;
	}
	id = (uint32_t)m->n++;
	m->slots[s].k = k;
	m->slots[s].id1 = id + 1;
	if (m->n * 2 > m->nslots)
		pairmap_rehash(m, m->nslots * 2);
	if (added)
		*added = 1;
	return id;
}

/* ===== Fault windows ===== */

static const char *fault_suffix(const char *f, const char *verb)
{
	size_t n = strlen(verb);

	if (strncmp(f, verb, n))
		return NULL;
	f += n;
	if (*f == '-' || *f == '_' || *f == ' ')
		f++;
	return f;
}

static size_t add_text(struct sb *sb, const char *s)
{
	size_t off = sb->len;

	sb_adds(sb, s);
	sb_addc(sb, '\0');
	return off;
}

static void open_window(struct checker__faults *f, const struct history *h,
			size_t pos, const char *suffix)
{
	const struct hist_event *e = &h->ev[pos];
	const struct hist_event *c = e->type == HIST_INVOKE ?
				     checker__completion(h, pos) : NULL;
	const struct hist_value *v = &e->value;
	struct checker__fault *w;
	struct sb label = SB_INIT;

	/* The fault in force (the completion: a -leader fault learns its
	   target when it starts) rather than the plan, when it has one. */
	if (c && c->value.kind != HV_NIL)
		v = &c->value;
	sb_adds(&label, *suffix ? suffix : "fault");
	sb_adds(&label, ": ");
	if (!hist_value_summary(h, v, &label)) {
		sb_setlen(&label, label.len - 2);
		if (v->kind != HV_NIL) {
			sb_addc(&label, ' ');
			checker__value_text(h, v, &label);
		}
	}
	ALLOC_GROW(f->w, f->n + 1, f->alloc);
	w = &f->w[f->n++];
	w->start = e->time;
	w->end = INT64_MAX;
	w->pos = pos;
	w->end_pos = SIZE_MAX;
	w->open = 1;
	w->label = add_text(&f->labels, label.buf);
	w->suffix = add_text(&f->labels, suffix);
	sb_release(&label);
}

/* Close window w at the event at pos. */
static void close_window(struct checker__fault *w, const struct history *h,
			 size_t pos)
{
	w->open = 0;
	w->end = h->ev[pos].time;
	w->end_pos = pos;
}

static void close_windows(struct checker__faults *f, const char *suffix,
			  size_t pos)
{
	size_t i, matched = 0;

	if (*suffix)
		for (i = 0; i < f->n; i++)
			if (f->w[i].open &&
			    !strcmp(f->labels.buf + f->w[i].suffix, suffix)) {
				close_window(&f->w[i], f->h, pos);
				matched++;
			}
	if (matched)
		return;
	for (i = 0; i < f->n; i++)
		if (f->w[i].open)
			close_window(&f->w[i], f->h, pos);
}

void checker__faults_build(struct checker__faults *f,
			   const struct history *h)
{
	size_t i;

	memset(f, 0, sizeof(*f));
	sb_init(&f->labels, 0);
	f->h = h;
	for (i = 0; i < h->n; i++) {
		const struct hist_event *e = &h->ev[i];
		const char *name, *sfx;

		f->timed |= e->time != 0;
		if (hist_is_client(e))
			continue;
		/* Completions of a paired op are handled at its invoke. */
		if (e->type != HIST_INVOKE && e->pair >= 0 &&
		    (size_t)e->pair != i)
			continue;
		name = hist_str(h, e->f);
		if ((sfx = fault_suffix(name, "start"))) {
			open_window(f, h, i, sfx);
		} else if ((sfx = fault_suffix(name, "stop"))) {
			const struct hist_event *c =
				e->type == HIST_INVOKE ?
				checker__completion(h, i) : NULL;

			close_windows(f, sfx, c ? (size_t)e->pair : i);
		}
	}
}

void checker__faults_release(struct checker__faults *f)
{
	free(f->w);
	sb_release(&f->labels);
	memset(f, 0, sizeof(*f));
}

size_t checker__faults_at(const struct checker__faults *f, size_t pos,
			  struct sb *out)
{
	int64_t t = f->h->ev[pos].time;
	size_t i, n = 0;

	for (i = 0; i < f->n; i++) {
		const struct checker__fault *w = &f->w[i];

		if (f->timed ? t < w->start || t >= w->end :
		    pos < w->pos || pos >= w->end_pos)
			continue;
		if (n++)
			sb_adds(out, "; ");
		sb_addf(out, "%s (from ", f->labels.buf + w->label);
		checker__when(f->h, f->timed, w->pos, out);
		if (w->end_pos == SIZE_MAX) {
			sb_adds(out, ", never healed)");
		} else {
			sb_adds(out, " to ");
			checker__when(f->h, f->timed, w->end_pos, out);
			sb_adds(out, ")");
		}
	}
	if (!n)
		sb_adds(out, "no fault");
	return n;
}

json_t *checker__faults_json(const struct checker__faults *f)
{
	json_t *arr = json_array();
	size_t i;

	for (i = 0; i < f->n; i++) {
		const struct checker__fault *w = &f->w[i];

		int closed = w->end_pos != SIZE_MAX;

		json_array_append_new(arr, json_pack(
			"{s:s, s:o, s:o, s:I, s:o}",
			"label", f->labels.buf + w->label,
			"start_s", f->timed ?
				   json_real(checker__secs(w->start)) :
				   json_null(),
			"end_s", f->timed && closed ?
				 json_real(checker__secs(w->end)) :
				 json_null(),
			"position", (json_int_t)w->pos,
			"end_position", closed ?
					json_integer((json_int_t)w->end_pos) :
					json_null()));
	}
	return arr;
}

/* ===== Helpers ===== */

static void swap64(int64_t *a, int64_t *b)
{
	int64_t t = *a;

	*a = *b;
	*b = t;
}

/* Quickselect: the k-th smallest of a[0..n), expected O(n). */
static int64_t select_kth(int64_t *a, size_t n, size_t k)
{
	size_t lo = 0, hi = n - 1;
	uint64_t seed = 0x2545F4914F6CDD1DULL;

	while (lo < hi) {
		size_t i, j, p;
		int64_t pivot;

		seed ^= seed << 13;
		seed ^= seed >> 7;
		seed ^= seed << 17;
		p = lo + (size_t)(seed % (hi - lo + 1));
		pivot = a[p];
		/* Three-way partition: < pivot, == pivot, > pivot. */
		i = lo;
		j = lo;
		p = hi + 1;
		while (j < p) {
			if (a[j] < pivot)
				swap64(&a[i++], &a[j++]);
			else if (a[j] > pivot)
				swap64(&a[j], &a[--p]);
			else
				j++;
		}
		if (k < i)
			hi = i - 1;
		else if (k >= p)
			lo = p;
		else
			return pivot;
	}
	return a[k];
}

int64_t checker__percentile(int64_t *a, size_t n, double p)
{
	size_t k;

	if (!n)
		return 0;
	if (p <= 0)
		k = 0;
	else if (p >= 100)
		k = n - 1;
	else {
		/* Nearest rank: ceil(p/100 * n), 1-based. */
		double r = p / 100.0 * (double)n;

		k = (size_t)r;
		if ((double)k < r)
			k++;
		k = k ? k - 1 : 0;
	}
	return select_kth(a, n, k);
}

json_t *checker__value_json(const struct history *h,
			    const struct hist_value *v)
{
	struct sb sb = SB_INIT;
	json_t *j;

	if (v->kind == HV_INT)
		return json_integer((json_int_t)v->u.i);
	hist_value_json_show(h, v, &sb);
	j = json_loadb(sb.buf, sb.len, JSON_DECODE_ANY, NULL);
	sb_release(&sb);
	return j ? j : json_null();
}

/*
 * Where to cut JSON text s[0..n) to keep at most max bytes: never inside
 * a UTF-8 character or a backslash escape (half a character, or a lone
 * backslash before the "...", would misquote the value).
 */
static size_t text_cut(const char *s, size_t n, size_t max)
{
	size_t i = 0, len;

	if (n <= max)
		return n;
	while (i < max) {
		unsigned char c = (unsigned char)s[i];

		if (c == '\\')
			len = i + 1 < n && s[i + 1] == 'u' ? 6 : 2;
		else if (c >= 0xf0)
			len = 4;
		else if (c >= 0xe0)
			len = 3;
		else if (c >= 0xc0)
			len = 2;
		else
			len = 1;
		if (i + len > max)
			break;
		i += len;
	}
	return i;
}

void checker__value_text(const struct history *h,
			 const struct hist_value *v, struct sb *out)
{
	size_t start = out->len;

	/* its head alone: a huge value is never formatted whole */
	hist_value_json_head(h, v, CHECKER__TEXT_MAX, out);
	if (out->len - start > CHECKER__TEXT_MAX) {
		sb_setlen(out, start + text_cut(out->buf + start,
						out->len - start,
						CHECKER__TEXT_MAX - 3));
		sb_adds(out, "...");
	}
}

/* ===== Citing an event ===== */

int checker__timed(const struct history *h)
{
	return hist_timed(h);
}

void checker__when(const struct history *h, int timed, size_t pos,
		   struct sb *out)
{
	if (timed)
		sb_addf(out, "%.3f s", checker__secs(h->ev[pos].time));
	else
		hist_where(h, pos, out);
}

void checker__at(const struct history *h, int timed, size_t pos,
		 struct sb *out)
{
	sb_adds(out, timed ? " at " : " (");
	checker__when(h, timed, pos, out);
	if (!timed)
		sb_addc(out, ')');
}

int checker__op_flag(const struct history *h, size_t pos, unsigned flag)
{
	const struct hist_event *c = checker__completion(h, pos);

	return (h->ev[pos].flags & flag) || (c && (c->flags & flag));
}
