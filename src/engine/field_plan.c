/*-------------------------------------------------------------------------
 *
 * field_plan.c
 *	  Field plans: the field paths a pipeline reads before its documents are
 *	  needed whole, filled by one walk of each source document (see
 *	  asp_field_plan in value.h).  The walk remembers the layout of the last
 *	  document (a masked template of its type bytes, keys and length words)
 *	  and reads the slots of a document of the same layout at the recorded
 *	  offsets; anything else takes the general walk.
 *
 *-------------------------------------------------------------------------
 */
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "value.h"
#include "value_int.h"

/* asp_field_plan_slot_for: the slot of (parent, name), added if new; -1 when full */
int
asp_field_plan_slot_for(asp_field_plan *fp, int parent, const char *name, uint32_t len)
{
	int			i;

	for (i = 0; i < fp->nslots; i++)
		if (fp->slot[i].parent == parent && fp->slot[i].len == len &&
			memcmp(fp->slot[i].name, name, len) == 0)
			return i;
	if (fp->nslots == ASP_PLAN_MAX)
		return -1;
	i = fp->nslots++;
	memset(&fp->slot[i], 0, sizeof(fp->slot[i]));
	fp->slot[i].name = name;
	fp->slot[i].len = len;
	fp->slot[i].parent = parent;
	fp->slot[i].level = -1;
	return i;
}

/*
 * plan_name_bit: the filter bit of a name of len bytes starting with byte
 * c: a key whose bit is not in a level's filter is none of its names, so
 * most fields cost no comparison.
 */
static inline uint64_t
plan_name_bit(size_t len, uint8_t c)
{
	return UINT64_C(1) << ((len ^ ((size_t) c << 1)) & 63);
}

/* asp_field_plan_prepare: the levels, the name words and the conflict names */
void
asp_field_plan_prepare(asp_field_plan *fp, const char *conflict_a, const char *conflict_b)
{
	int			i;

	memset(fp->level, 0, sizeof(fp->level));
	fp->nlevels = 1;
	for (i = 0; i < fp->nslots; i++)
		fp->slot[i].level = -1;
	for (i = 0; i < fp->nslots; i++)
	{
		asp_field_plan_slot *s = &fp->slot[i];
		asp_field_plan_level *l;
		uint8_t		ones[8];
		uint32_t	n = s->len < 8 ? s->len : 8;

		/* a parent always has a smaller slot number than its children */
		if (s->parent < 0)
			l = &fp->level[0];
		else
		{
			if (fp->slot[s->parent].level < 0)
				fp->slot[s->parent].level = fp->nlevels++;
			l = &fp->level[fp->slot[s->parent].level];
		}
		l->slot[l->nslots++] = (int8_t) i;
		l->filter |= plan_name_bit(s->len, s->len ? (uint8_t) s->name[0] : 0);
		s->w0 = 0;
		s->m0 = 0;
		memcpy(&s->w0, s->name, n);
		memset(ones, 0, sizeof(ones));
		memset(ones, 0xff, n);
		memcpy(&s->m0, ones, 8);
	}
	fp->conflict[0] = conflict_a;
	fp->conflict[1] = conflict_b;
	fp->conflict_filter = 0;
	for (i = 0; i < 2; i++)
	{
		fp->conflict_len[i] = fp->conflict[i] ? (uint32_t) strlen(fp->conflict[i]) : 0;
		if (fp->conflict[i])
			fp->conflict_filter |= plan_name_bit(fp->conflict_len[i],
												 (uint8_t) fp->conflict[i][0]);
	}
}

/*
 * plan_key_is: the key (of the slot's length) is the slot's name: a word
 * compare when 8 bytes are readable before the document's end.
 */
static inline bool
plan_key_is(const asp_field_plan_slot *s, const uint8_t *key, const uint8_t *end)
{
	if (key + 8 <= end + 1)
	{
		uint64_t	w;

		memcpy(&w, key, 8);
		if ((w & s->m0) != s->w0)
			return false;
		return s->len <= 8 || memcmp(key + 8, s->name + 8, s->len - 8) == 0;
	}
	return memcmp(key, s->name, s->len) == 0;
}

/*
 * plan_hit: a field whose filter bit is in the level's: the conflict names
 * (top level), then the slots of level l not found yet; the value of the
 * first field of a name is the one taken (MongoDB reads the first one).
 * Returns 1 when it filled a slot.
 */
static inline __attribute__((always_inline)) int
plan_hit(const asp_field_plan *fp, const asp_field_plan_level *l, bool top,
		 const uint8_t *key, size_t kl, const uint8_t *v, int64_t vs,
		 const uint8_t *doc, uint32_t len, const uint8_t *end, uint32_t *found,
		 bool *conflict, asp_field_plan_vals *vals)
{
	int			j;

	if (top)
	{
		int			c;

		for (c = 0; c < 2; c++)
			if (fp->conflict[c] && kl == fp->conflict_len[c] &&
				memcmp(key, fp->conflict[c], kl) == 0)
				*conflict = true;
	}
	for (j = 0; j < l->nslots; j++)
	{
		const asp_field_plan_slot *s = &fp->slot[l->slot[j]];

		if (!(*found & (1u << j)) && kl == s->len && plan_key_is(s, key, end))
		{
			raw_fill_value(doc, len, key - 1, key[-1], v, vs, &vals->v[l->slot[j]]);
			*found |= 1u << j;
			return 1;
		}
	}
	return 0;
}

/* shape_record: element i of the shape; false when it cannot be kept (long key, full) */
static bool
shape_record(asp_shape *sh, int i, const uint8_t *elem, size_t kl, int act)
{
	asp_shape_elem *c;
	uint8_t		b[24],
				m[24];

	if (i >= ASP_SHAPE_MAX || kl + 2 > 24)
		return false;
	c = &sh->e[i];
	memset(b, 0, sizeof(b));
	memset(m, 0, sizeof(m));
	memcpy(b, elem, kl + 2);
	memset(m, 0xff, kl + 2);
	memcpy(c->w, b, 24);
	memcpy(c->m, m, 24);
	c->type = elem[0];
	c->hlen = (uint8_t) (kl + 2);
	c->fixed = raw_fixed_size(elem[0]);
	c->act = (int8_t) act;
	c->total = (uint8_t) (c->fixed >= 0 ? c->hlen + c->fixed : 0);
	return true;
}

/*
 * shape_head_equal: the type byte, key and NUL at p are those of c, near
 * the end of the readable bytes (p + hlen is at most end, checked).
 */
static inline bool
shape_head_equal(const uint8_t *p, const asp_shape_elem *c, const uint8_t *rend)
{
	if (c->hlen <= 16 && p + 16 <= rend + 1)
	{
		uint64_t	w0,
					w1;

		memcpy(&w0, p, 8);
		memcpy(&w1, p + 8, 8);
		return (((w0 & c->m[0]) ^ c->w[0]) | ((w1 & c->m[1]) ^ c->w[1])) == 0;
	}
	if (c->hlen <= 8 && p + 8 <= rend + 1)
	{
		uint64_t	w0;

		memcpy(&w0, p, 8);
		return ((w0 & c->m[0]) ^ c->w[0]) == 0;
	}
	return memcmp(p, c->w, c->hlen) == 0;
}

/*
 * shape_template: after a walk of a level's document: keep the template
 * when the shape covers the whole document (walked) and every value has a
 * fixed size; else drop it.
 */
static void
shape_template(asp_shape *sh, const uint8_t *doc, uint32_t len, bool walked)
{
	uint8_t		b[ASP_SHAPE_TEMPLATE],
				m[ASP_SHAPE_TEMPLATE];
	uint32_t	off = 4;
	int			i;

	if (sh->tlen == len)
		return;					/* the template of this document's length stays */
	sh->tlen = 0;
	sh->tfills = 0;
	if (!walked || len > ASP_SHAPE_TEMPLATE)
		return;
	memset(b, 0, sizeof(b));
	memset(m, 0, sizeof(m));
	memcpy(b, doc, len);
	memset(m, 0xff, 4);
	for (i = 0; i < sh->n; i++)
	{
		const asp_shape_elem *c = &sh->e[i];

		if (c->fixed < 0 || off + c->total > len - 1)
			return;
		memset(m + off, 0xff, c->hlen);
		if (c->act >= 0)
		{
			if (sh->tfills == ASP_SHAPE_TEMPLATE_FILLS)
				return;
			sh->tfill[sh->tfills].elem = (uint8_t) off;
			sh->tfill[sh->tfills].value = (uint8_t) (off + c->hlen);
			sh->tfill[sh->tfills].size = (uint8_t) c->fixed;
			sh->tfill[sh->tfills].type = c->type;
			sh->tfill[sh->tfills].j = c->act;
			sh->tfills++;
		}
		off += c->total;
	}
	if (off != len - 1 || len < 8)
		return;
	m[len - 1] = 0xff;
	/* words at 0, 8, ...; the last one ends at the document's end (it may overlap) */
	for (i = 0; i < (int) ((len + 7) / 8); i++)
	{
		uint32_t	o = 8 * (uint32_t) i < len - 8 ? 8 * (uint32_t) i : len - 8;

		memcpy(&sh->tw[i], b + o, 8);
		memcpy(&sh->tm[i], m + o, 8);
		sh->tw[i] &= sh->tm[i];
	}
	sh->tlen = len;
}

/*
 * shape_template_match: doc (len bytes, readable up to rend) matches the
 * level's template: fill its slots and say which were found.
 */
static inline bool
shape_template_match(const asp_shape *sh, const asp_field_plan_level *l, const uint8_t *doc,
					 uint32_t len, const uint8_t *rend, uint32_t *found,
					 asp_field_plan_vals *vals)
{
	uint64_t	diff = 0;
	uint32_t	nw = (len + 7) / 8;
	uint32_t	i;

	(void) rend;
	if (sh->tlen != len)
		return false;
	for (i = 0; i < nw; i++)
	{
		uint64_t	w;

		memcpy(&w, doc + (8 * i < len - 8 ? 8 * i : len - 8), 8);
		diff |= (w & sh->tm[i]) ^ sh->tw[i];
	}
	if (diff)
		return false;
	*found = 0;
	for (i = 0; i < (uint32_t) sh->tfills; i++)
	{
		const uint8_t *e = doc + sh->tfill[i].elem;

		raw_fill_value(doc, len, e, sh->tfill[i].type, doc + sh->tfill[i].value,
					   sh->tfill[i].size, &vals->v[l->slot[sh->tfill[i].j]]);
		*found |= 1u << sh->tfill[i].j;
	}
	return true;
}

/*
 * plan_walk: the fields of doc for level l: one pass over its elements,
 * stopping once every slot is found unless top (the top level is walked
 * to its end: that checks the document and finds the conflict names).
 * The leading elements that match the level's shape sh (may be NULL) are
 * checked against it: the same checks as the general walk, in a few word
 * compares; the rest go through the general walk, which records them in
 * sh.  rend: the last readable byte (the top-level document's NUL).
 * Returns false if an element is malformed; *found has a bit per slot of
 * l found.
 */
static inline __attribute__((always_inline)) bool
plan_walk(const asp_field_plan *fp, const asp_field_plan_level *l, bool top,
		  const uint8_t *doc, uint32_t len, const uint8_t *rend, asp_shape *sh,
		  uint32_t *found, bool *conflict, asp_field_plan_vals *vals)
{
	const uint8_t *p = doc + 4;
	const uint8_t *end = doc + len - 1;
	uint64_t	filter = l->filter | (top ? fp->conflict_filter : 0);
	int			pending = l->nslots;
	int			i = 0;
	bool		recording;

	*found = 0;
	if (sh)
	{
		const asp_shape_elem *c = sh->e;
		const asp_shape_elem *cend = sh->e + sh->n;

		/*
		 * No check of p against end per element: at the end p points at
		 * the NUL, which no element's type byte equals.
		 */
		for (; c < cend && (top || pending > 0); c++)
		{
			const uint8_t *v = p + c->hlen;
			int64_t		vs;

			if (__builtin_expect(p + 24 <= rend + 1, 1))
			{
				uint64_t	w0,
							w1,
							w2;

				memcpy(&w0, p, 8);
				memcpy(&w1, p + 8, 8);
				memcpy(&w2, p + 16, 8);
				if (((w0 & c->m[0]) ^ c->w[0]) | ((w1 & c->m[1]) ^ c->w[1]) |
					((w2 & c->m[2]) ^ c->w[2]))
					break;
			}
			else if (p >= end || v > end || !shape_head_equal(p, c, rend))
				break;
			if (c->fixed >= 0)
			{
				/* type and key matched: the element's size is known */
				if (p + c->total > end)
					break;
				vs = c->fixed;
			}
			else
			{
				int32_t		n;

				if (v + 4 > end)
					break;
				memcpy(&n, v, 4);
				n = (int32_t) BSON_UINT32_FROM_LE(n);
				/* strings and documents inline, as raw_value_size sizes them */
				if (c->type == BSON_TYPE_UTF8)
					vs = n < 1 ? -1 : (int64_t) n + 4;
				else if (c->type == BSON_TYPE_DOCUMENT || c->type == BSON_TYPE_ARRAY)
					vs = n < 5 ? -1 : n;
				else
					vs = raw_value_size(c->type, v, (size_t) (end - v));
				if (vs < 0 || vs > end - v)
					break;
			}
			if (c->act >= 0)
			{
				bson_value_t *out = &vals->v[l->slot[c->act]];

				if (c->type == BSON_TYPE_INT32)
				{
					int32_t		i32;

					memcpy(&i32, v, 4);
					out->value_type = BSON_TYPE_INT32;
					out->value.v_int32 = (int32_t) BSON_UINT32_FROM_LE(i32);
				}
				else if (c->type == BSON_TYPE_UTF8)
				{
					out->value_type = BSON_TYPE_UTF8;
					out->value.v_utf8.str = (char *) v + 4;
					out->value.v_utf8.len = (uint32_t) (vs - 5);
				}
				else
					raw_fill_value(doc, len, p, c->type, v, vs, out);
				*found |= 1u << c->act;
				pending--;
			}
			else if (c->act == -2)
				*conflict = true;
			p = v + vs;
		}
		i = (int) (c - sh->e);
	}
	/* the general walk from element i, recording the shape from there */
	recording = sh != NULL;
	while (p < end && (top || pending > 0))
	{
		const uint8_t *key = p + 1;
		size_t		kl = raw_key_len(key, end);
		const uint8_t *v = key + kl + 1;
		int64_t		vs;
		int			act = -1;

		if (v > end)
			break;
		vs = raw_value_size(*p, v, (size_t) (end - v));
		if (vs < 0 || vs > end - v)
			break;
		if (filter & plan_name_bit(kl, *key))
		{
			uint32_t	before = *found;
			bool		had = top && *conflict;

			pending -= plan_hit(fp, l, top, key, kl, v, vs, doc, len, end, found, conflict, vals);
			if (*found != before)
				act = __builtin_ctz(*found ^ before);
			else if (top && *conflict && !had)
				act = -2;
		}
		if (recording && !shape_record(sh, i, p, kl, act))
		{
			sh->n = i;
			recording = false;
		}
		i++;
		p = v + vs;
	}
	if (p < end && (top || pending > 0))
	{
		/* stopped at a malformed element: the shape ends before it */
		if (sh && (recording || sh->n > i))
			sh->n = i;
		return false;
	}
	if (recording)
		sh->n = i;
	if (sh && !top)
		shape_template(sh, doc, len, p == end && recording);
	return true;
}

/* plan_mark: every slot below slot k is missing (ok) or must be looked up (not ok) */
static void
plan_mark(const asp_field_plan *fp, int k, bool ok, asp_field_plan_vals *vals)
{
	const asp_field_plan_level *l = &fp->level[fp->slot[k].level];
	int			j;

	for (j = 0; j < l->nslots; j++)
	{
		int			c = l->slot[j];

		vals->v[c].value_type = BSON_TYPE_EOD;
		vals->ok[c] = ok;
		if (fp->slot[c].level >= 0)
			plan_mark(fp, c, ok, vals);
	}
}

static void plan_fill_level(const asp_field_plan *fp, int k, const uint8_t *doc,
							uint32_t len, const uint8_t *rend, asp_field_plan_vals *vals);

/*
 * plan_descend: the slots below slot k, from its value: the fields of a
 * document; under an array the path maps over the elements (the general
 * lookup does that); under anything else, or nothing, they are missing.
 */
static inline void
plan_descend(const asp_field_plan *fp, int k, const uint8_t *rend, asp_field_plan_vals *vals)
{
	const bson_value_t *v = &vals->v[k];

	if (!vals->ok[k])
		plan_mark(fp, k, false, vals);
	else if (v->value_type == BSON_TYPE_DOCUMENT)
		plan_fill_level(fp, k, v->value.v_doc.data, v->value.v_doc.data_len, rend, vals);
	else if (v->value_type == BSON_TYPE_ARRAY)
		plan_mark(fp, k, false, vals);
	else
		plan_mark(fp, k, true, vals);
}

/* plan_level_done: after the walk of level l: unfound slots, then the levels below */
static inline void
plan_level_done(const asp_field_plan *fp, const asp_field_plan_level *l, uint32_t found,
				bool complete, const uint8_t *rend, asp_field_plan_vals *vals)
{
	int			j;

	for (j = 0; j < l->nslots; j++)
	{
		int			c = l->slot[j];

		if (!(found & (1u << j)))
		{
			/* absent, or not found before a malformed element: the general lookup decides */
			vals->v[c].value_type = BSON_TYPE_EOD;
			vals->ok[c] = complete;
		}
		else
			vals->ok[c] = true;
		if (fp->slot[c].level >= 0)
			plan_descend(fp, c, rend, vals);
	}
}

/*
 * plan_fill_level: the slots below slot k, from the fields of its
 * document; the walk stops once all are found.
 */
static void
plan_fill_level(const asp_field_plan *fp, int k, const uint8_t *doc, uint32_t len,
				const uint8_t *rend, asp_field_plan_vals *vals)
{
	const asp_field_plan_level *l = &fp->level[fp->slot[k].level];
	uint32_t	found;
	bool		complete;

	int			lv = fp->slot[k].level;

	if (len < 5 || doc[len - 1] != 0)
	{
		plan_mark(fp, k, false, vals);
		return;
	}
	if (lv < ASP_SHAPE_LEVELS && shape_template_match(&vals->shape[lv], l, doc, len, rend,
													  &found, vals))
		complete = true;
	else
		complete = plan_walk(fp, l, false, doc, len, rend,
							 lv < ASP_SHAPE_LEVELS ? &vals->shape[lv] : NULL, &found, NULL, vals);
	plan_level_done(fp, l, found, complete, rend, vals);
}

/*
 * doc_template_sub: the sub-document at doc + off (len bytes) matches the
 * template of its level sh (a document of fixed-size values walked to its
 * end): that template's mask (keys, types, length word, final NUL: what
 * plan_fill_level checks) goes into the mask m, its slots into t's fills.
 * False (t unchanged) when it does not match.
 */
static bool
doc_template_sub(const asp_field_plan_level *l, const asp_shape *sh, asp_doc_template *t,
				 uint8_t *m, const uint8_t *doc, uint32_t off, uint32_t len)
{
	const uint8_t *sub = doc + off;
	uint64_t	diff = 0;
	int			i;

	if (sh->tlen != len || len < 8 || t->nfills + sh->tfills > ASP_PLAN_MAX)
		return false;
	for (i = 0; i < (int) ((len + 7) / 8); i++)
	{
		uint64_t	w;

		memcpy(&w, sub + (8 * (uint32_t) i < len - 8 ? 8 * (uint32_t) i : len - 8), 8);
		diff |= (w & sh->tm[i]) ^ sh->tw[i];
	}
	if (diff)
		return false;
	for (i = 0; i < (int) ((len + 7) / 8); i++)
		memcpy(m + off + (8 * (uint32_t) i < len - 8 ? 8 * (uint32_t) i : len - 8), &sh->tm[i], 8);
	for (i = 0; i < sh->tfills; i++)
	{
		int			nf = t->nfills++;

		t->fill[nf].elem = (uint16_t) (off + sh->tfill[i].elem);
		t->fill[nf].value = (uint16_t) (off + sh->tfill[i].value);
		t->fill[nf].size = sh->tfill[i].size;
		t->fill[nf].type = sh->tfill[i].type;
		t->fill[nf].slot = l->slot[sh->tfill[i].j];
	}
	return true;
}

/*
 * doc_template_build: after a complete fill from the top-level doc, whose
 * shape was recorded: its template (see asp_doc_template), or none when
 * the shape does not cover it or a type does not allow one.
 */
static void
doc_template_build(const asp_field_plan *fp, asp_doc_template *t, const uint8_t *doc,
				   uint32_t len, const asp_field_plan_vals *vals)
{
	const asp_shape *sh = &vals->shape[0];
	const asp_field_plan_level *l = &fp->level[0];
	uint8_t		b[ASP_DOC_TEMPLATE],
				m[ASP_DOC_TEMPLATE];
	uint32_t	off = 4;
	int			i;

	t->len = 0;
	t->nfills = 0;
	t->ndescend = 0;
	t->conflict = false;
	if (len > ASP_DOC_TEMPLATE || len < 8)
		return;
	memcpy(b, doc, len);
	memset(m, 0, len);
	memset(m, 0xff, 4);
	for (i = 0; i < sh->n; i++)
	{
		const asp_shape_elem *c = &sh->e[i];
		uint32_t	vs;

		if (off + c->hlen > len - 1)
			return;
		memset(m + off, 0xff, c->hlen);
		if (c->fixed >= 0)
			vs = (uint32_t) c->fixed;
		else if (c->type == BSON_TYPE_UTF8 || c->type == BSON_TYPE_DOCUMENT ||
				 c->type == BSON_TYPE_ARRAY)
		{
			int64_t		n;

			if (off + c->hlen + 4 > len - 1)
				return;
			n = raw_value_size(c->type, doc + off + c->hlen, len - 1 - off - c->hlen);
			if (n < 0)
				return;
			vs = (uint32_t) n;
			/* the length word stays in the template */
			memset(m + off + c->hlen, 0xff, 4);
		}
		else
			return;
		if (off + c->hlen + vs > len - 1)
			return;
		if (c->act >= 0)
		{
			int			k = l->slot[c->act];
			int			lv = fp->slot[k].level;

			if (t->nfills == ASP_PLAN_MAX)
				return;
			t->fill[t->nfills].elem = (uint16_t) off;
			t->fill[t->nfills].value = (uint16_t) (off + c->hlen);
			t->fill[t->nfills].size = (uint16_t) vs;
			t->fill[t->nfills].type = c->type;
			t->fill[t->nfills].slot = (int8_t) k;
			t->nfills++;
			/* a sub-document with slots: in the template if its level has one, else walked */
			if (lv >= 0 && c->type == BSON_TYPE_DOCUMENT &&
				!(lv < ASP_SHAPE_LEVELS && vals->ok[k] &&
				  doc_template_sub(&fp->level[lv], &vals->shape[lv], t, m, doc,
								   off + c->hlen, vs)))
				t->descend[t->ndescend++] = (int8_t) k;
		}
		else if (c->act == -2)
			t->conflict = true;
		off += c->hlen + vs;
	}
	if (off != len - 1)
		return;
	m[len - 1] = 0xff;
	for (i = 0; i < fp->nslots; i++)
		t->ok[i] = vals->ok[i];
	/* words at 0, 8, ...; the last one ends at the document's end (it may overlap) */
	for (i = 0; i < (int) ((len + 7) / 8); i++)
	{
		uint32_t	o = 8 * (uint32_t) i < len - 8 ? 8 * (uint32_t) i : len - 8;

		memcpy(&t->w[i], b + o, 8);
		memcpy(&t->m[i], m + o, 8);
		t->w[i] &= t->m[i];
	}
	t->len = len;
}

/*
 * doc_template_match: doc (len bytes) matches the top-level template t:
 * every slot's value and ok as the walk would give them, and whether it
 * has a reported name.
 */
static inline bool
doc_template_match(const asp_field_plan *fp, const asp_doc_template *t, const uint8_t *doc,
				   uint32_t len, bool *conflict, asp_field_plan_vals *vals)
{
	uint64_t	diff = 0;
	uint32_t	nw = (len + 7) / 8;
	uint32_t	i;

	if (t->len != len)
		return false;
	for (i = 0; i + 1 < nw; i++)
	{
		uint64_t	w;

		memcpy(&w, doc + 8 * i, 8);
		diff |= (w & t->m[i]) ^ t->w[i];
	}
	{
		uint64_t	w;

		memcpy(&w, doc + len - 8, 8);
		diff |= (w & t->m[nw - 1]) ^ t->w[nw - 1];
	}
	if (diff)
		return false;
	for (i = 0; i < (uint32_t) fp->nslots; i++)
	{
		vals->ok[i] = t->ok[i];
		vals->v[i].value_type = BSON_TYPE_EOD;
	}
	for (i = 0; i < (uint32_t) t->nfills; i++)
	{
		const uint8_t *v = doc + t->fill[i].value;
		bson_value_t *out = &vals->v[t->fill[i].slot];

		if (t->fill[i].type == BSON_TYPE_INT32)
		{
			int32_t		i32;

			memcpy(&i32, v, 4);
			out->value_type = BSON_TYPE_INT32;
			out->value.v_int32 = (int32_t) BSON_UINT32_FROM_LE(i32);
		}
		else if (t->fill[i].type == BSON_TYPE_UTF8)
		{
			out->value_type = BSON_TYPE_UTF8;
			out->value.v_utf8.str = (char *) v + 4;
			out->value.v_utf8.len = (uint32_t) t->fill[i].size - 5;
		}
		else
			raw_fill_value(doc, len, doc + t->fill[i].elem, t->fill[i].type, v,
						   t->fill[i].size, out);
	}
	for (i = 0; i < (uint32_t) t->ndescend; i++)
		plan_descend(fp, t->descend[i], doc + len - 1, vals);
	*conflict = t->conflict;
	return true;
}

/* asp_field_plan_fill: walk the top level once: validity, conflicts, the plan's values */
bool
asp_field_plan_fill(const asp_field_plan *fp, const uint8_t *doc, uint32_t len,
					bool *conflict, asp_field_plan_vals *vals)
{
	const asp_field_plan_level *l = &fp->level[0];
	uint32_t	found;

	*conflict = false;
	if (len < 5 || doc[len - 1] != 0)
		return false;
	if (doc_template_match(fp, &vals->top, doc, len, conflict, vals))
		return true;
	if (!plan_walk(fp, l, true, doc, len, doc + len - 1, &vals->shape[0], &found, conflict, vals))
	{
		vals->top.len = 0;
		return false;
	}
	plan_level_done(fp, l, found, true, doc + len - 1, vals);
	doc_template_build(fp, &vals->top, doc, len, vals);
	return true;
}
