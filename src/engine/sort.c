/*-------------------------------------------------------------------------
 *
 * sort.c
 *	  Compiled sort specifications and MongoDB's sort-key derivation and
 *	  comparison (see sort.h).
 *
 * Key derivation follows MongoDB's SortKeyGenerator, which uses the B-tree
 * index key generator: walk every sort path through the document; the
 * first array met (all paths must meet the same one) is expanded element
 * by element, recursively; each combination yields a candidate key, and
 * the candidate that sorts first under the sort pattern is the key.
 * Instead of materialising the set of candidates we keep the best one.
 *
 *-------------------------------------------------------------------------
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "sort.h"
#include "value.h"

/* asp_sort_free: free a compiled sort specification */
void
asp_sort_free(asp_sort_spec *s)
{
	int			i;

	if (s == NULL)
		return;
	if (s->paths)
		for (i = 0; i < s->nkeys; i++)
			asp_path_destroy(&s->paths[i]);
	free(s->paths);
	free(s->dirs);
	free(s);
}

/* sort_direction: the direction a sort value stands for, or 0 if invalid */
static int
sort_direction(const bson_value_t *v)
{
	double		d;

	switch (v->value_type)
	{
		case BSON_TYPE_INT32:
		case BSON_TYPE_INT64:
		case BSON_TYPE_DOUBLE:
		case BSON_TYPE_DECIMAL128:
			d = asp_value_as_double(v);
			if (d == 1.0)
				return 1;
			if (d == -1.0)
				return -1;
			return 0;
		default:
			return 0;
	}
}

/* is_meta_doc: {$meta: ...} */
static bool
is_meta_doc(const bson_value_t *v)
{
	bson_iter_t it;

	return v->value_type == BSON_TYPE_DOCUMENT &&
		bson_iter_init_from_data(&it, v->value.v_doc.data, v->value.v_doc.data_len) &&
		bson_iter_next(&it) && strcmp(bson_iter_key(&it), "$meta") == 0;
}

/* asp_sort_compile: compile {"a": 1, "b.c": -1} */
asp_sort_spec *
asp_sort_compile(const uint8_t *spec, uint32_t len, asp_error *err)
{
	bson_iter_t it;
	asp_sort_spec *s;
	int			n = 0,
				i;

	if (!bson_iter_init_from_data(&it, spec, len))
	{
		asp_error_set(err, ASP_ERR_INVALID, "sort specification is not a valid document");
		return NULL;
	}
	while (bson_iter_next(&it))
		n++;
	if (n == 0)
	{
		asp_error_set(err, ASP_ERR_INVALID, "sort specification must have at least one sort key");
		asp_error_hint(err, "Name the fields to sort by, e.g. {\"ts\": 1} or {\"score\": -1, \"ts\": 1}.");
		return NULL;
	}
	if (n > ASP_SORT_MAX_KEYS)
	{
		asp_error_set(err, ASP_ERR_INVALID,
					  "sort specification has %d keys; at most %d are allowed",
					  n, ASP_SORT_MAX_KEYS);
		return NULL;
	}
	s = calloc(1, sizeof(asp_sort_spec));
	if (s == NULL)
		abort();
	s->paths = calloc(n, sizeof(asp_path));
	s->dirs = calloc(n, sizeof(int));
	if (s->paths == NULL || s->dirs == NULL)
		abort();

	bson_iter_init_from_data(&it, spec, len);
	while (bson_iter_next(&it))
	{
		const char *key = bson_iter_key(&it);
		uint32_t	keylen = bson_iter_key_len(&it);
		const bson_value_t *v = bson_iter_value(&it);
		int			dir;

		if (is_meta_doc(v))
		{
			asp_error_set(err, ASP_ERR_UNSUPPORTED,
						  "sorting by {$meta: ...} (field '%s') is not supported in stream processing",
						  key);
			asp_error_hint(err, "Stream documents carry no search or text score; sort by a document field with 1 or -1.");
			asp_sort_free(s);
			return NULL;
		}
		dir = sort_direction(v);
		if (dir == 0)
		{
			char		buf[64];

			asp_value_describe(v, buf, sizeof(buf));
			asp_error_set(err, ASP_ERR_INVALID,
						  "sort key ordering must be 1 (for ascending) or -1 (for descending), found %s for field '%s'",
						  buf, key);
			asp_sort_free(s);
			return NULL;
		}
		if (!asp_path_init(&s->paths[s->nkeys], key, keylen, "sort field", err))
		{
			asp_sort_free(s);
			return NULL;
		}
		s->dirs[s->nkeys] = dir;
		s->nkeys++;
		if (s->paths[s->nkeys - 1].nparts > ASP_SORT_MAX_PATH_PARTS)
		{
			asp_error_set(err, ASP_ERR_INVALID,
						  "sort field '%s' has too many components (at most %d)",
						  key, ASP_SORT_MAX_PATH_PARTS);
			asp_sort_free(s);
			return NULL;
		}
		for (i = 0; i < s->nkeys - 1; i++)
		{
			if (strcmp(s->paths[i].dotted, s->paths[s->nkeys - 1].dotted) == 0)
			{
				asp_error_set(err, ASP_ERR_INVALID,
							  "sort specification names field '%s' more than once", key);
				asp_sort_free(s);
				return NULL;
			}
		}
	}
	return s;
}

/* asp_sort_key_compare: compare two keys under the sort pattern */
int
asp_sort_key_compare(const asp_sort_spec *s, const bson_value_t *a,
					 const bson_value_t *b)
{
	int			i;

	for (i = 0; i < s->nkeys; i++)
	{
		int			c = asp_value_compare(&a[i], &b[i]);

		if (c != 0)
			return s->dirs[i] < 0 ? -c : c;
	}
	return 0;
}

/* ---------- key derivation from documents ---------- */

#define PATH_DONE (-1)

/* per-field state of the walk at one array level: MongoDB's PositionalPathInfo */
typedef struct sk_positional
{
	bool		active;			/* the next component indexes this array by position */
	bool		indexed_is_array;	/* the positionally indexed element is an array */
	int			remaining;		/* path component after the positional lookup */
	bson_value_t dotted;		/* value found by the positional lookup (EOD if none) */
} sk_positional;

typedef struct sk_walk
{
	const asp_sort_spec *s;
	uint64_t	mask;			/* fields being derived */
	bool		have_best;
	bool		failed;
	const char *fail_a;			/* fields of the parallel arrays, for the message */
	const char *fail_b;
	bool		ambiguous;
	bson_value_t best[ASP_SORT_MAX_KEYS];
} sk_walk;

/*
 * extract_along: MongoDB's extractElementAtPathOrArrayAlongPath.  Follows
 * path components from *pp through nested documents; stops at an array
 * (returned, *pp left after it) or at the end of the path.  A missing
 * field or a scalar before the end gives EOD.
 */
static void
extract_along(const asp_path *p, int *pp, const uint8_t *obj, uint32_t len,
			  bson_value_t *out)
{
	for (;;)
	{
		const asp_path_part *part = &p->parts[*pp];
		bson_value_t sub;

		if (obj == NULL || !asp_doc_get(obj, len, part->name, part->len, &sub))
		{
			(*pp)++;
			asp_value_set_missing(out);
			return;
		}
		(*pp)++;
		if (sub.value_type == BSON_TYPE_ARRAY || *pp == p->nparts)
		{
			*out = sub;
			return;
		}
		if (sub.value_type == BSON_TYPE_DOCUMENT)
		{
			obj = sub.value.v_doc.data;
			len = sub.value.v_doc.data_len;
			continue;
		}
		asp_value_set_missing(out);
		return;
	}
}

/* tuple_less: is candidate a before b on the masked fields? */
static bool
tuple_less(const sk_walk *w, const bson_value_t *a, const bson_value_t *b)
{
	int			i;

	for (i = 0; i < w->s->nkeys; i++)
	{
		int			c;

		if (!(w->mask & ((uint64_t) 1 << i)))
			continue;
		c = asp_value_compare(&a[i], &b[i]);
		if (c != 0)
			return (w->s->dirs[i] < 0 ? -c : c) < 0;
	}
	return false;
}

/* emit: one candidate key; keep it if it sorts before the best so far */
static void
emit(sk_walk *w, const bson_value_t *fixed)
{
	if (!w->have_best || tuple_less(w, fixed, w->best))
	{
		memcpy(w->best, fixed, sizeof(bson_value_t) * w->s->nkeys);
		w->have_best = true;
	}
}

/*
 * walk: MongoDB's BtreeKeyGenerator::_getKeysWithArray for the masked
 * fields.  obj may be NULL (an empty object).  pos[i] is the next path
 * component of field i, nparts when the field ended on an array whose
 * element is its value, or PATH_DONE when fixed[i] holds its value.
 */
static void
walk(sk_walk *w, const uint8_t *obj, uint32_t objlen, int *pos_in,
	 const bson_value_t *fixed_in, const sk_positional *posinfo)
{
	const asp_sort_spec *s = w->s;
	int			pos[ASP_SORT_MAX_KEYS];
	bson_value_t fixed[ASP_SORT_MAX_KEYS];
	bson_value_t arr;
	bool		have_arr = false;
	bool		may_expand = true;
	uint64_t	arr_fields = 0;
	int			arr_field = -1;
	int			i;

	if (w->failed)
		return;
	memcpy(pos, pos_in, sizeof(int) * s->nkeys);
	memcpy(fixed, fixed_in, sizeof(bson_value_t) * s->nkeys);
	asp_value_set_missing(&arr);

	for (i = 0; i < s->nkeys; i++)
	{
		const asp_path *p = &s->paths[i];
		bson_value_t e;
		bool		nested = false;

		if (!(w->mask & ((uint64_t) 1 << i)) || pos[i] == PATH_DONE || pos[i] >= p->nparts)
			continue;
		/* _extractNextElement */
		{
			const asp_path_part *part = &p->parts[pos[i]];
			bson_value_t probe;
			bool		have_obj_field = obj != NULL &&
				asp_doc_get(obj, objlen, part->name, part->len, &probe);

			if (have_obj_field && posinfo != NULL && posinfo[i].active)
			{
				w->failed = true;
				w->ambiguous = true;
				w->fail_a = p->dotted;
				return;
			}
			if (have_obj_field)
				extract_along(p, &pos[i], obj, objlen, &e);
			else if (posinfo != NULL && posinfo[i].active)
			{
				nested = posinfo[i].indexed_is_array;
				pos[i] = posinfo[i].remaining;
				e = posinfo[i].dotted;
			}
			else
				asp_value_set_missing(&e);
		}
		if (e.value_type == BSON_TYPE_EOD)
		{
			asp_value_set_null(&fixed[i]);
			pos[i] = PATH_DONE;
		}
		else if (e.value_type == BSON_TYPE_ARRAY)
		{
			arr_fields |= (uint64_t) 1 << i;
			if (!have_arr)
			{
				arr = e;
				have_arr = true;
				arr_field = i;
			}
			else if (e.value.v_doc.data != arr.value.v_doc.data)
			{
				w->failed = true;
				w->fail_a = s->paths[arr_field].dotted;
				w->fail_b = p->dotted;
				return;
			}
			if (nested)
				may_expand = false;
		}
		else
		{
			fixed[i] = e;
			pos[i] = PATH_DONE;
		}
	}

	if (!have_arr)
	{
		emit(w, fixed);
		return;
	}

	if (arr.value.v_doc.data_len <= 5)
	{
		/* an empty array: fields ending on it are undefined */
		for (i = 0; i < s->nkeys; i++)
		{
			if ((arr_fields & ((uint64_t) 1 << i)) && pos[i] == s->paths[i].nparts)
			{
				fixed[i].value_type = BSON_TYPE_UNDEFINED;
				pos[i] = PATH_DONE;
			}
		}
		walk(w, NULL, 0, pos, fixed, NULL);
		return;
	}

	{
		sk_positional sub[ASP_SORT_MAX_KEYS];
		bson_iter_t it;

		memset(sub, 0, sizeof(sk_positional) * s->nkeys);
		for (i = 0; i < s->nkeys; i++)
		{
			const asp_path *p = &s->paths[i];
			bson_value_t idx_elt;
			const asp_path_part *part;

			if (!(arr_fields & ((uint64_t) 1 << i)) || pos[i] == PATH_DONE ||
				pos[i] >= p->nparts)
				continue;
			part = &p->parts[pos[i]];
			if (!asp_doc_get(arr.value.v_doc.data, arr.value.v_doc.data_len,
							 part->name, part->len, &idx_elt))
				continue;
			/* indexing a particular element by position */
			sub[i].active = true;
			sub[i].indexed_is_array = idx_elt.value_type == BSON_TYPE_ARRAY;
			sub[i].remaining = pos[i];
			extract_along(p, &sub[i].remaining, arr.value.v_doc.data,
						  arr.value.v_doc.data_len, &sub[i].dotted);
		}

		if (!bson_iter_init_from_data(&it, arr.value.v_doc.data, arr.value.v_doc.data_len))
		{
			emit(w, fixed);
			return;
		}
		while (bson_iter_next(&it) && !w->failed)
		{
			const bson_value_t *el = bson_iter_value(&it);
			int			epos[ASP_SORT_MAX_KEYS];
			bson_value_t efixed[ASP_SORT_MAX_KEYS];

			memcpy(epos, pos, sizeof(int) * s->nkeys);
			memcpy(efixed, fixed, sizeof(bson_value_t) * s->nkeys);
			for (i = 0; i < s->nkeys; i++)
			{
				if ((arr_fields & ((uint64_t) 1 << i)) && pos[i] == s->paths[i].nparts)
				{
					efixed[i] = may_expand ? *el : arr;
					epos[i] = PATH_DONE;
				}
			}
			if (el->value_type == BSON_TYPE_DOCUMENT)
				walk(w, el->value.v_doc.data, el->value.v_doc.data_len, epos, efixed, sub);
			else
				walk(w, NULL, 0, epos, efixed, sub);
		}
	}
}

/* derive: run the walk for the masked fields of a document */
static void
derive(sk_walk *w, const asp_sort_spec *s, uint64_t mask, const uint8_t *doc,
	   uint32_t len)
{
	int			pos[ASP_SORT_MAX_KEYS];
	bson_value_t fixed[ASP_SORT_MAX_KEYS];
	int			i;

	memset(w, 0, sizeof(*w));
	w->s = s;
	w->mask = mask;
	for (i = 0; i < s->nkeys; i++)
	{
		pos[i] = 0;
		asp_value_set_null(&fixed[i]);
		asp_value_set_null(&w->best[i]);
	}
	walk(w, doc, len, pos, fixed, NULL);
}

/* asp_sort_key_extract: the sort key of a document */
bool
asp_sort_key_extract(const asp_sort_spec *s, const uint8_t *doc, uint32_t len,
					 bson_value_t *keys, asp_error *err)
{
	sk_walk		w;
	uint64_t	all = s->nkeys >= 64 ? ~(uint64_t) 0 : (((uint64_t) 1 << s->nkeys) - 1);

	derive(&w, s, all, doc, len);
	if (w.failed)
	{
		if (w.ambiguous)
			asp_error_set(err, ASP_ERR_RUNTIME,
						  "ambiguous field name found in array for sort field '%s' (do not use numeric field names in embedded elements in an array)",
						  w.fail_a);
		else
		{
			asp_error_set(err, ASP_ERR_RUNTIME, "cannot sort with keys that are parallel arrays");
			asp_error_detail(err, "Sort fields '%s' and '%s' both run through arrays.",
							 w.fail_a, w.fail_b ? w.fail_b : w.fail_a);
		}
		return false;
	}
	memcpy(keys, w.best, sizeof(bson_value_t) * s->nkeys);
	return true;
}

/* key_lenient: like asp_sort_key_extract, each field derived on its own */
static void
key_lenient(const asp_sort_spec *s, const uint8_t *doc, uint32_t len, bson_value_t *keys)
{
	int			i;

	for (i = 0; i < s->nkeys; i++)
	{
		sk_walk		w;

		derive(&w, s, (uint64_t) 1 << i, doc, len);
		if (w.failed)
			asp_value_set_null(&keys[i]);	/* ambiguous positional path */
		else
			keys[i] = w.best[i];
	}
}

/* asp_sort_compare: compare two documents in sort order */
int
asp_sort_compare(const asp_sort_spec *s, const uint8_t *doca, uint32_t lena,
				 const uint8_t *docb, uint32_t lenb, asp_arena *arena)
{
	bson_value_t ka[ASP_SORT_MAX_KEYS];
	bson_value_t kb[ASP_SORT_MAX_KEYS];

	(void) arena;
	if (!asp_sort_key_extract(s, doca, lena, ka, NULL))
		key_lenient(s, doca, lena, ka);
	if (!asp_sort_key_extract(s, docb, lenb, kb, NULL))
		key_lenient(s, docb, lenb, kb);
	return asp_sort_key_compare(s, ka, kb);
}

/* ---------- keys from evaluated values ($topN sortBy) ---------- */

/* asp_sort_key_from_values: key from values of "$<field>" expressions */
bool
asp_sort_key_from_values(const asp_sort_spec *s, const bson_value_t *vals,
						 bson_value_t *keys, asp_error *err)
{
	int			i;
	int			arr_field = -1;

	for (i = 0; i < s->nkeys; i++)
	{
		const bson_value_t *v = &vals[i];

		if (v->value_type == BSON_TYPE_EOD)
		{
			asp_value_set_null(&keys[i]);
			continue;
		}
		if (v->value_type != BSON_TYPE_ARRAY)
		{
			keys[i] = *v;
			continue;
		}
		if (arr_field >= 0)
		{
			asp_error_set(err, ASP_ERR_RUNTIME, "cannot sort with keys that are parallel arrays");
			asp_error_detail(err, "Sort fields '%s' and '%s' are both arrays.",
							 s->paths[arr_field].dotted, s->paths[i].dotted);
			return false;
		}
		arr_field = i;
		{
			bson_iter_t it;
			bool		any = false;

			keys[i].value_type = BSON_TYPE_UNDEFINED;	/* empty array */
			if (!bson_iter_init_from_data(&it, v->value.v_doc.data, v->value.v_doc.data_len))
				continue;
			while (bson_iter_next(&it))
			{
				const bson_value_t *el = bson_iter_value(&it);
				int			c;

				if (!any)
				{
					keys[i] = *el;
					any = true;
					continue;
				}
				c = asp_value_compare(el, &keys[i]);
				if ((s->dirs[i] > 0 && c < 0) || (s->dirs[i] < 0 && c > 0))
					keys[i] = *el;
			}
		}
	}
	return true;
}
