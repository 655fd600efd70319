/*-------------------------------------------------------------------------
 *
 * test_accum_merge.c
 *	  TAP tests of accumulator merges and checkpoints: for every
 *	  accumulator, on random inputs, merging partial states of a random
 *	  split (two-way, three-way, with empty states) gives what adding all
 *	  documents to one state gives, and serialize/deserialize in the
 *	  middle of the input is exact and resumable.  The N family is also run
 *	  over thousands of documents against a brute-force reference.
 *
 *-------------------------------------------------------------------------
 */
#include "accum_util.h"

/* ---------- randomized merge and checkpoint tests ---------- */

/*
 * values_close: equal, or doubles/decimals within a relative 1e-9 or an
 * absolute abs_tol (sums of large values of both signs cancel, and
 * MongoDB's double-double sum is only accurate relative to the inputs)
 */
static bool
values_close(const bson_value_t *a, const bson_value_t *b, double abs_tol)
{
	if (a->value_type != b->value_type)
		return false;
	if (asp_value_compare(a, b) == 0)
	{
		if (a->value_type == BSON_TYPE_DOCUMENT || a->value_type == BSON_TYPE_ARRAY)
		{
			/* equal by comparison; check element types too */
			bson_iter_t ia,
						ib;

			bson_iter_init_from_data(&ia, a->value.v_doc.data, a->value.v_doc.data_len);
			bson_iter_init_from_data(&ib, b->value.v_doc.data, b->value.v_doc.data_len);
			while (bson_iter_next(&ia))
			{
				if (!bson_iter_next(&ib) || !values_close(bson_iter_value(&ia), bson_iter_value(&ib), abs_tol))
					return false;
			}
			return !bson_iter_next(&ib);
		}
		return true;
	}
	if (a->value_type == BSON_TYPE_DOUBLE || a->value_type == BSON_TYPE_DECIMAL128)
	{
		double		x = asp_value_as_double(a);
		double		y = asp_value_as_double(b);

		return fabs(x - y) <= 1e-9 * fmax(fabs(x), fabs(y)) || fabs(x - y) <= abs_tol;
	}
	if (a->value_type == BSON_TYPE_DOCUMENT || a->value_type == BSON_TYPE_ARRAY)
	{
		bson_iter_t ia,
					ib;

		bson_iter_init_from_data(&ia, a->value.v_doc.data, a->value.v_doc.data_len);
		bson_iter_init_from_data(&ib, b->value.v_doc.data, b->value.v_doc.data_len);
		while (bson_iter_next(&ia))
		{
			if (!bson_iter_next(&ib) || strcmp(bson_iter_key(&ia), bson_iter_key(&ib)) != 0 ||
				!values_close(bson_iter_value(&ia), bson_iter_value(&ib), abs_tol))
				return false;
		}
		return !bson_iter_next(&ib);
	}
	return false;
}

/* results_close: values_close on the "r" fields of two results */
static bool
results_close(const bson_t *a, const bson_t *b, double abs_tol)
{
	bson_iter_t ia,
				ib;

	if (a == NULL || b == NULL)
		return false;
	if (!bson_iter_init_find(&ia, a, "r") || !bson_iter_init_find(&ib, b, "r"))
		return false;
	return values_close(bson_iter_value(&ia), bson_iter_value(&ib), abs_tol);
}

static bool random_ints_only = false;

/* random_value: JSON of a random field value (NULL: leave the field out) */
static const char *
random_value(char *buf, size_t len)
{
	if (random_ints_only)
	{
		switch (rand() % 4)
		{
			case 0:
				snprintf(buf, len, "%d", rand() % 11 - 5);
				return buf;
			case 1:
				snprintf(buf, len, "%d", (rand() % 2 ? 1 : -1) * (2147483000 + rand() % 647));
				return buf;
			case 2:
				snprintf(buf, len, "{\"$numberLong\": \"%lld\"}",
						 (long long) (rand() % 2 ? 1 : -1) * (4611686018427387000LL + rand() % 1000));
				return buf;
			default:
				return rand() % 2 ? NULL : "\"s\"";
		}
	}
	switch (rand() % 16)
	{
		case 0:
			return NULL;
		case 1:
			return "null";
		case 2:
		case 3:
			snprintf(buf, len, "%d", rand() % 11 - 5);
			return buf;
		case 4:
			snprintf(buf, len, "%d", (rand() % 2 ? 1 : -1) * (2147483000 + rand() % 647));
			return buf;
		case 5:
			snprintf(buf, len, "{\"$numberLong\": \"%lld\"}",
					 (long long) (rand() % 2 ? 1 : -1) * (9223372036854775000LL + rand() % 807));
			return buf;
		case 6:
			snprintf(buf, len, "{\"$numberLong\": \"%d\"}", rand() % 7 - 3);
			return buf;
		case 7:
		case 8:
			snprintf(buf, len, "%d.%d", rand() % 200 - 100, rand() % 1000);
			return buf;
		case 9:
			snprintf(buf, len, "{\"$numberDecimal\": \"%d.%02d\"}", rand() % 20 - 10, rand() % 100);
			return buf;
		case 10:
			snprintf(buf, len, "\"%c\"", 'a' + rand() % 4);
			return buf;
		case 11:
			return rand() % 2 ? "true" : "false";
		case 12:
			snprintf(buf, len, "{\"k\": %d}", rand() % 3);
			return buf;
		case 13:
			snprintf(buf, len, "[%d, \"%c\"]", rand() % 3, 'a' + rand() % 2);
			return buf;
		case 14:
			return rand() % 8 ? "1e300" : "{\"$numberDouble\": \"Infinity\"}";
		default:
			snprintf(buf, len, "%d.5", rand() % 4);
			return buf;
	}
}

/* random_docs: JSON array of n documents with fields x, s (ties), t */
static char *
random_docs(int n)
{
	size_t		cap = (size_t) n * 160 + 16;
	char	   *json = malloc(cap);
	size_t		o = 0;
	int			i;

	o += (size_t) snprintf(json + o, cap - o, "[");
	for (i = 0; i < n; i++)
	{
		char		vb[96];
		const char *v = random_value(vb, sizeof(vb));

		o += (size_t) snprintf(json + o, cap - o, "%s{\"i\": %d, \"s\": %d, \"t\": \"%c\"", i ? ", " : "", i,
							   rand() % 4, 'a' + rand() % 3);
		if (v)
			o += (size_t) snprintf(json + o, cap - o, ", \"x\": %s", v);
		o += (size_t) snprintf(json + o, cap - o, "}");
	}
	snprintf(json + o, cap - o, "]");
	return json;
}

/* roundtrip: serialize a state and deserialize it into a new one */
static void *
roundtrip(runner *r, const void *st, bool *same_bytes)
{
	bson_t	   *b1 = bson_new();
	bson_t	   *b2 = bson_new();
	bson_iter_t it;
	void	   *copy = state_new(r);
	asp_error	err;

	r->a.def->serialize(&r->a, st, b1, "s");
	bson_iter_init_find(&it, b1, "s");
	asp_error_init(&err);
	if (!r->a.def->deserialize(&r->a, copy, bson_iter_value(&it), &err))
	{
		diag("deserialize failed: %s", err.message);
		*same_bytes = false;
	}
	else
	{
		r->a.def->serialize(&r->a, copy, b2, "s");
		*same_bytes = b1->len == b2->len && memcmp(bson_get_data(b1), bson_get_data(b2), b1->len) == 0;
	}
	bson_destroy(b1);
	bson_destroy(b2);
	return copy;
}

/*
 * check_random: for one accumulator, on random document sets: two-way
 * and three-way splits merged equal sequential adds; merging empty states
 * changes nothing; a checkpoint round trip in the middle of the input
 * continues to the same result.  Doubles are compared within 1e-12 of the
 * inputs' magnitude unless exact.
 */
static void
check_random(const char *spec, int trials, bool exact)
{
	runner		r;
	int			t;
	int			bad_merge = 0,
				bad_three = 0,
				bad_empty = 0,
				bad_ckpt = 0,
				bad_bytes = 0;

	if (!runner_init(&r, spec))
	{
		ok(0, "compile %s", spec);
		return;
	}
	for (t = 0; t < trials; t++)
	{
		int			n = rand() % 25;
		char	   *json = random_docs(n);
		docs		ds = parse_docs(json);
		void	   *seq = state_new(&r);
		bson_t	   *want;
		int			k = n ? rand() % (n + 1) : 0;
		int			k2 = k + (n - k ? rand() % (n - k + 1) : 0);
		double		tol = 0.0;
		int			i;

		/* tolerance for sums: 1e-12 of the sum of the magnitudes of the inputs */
		for (i = 0; i < n; i++)
		{
			bson_iter_t xi;

			if (bson_iter_init_find(&xi, ds.d[i], "x") && asp_value_is_number(bson_iter_value(&xi)) &&
				isfinite(asp_value_as_double(bson_iter_value(&xi))))
				tol += fabs(asp_value_as_double(bson_iter_value(&xi)));
		}
		tol *= exact ? 0.0 : 1e-12;

		if (!add_range(&r, seq, &ds, 0, n))
		{
			/* a runtime error (e.g. parallel arrays): not a merge question */
			state_free(&r, seq);
			free_docs(&ds);
			free(json);
			continue;
		}
		want = result_doc(&r, seq);

		/* two-way split */
		{
			void	   *a = state_new(&r);
			void	   *b = state_new(&r);
			bson_t	   *got;

			add_range(&r, a, &ds, 0, k);
			add_range(&r, b, &ds, k, n);
			r.a.def->merge(&r.a, a, b, &r.err);
			got = result_doc(&r, a);
			if (!results_close(want, got, tol))
			{
				char	   *w = bson_as_canonical_extended_json(want, NULL);
				char	   *g = got ? bson_as_canonical_extended_json(got, NULL) : NULL;

				if (bad_merge++ == 0)
					diag("%s split at %d of %s: merged %s, sequential %s", spec, k, json, g, w);
				bson_free(w);
				bson_free(g);
			}
			if (got)
				bson_destroy(got);
			state_free(&r, a);
			state_free(&r, b);
		}
		/* three-way split, merged right to left: a + (b + c) */
		{
			void	   *a = state_new(&r);
			void	   *b = state_new(&r);
			void	   *c = state_new(&r);
			bson_t	   *got;

			add_range(&r, a, &ds, 0, k);
			add_range(&r, b, &ds, k, k2);
			add_range(&r, c, &ds, k2, n);
			r.a.def->merge(&r.a, b, c, &r.err);
			r.a.def->merge(&r.a, a, b, &r.err);
			got = result_doc(&r, a);
			if (!results_close(want, got, tol) && bad_three++ == 0)
				diag("%s three-way split %d/%d differs", spec, k, k2);
			if (got)
				bson_destroy(got);
			state_free(&r, a);
			state_free(&r, b);
			state_free(&r, c);
		}
		/* empty states on either side */
		{
			void	   *e1 = state_new(&r);
			void	   *e2 = state_new(&r);
			void	   *full = state_new(&r);
			bson_t	   *g1,
					   *g2;

			add_range(&r, full, &ds, 0, n);
			r.a.def->merge(&r.a, e1, full, &r.err);
			r.a.def->merge(&r.a, full, e2, &r.err);
			g1 = result_doc(&r, e1);
			g2 = result_doc(&r, full);
			if ((!results_close(want, g1, tol) || !results_close(want, g2, tol)) && bad_empty++ == 0)
				diag("%s merge with an empty state differs", spec);
			if (g1)
				bson_destroy(g1);
			if (g2)
				bson_destroy(g2);
			state_free(&r, e1);
			state_free(&r, e2);
			state_free(&r, full);
		}
		/* checkpoint in the middle */
		{
			void	   *a = state_new(&r);
			void	   *copy;
			bool		same = false;
			bson_t	   *g1,
					   *g2;

			add_range(&r, a, &ds, 0, k);
			copy = roundtrip(&r, a, &same);
			if (!same)
				bad_bytes++;
			add_range(&r, a, &ds, k, n);
			add_range(&r, copy, &ds, k, n);
			g1 = result_doc(&r, a);
			g2 = result_doc(&r, copy);
			{
				char	   *s1 = g1 ? bson_as_canonical_extended_json(g1, NULL) : NULL;
				char	   *s2 = g2 ? bson_as_canonical_extended_json(g2, NULL) : NULL;

				/* exact: a restored state is the same state */
				if ((s1 == NULL || s2 == NULL || strcmp(s1, s2) != 0 || !results_close(want, g1, tol)) &&
					bad_ckpt++ == 0)
					diag("%s checkpoint at %d: restored %s, original %s", spec, k, s2, s1);
				bson_free(s1);
				bson_free(s2);
			}
			if (g1)
				bson_destroy(g1);
			if (g2)
				bson_destroy(g2);
			state_free(&r, a);
			state_free(&r, copy);
		}
		bson_destroy(want);
		state_free(&r, seq);
		free_docs(&ds);
		free(json);
	}
	ok(bad_merge == 0, "%s: merge of two halves == sequential (%d trials)", spec, trials);
	ok(bad_three == 0, "%s: three-way merge == sequential", spec);
	ok(bad_empty == 0, "%s: merging empty states changes nothing", spec);
	ok(bad_ckpt == 0 && bad_bytes == 0, "%s: checkpoint round trip is exact and resumable", spec);
	runner_done(&r);
}

/* ---------- N family at scale, against a brute-force reference ---------- */

typedef struct ref_item
{
	int			i;				/* arrival */
	int			s;				/* sort field */
} ref_item;

static int	ref_dir;			/* 1: by s ascending, -1: descending; ties by arrival */

/* ref_cmp: reference order by s (in ref_dir), then arrival */
static int
ref_cmp(const void *x, const void *y)
{
	const ref_item *a = x;
	const ref_item *b = y;

	if (a->s != b->s)
		return ref_dir * (a->s < b->s ? -1 : 1);
	return a->i < b->i ? -1 : 1;
}

/* ref_json: {"r": [{"i": .., "p": ..}, ...]} of items in order */
static char *
ref_json(const ref_item *items, int n, const char *const *pads)
{
	bson_t		b = BSON_INITIALIZER;
	bson_t		arr;
	int			k;
	char	   *res;

	bson_append_array_begin(&b, "r", 1, &arr);
	for (k = 0; k < n; k++)
	{
		bson_t		el;
		char		key[16];

		snprintf(key, sizeof(key), "%d", k);
		bson_append_document_begin(&arr, key, -1, &el);
		BSON_APPEND_INT32(&el, "i", items[k].i);
		BSON_APPEND_UTF8(&el, "p", pads[items[k].i]);
		bson_append_document_end(&arr, &el);
	}
	bson_append_array_end(&b, &arr);
	res = bson_as_canonical_extended_json(&b, NULL);
	bson_destroy(&b);
	return res;
}

/* test_n_stress: the N family over thousands of documents */
static void
test_n_stress(void)
{
	enum
	{
		NDOCS = 3000,
		N = 40
	};
	static const struct
	{
		const char *spec;
		int			kind;		/* 0 topN, 1 bottomN, 2 firstN, 3 lastN */
		int			dir;
	}			cases[] = {
		{"{\"$topN\": {\"n\": 40, \"sortBy\": {\"s\": 1}, \"output\": {\"i\": \"$i\", \"p\": \"$p\"}}}", 0, 1},
		{"{\"$topN\": {\"n\": 40, \"sortBy\": {\"s\": -1}, \"output\": {\"i\": \"$i\", \"p\": \"$p\"}}}", 0, -1},
		{"{\"$bottomN\": {\"n\": 40, \"sortBy\": {\"s\": 1}, \"output\": {\"i\": \"$i\", \"p\": \"$p\"}}}", 1, 1},
		{"{\"$bottomN\": {\"n\": 40, \"sortBy\": {\"s\": -1}, \"output\": {\"i\": \"$i\", \"p\": \"$p\"}}}", 1, -1},
		{"{\"$firstN\": {\"n\": 40, \"input\": {\"i\": \"$i\", \"p\": \"$p\"}}}", 2, 0},
		{"{\"$lastN\": {\"n\": 40, \"input\": {\"i\": \"$i\", \"p\": \"$p\"}}}", 3, 0},
	};
	char	   *pads[NDOCS];
	ref_item	items[NDOCS];
	size_t		cap = (size_t) NDOCS * 200;
	char	   *json = malloc(cap);
	size_t		o = 0;
	docs		ds;
	int			c,
				k;

	o += (size_t) snprintf(json + o, cap - o, "[");
	for (k = 0; k < NDOCS; k++)
	{
		pads[k] = malloc(96);
		snprintf(pads[k], 96, "payload-%05d-%s", k, "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx");
		items[k].i = k;
		items[k].s = rand() % 50;
		o += (size_t) snprintf(json + o, cap - o, "%s{\"i\": %d, \"s\": %d, \"p\": \"%s\"}", k ? ", " : "",
							   k, items[k].s, pads[k]);
	}
	snprintf(json + o, cap - o, "]");
	ds = parse_docs(json);
	free(json);

	for (c = 0; c < (int) (sizeof(cases) / sizeof(cases[0])); c++)
	{
		runner		r;
		void	   *st,
				   *a,
				   *b;
		char	   *got,
				   *merged,
				   *want;
		ref_item	sorted[NDOCS];
		ref_item	kept[N];
		int			split = 1 + rand() % (NDOCS - 1);

		memcpy(sorted, items, sizeof(items));
		switch (cases[c].kind)
		{
			case 0:
				/* the first N in sort order, ties by arrival */
				ref_dir = cases[c].dir;
				qsort(sorted, NDOCS, sizeof(ref_item), ref_cmp);
				memcpy(kept, sorted, sizeof(kept));
				break;
			case 1:
				/* the last N in sort order, ties won by the first seen; output in sort order */
				ref_dir = -cases[c].dir;
				qsort(sorted, NDOCS, sizeof(ref_item), ref_cmp);
				memcpy(kept, sorted, sizeof(kept));
				ref_dir = cases[c].dir;
				qsort(kept, N, sizeof(ref_item), ref_cmp);
				break;
			case 2:
				memcpy(kept, items, sizeof(kept));
				break;
			default:
				memcpy(kept, items + NDOCS - N, sizeof(kept));
				break;
		}
		want = ref_json(kept, N, (const char *const *) pads);

		runner_init(&r, cases[c].spec);
		st = state_new(&r);
		add_range(&r, st, &ds, 0, NDOCS);
		got = result_json(&r, st);
		if (!ok(got && strcmp(got, want) == 0, "%s over %d documents matches a brute-force reference",
				cases[c].spec, NDOCS))
			diag("got %.300s", got ? got : "(null)");
		ok(r.a.def->mem_size(&r.a, st) < 64 * 1024,
		   "... and holds %zu heap bytes (dropped entries are compacted)", r.a.def->mem_size(&r.a, st));

		a = state_new(&r);
		b = state_new(&r);
		add_range(&r, a, &ds, 0, split);
		add_range(&r, b, &ds, split, NDOCS);
		r.a.def->merge(&r.a, a, b, &r.err);
		merged = result_json(&r, a);
		ok(merged && got && strcmp(merged, got) == 0, "... and merging a split at %d gives the same", split);

		bson_free(got);
		bson_free(merged);
		bson_free(want);
		state_free(&r, st);
		state_free(&r, a);
		state_free(&r, b);
		runner_done(&r);
	}
	for (k = 0; k < NDOCS; k++)
		free(pads[k]);
	free_docs(&ds);
}

/* test_start_group_merge: states of one group given the key {k: 4} agree on n and merge */
static void
test_start_group_merge(void)
{
	runner		r;
	docs		ds = parse_docs("[{\"x\": 1, \"n\": 9}, {\"x\": 2}, {\"x\": 3, \"n\": 1}, {\"x\": 4}, {\"x\": 5}]");
	void	   *seq,
			   *a,
			   *b;
	bson_value_t key;
	char	   *g1,
			   *g2;
	bson_t	   *kb = BCON_NEW("k", BCON_INT64(4));

	runner_init(&r, "{\"$firstN\": {\"n\": \"$k\", \"input\": \"$x\"}}");
	asp_value_set_doc(&key, BSON_TYPE_DOCUMENT, bson_get_data(kb), kb->len);
	seq = state_new(&r);
	a = state_new(&r);
	b = state_new(&r);
	asp_accum_start_group(&r.a, seq, &key, &r.ctx);
	asp_accum_start_group(&r.a, a, &key, &r.ctx);
	asp_accum_start_group(&r.a, b, &key, &r.ctx);
	add_range(&r, seq, &ds, 0, 5);
	add_range(&r, a, &ds, 0, 2);
	add_range(&r, b, &ds, 2, 5);
	r.a.def->merge(&r.a, a, b, &r.err);
	g1 = result_json(&r, seq);
	g2 = result_json(&r, a);
	ok(g1 && g2 && strcmp(g1, g2) == 0 && strstr(g1, "\"4\"") && !strstr(g1, "\"5\""),
	   "partial states started with the group key merge like one state: %s", g1 ? g1 : "null");
	bson_free(g1);
	bson_free(g2);
	state_free(&r, seq);
	state_free(&r, a);
	state_free(&r, b);
	runner_done(&r);
	bson_destroy(kb);
	free_docs(&ds);
}

/* main: run the tests */
int
main(void)
{
	static const char *const random_specs[] = {
		"{\"$sum\": \"$x\"}",
		"{\"$sum\": 1}",
		"{\"$avg\": \"$x\"}",
		"{\"$count\": {}}",
		"{\"$min\": \"$x\"}",
		"{\"$max\": \"$x\"}",
		"{\"$first\": \"$x\"}",
		"{\"$last\": \"$x\"}",
		"{\"$push\": \"$x\"}",
		"{\"$addToSet\": \"$x\"}",
		"{\"$stdDevPop\": \"$x\"}",
		"{\"$stdDevSamp\": \"$x\"}",
		"{\"$firstN\": {\"n\": 3, \"input\": \"$x\"}}",
		"{\"$lastN\": {\"n\": 3, \"input\": \"$x\"}}",
		"{\"$minN\": {\"n\": 3, \"input\": \"$x\"}}",
		"{\"$maxN\": {\"n\": 3, \"input\": \"$x\"}}",
		"{\"$maxN\": {\"n\": 1, \"input\": \"$s\"}}",
		"{\"$topN\": {\"n\": 3, \"sortBy\": {\"s\": 1, \"t\": -1}, \"output\": \"$i\"}}",
		"{\"$topN\": {\"n\": 2, \"sortBy\": {\"x\": -1}, \"output\": [\"$i\", \"$x\"]}}",
		"{\"$bottomN\": {\"n\": 3, \"sortBy\": {\"s\": 1}, \"output\": \"$i\"}}",
		"{\"$bottomN\": {\"n\": 2, \"sortBy\": {\"x\": 1, \"s\": -1}, \"output\": \"$x\"}}",
		"{\"$top\": {\"sortBy\": {\"s\": -1}, \"output\": \"$i\"}}",
		"{\"$bottom\": {\"sortBy\": {\"t\": 1}, \"output\": {\"i\": \"$i\", \"x\": \"$x\"}}}",
		NULL
	};
	int			i;

	srand(20240601);
	test_n_stress();
	test_start_group_merge();
	for (i = 0; random_specs[i]; i++)
		check_random(random_specs[i], 60, false);
	/* integer inputs only: $sum merges exactly (its result is read as a long) */
	random_ints_only = true;
	check_random("{\"$sum\": \"$x\"}", 100, true);
	check_random("{\"$avg\": \"$x\"}", 100, false);
	return tap_done();
}
