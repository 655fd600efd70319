/*-------------------------------------------------------------------------
 *
 * path.c
 *	  Dotted field paths, compiled once, looked up on BSON.
 *
 *-------------------------------------------------------------------------
 */
#include <stdlib.h>
#include <string.h>

#include "path.h"
#include "expr.h"

/* asp_path_init: split a dotted path into segments, validating each */
bool
asp_path_init(asp_path *p, const char *s, size_t len, const char *what,
			  asp_error *err)
{
	size_t		i,
				start,
				n = 1;
	char	   *buf;

	memset(p, 0, sizeof(*p));
	if (len == 0)
		return asp_error_set(err, ASP_ERR_INVALID, "%s must not be empty", what);
	if (memchr(s, '\0', len) != NULL)
		return asp_error_set(err, ASP_ERR_INVALID, "%s must not contain a NUL byte", what);
	for (i = 0; i < len; i++)
		if (s[i] == '.')
			n++;
	/* one block: parts array, then the segment strings, then the dotted copy */
	buf = malloc(n * sizeof(asp_path_part) + (len + 1) * 2);
	if (buf == NULL)
		abort();
	p->parts = (asp_path_part *) buf;
	p->nparts = (int) n;
	p->dotted = buf + n * sizeof(asp_path_part) + len + 1;
	memcpy(p->dotted, s, len);
	p->dotted[len] = '\0';
	{
		char	   *seg = buf + n * sizeof(asp_path_part);
		int			k = 0;

		memcpy(seg, s, len);
		seg[len] = '\0';
		start = 0;
		for (i = 0; i <= len; i++)
		{
			if (i == len || seg[i] == '.')
			{
				asp_path_part *pp = &p->parts[k++];
				size_t		j;

				seg[i] = '\0';
				pp->name = seg + start;
				pp->len = (uint32_t) (i - start);
				if (pp->len == 0)
				{
					asp_error_set(err, ASP_ERR_INVALID,
								  "%s '%s' must not contain an empty field name", what, p->dotted);
					asp_error_hint(err, "Remove the doubled, leading or trailing dot.");
					asp_path_destroy(p);
					return false;
				}
				if (pp->name[0] == '$')
				{
					asp_error_set(err, ASP_ERR_INVALID,
								  "%s '%s': field names may not start with '$'", what, p->dotted);
					asp_path_destroy(p);
					return false;
				}
				pp->index = -1;
				if (pp->len <= 18)
				{
					int64_t		v = 0;

					for (j = 0; j < pp->len && pp->name[j] >= '0' && pp->name[j] <= '9'; j++)
						v = v * 10 + (pp->name[j] - '0');
					if (j == pp->len && !(pp->len > 1 && pp->name[0] == '0'))
						pp->index = v;
				}
				start = i + 1;
			}
		}
	}
	return true;
}

/* asp_path_destroy: free a compiled path */
void
asp_path_destroy(asp_path *p)
{
	free(p->parts);
	p->parts = NULL;
	p->dotted = NULL;
	p->nparts = 0;
}

/* find one key in raw BSON */
static inline bool
doc_find(const uint8_t *doc, uint32_t len, const asp_path_part *part, bson_value_t *out)
{
	return asp_doc_get(doc, len, part->name, part->len, out);
}

/*
 * path_map_array: an array met at part `from`: map the rest of the path
 * over its elements.  Elements that are documents contribute their value
 * (missing ones are skipped); nested arrays are descended the same way;
 * scalars are skipped.  This is MongoDB's ExpressionFieldPath behaviour.
 */
static void
path_map_array(const asp_path *p, int from, const bson_value_t *arr,
			   asp_arena *arena, bson_value_t *out)
{
	bson_iter_t it;
	bson_t		b;
	uint32_t	i = 0;

	bson_init(&b);
	if (bson_iter_init_from_data(&it, arr->value.v_doc.data, arr->value.v_doc.data_len))
	{
		while (bson_iter_next(&it))
		{
			const bson_value_t *ev = bson_iter_value(&it);
			bson_value_t r;
			char		kbuf[16];
			const char *key;
			size_t		klen;

			if (ev->value_type == BSON_TYPE_DOCUMENT)
				asp_path_get(p, from, ev->value.v_doc.data, ev->value.v_doc.data_len, arena, &r);
			else if (ev->value_type == BSON_TYPE_ARRAY)
				path_map_array(p, from, ev, arena, &r);
			else
				continue;
			if (r.value_type == BSON_TYPE_EOD)
				continue;
			key = asp_array_key(i++, kbuf, sizeof(kbuf), &klen);
			asp_bson_append_value(&b, key, (int) klen, &r);
		}
	}
	asp_arena_take_bson(arena, &b, BSON_TYPE_ARRAY, out);
}

/* asp_path_get: aggregation-expression lookup of parts[from..] */
void
asp_path_get(const asp_path *p, int from, const uint8_t *doc, uint32_t len,
			 asp_arena *arena, bson_value_t *out)
{
	int			i;

	for (i = from; i < p->nparts; i++)
	{
		bson_value_t v;

		if (!doc_find(doc, len, &p->parts[i], &v))
		{
			asp_value_set_missing(out);
			return;
		}
		if (i == p->nparts - 1)
		{
			*out = v;
			return;
		}
		if (v.value_type == BSON_TYPE_DOCUMENT)
		{
			doc = v.value.v_doc.data;
			len = v.value.v_doc.data_len;
			continue;
		}
		if (v.value_type == BSON_TYPE_ARRAY)
		{
			path_map_array(p, i + 1, &v, arena, out);
			return;
		}
		asp_value_set_missing(out);
		return;
	}
	/* from == nparts: the document itself */
	asp_value_set_doc(out, BSON_TYPE_DOCUMENT, doc, len);
}

/* asp_path_get_value: lookup starting from any value */
void
asp_path_get_value(const asp_path *p, int from, const bson_value_t *v,
				   asp_arena *arena, bson_value_t *out)
{
	if (from >= p->nparts)
	{
		*out = *v;
		return;
	}
	if (v->value_type == BSON_TYPE_DOCUMENT)
		asp_path_get(p, from, v->value.v_doc.data, v->value.v_doc.data_len, arena, out);
	else if (v->value_type == BSON_TYPE_ARRAY)
		path_map_array(p, from, v, arena, out);
	else
		asp_value_set_missing(out);
}
