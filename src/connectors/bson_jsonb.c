/*-------------------------------------------------------------------------
 *
 * bson_jsonb.c
 *	  BSON values as jsonb values, for the $merge sink (pg_sink.c).
 *
 * A document becomes a JsonbValue tree built directly, not through
 * pushJsonbValue: objects get their pairs sorted in jsonb's key order and
 * their duplicate keys resolved the way pushJsonbValue does it (the last
 * value of a key wins), so JsonbValueToJsonb() of the tree gives the same
 * bytes.  Strings point into the document, which must outlive the
 * conversion.  BSON types JSON does not have keep their relaxed extended
 * JSON form ({"$date": ...}, {"$oid": ...}, {"$numberDecimal": ...}),
 * unless "scalarize" asks for the scalars a non-json column's input
 * function reads.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "common/shortest_dec.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/numeric.h"

#include "connectors/bson_jsonb.h"
#include "engine/json_out.h"

/* set_string: a jsonb string value (not copied) */
static void
set_string(JsonbValue *v, const char *s, int len)
{
	v->type = jbvString;
	v->val.string.val = (char *) s;
	v->val.string.len = len;
}

/* set_string_copy: a jsonb string value from a transient buffer */
static void
set_string_copy(JsonbValue *v, const char *s)
{
	size_t		len = strlen(s);

	set_string(v, pnstrdup(s, len), (int) len);
}

/* set_numeric_text: a jsonb numeric from its decimal text */
static void
set_numeric_text(JsonbValue *v, const char *s)
{
	v->type = jbvNumeric;
	v->val.numeric = DatumGetNumeric(DirectFunctionCall3(numeric_in, CStringGetDatum(s),
														 ObjectIdGetDatum(InvalidOid),
														 Int32GetDatum(-1)));
}

/* put2: two decimal digits */
static inline char *
put2(char *p, int v)
{
	p[0] = (char) ('0' + v / 10);
	p[1] = (char) ('0' + v % 10);
	return p + 2;
}

/*
 * format_iso_date: ms since the epoch as "YYYY-MM-DDTHH:MM:SS[.mmm]Z"
 * (by hand: every date of every output document comes here); false
 * outside the years min_year..9999 (min_year >= 0)
 */
static bool
format_iso_date(int64 ms, int min_year, char *buf, size_t size)
{
	int64		days = ms >= 0 ? ms / 86400000 : -((-ms + 86399999) / 86400000);
	int64		rem = ms - days * 86400000;
	int64		z,
				era,
				doe,
				yoe,
				y,
				doy,
				mp,
				d,
				m;
	char	   *p = buf;

	/* civil_from_days (H. Hinnant) */
	z = days + 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	y = yoe + era * 400;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	d = doy - (153 * mp + 2) / 5 + 1;
	m = mp < 10 ? mp + 3 : mp - 9;
	if (m <= 2)
		y++;
	if (y < min_year || y > 9999 || size < 25)
		return false;
	p = put2(p, (int) (y / 100));
	p = put2(p, (int) (y % 100));
	*p++ = '-';
	p = put2(p, (int) m);
	*p++ = '-';
	p = put2(p, (int) d);
	*p++ = 'T';
	p = put2(p, (int) (rem / 3600000));
	*p++ = ':';
	p = put2(p, (int) (rem / 60000 % 60));
	*p++ = ':';
	p = put2(p, (int) (rem / 1000 % 60));
	if (rem % 1000)
	{
		*p++ = '.';
		*p++ = (char) ('0' + rem % 1000 / 100);
		p = put2(p, (int) (rem % 100));
	}
	*p++ = 'Z';
	*p = '\0';
	return true;
}

/* wrap: {"key": inner} into *out */
static void
wrap(JsonbValue *out, const char *key, const JsonbValue *inner)
{
	JsonbPair  *pair = palloc(sizeof(JsonbPair));

	set_string(&pair->key, key, strlen(key));
	pair->value = *inner;
	pair->order = 0;
	out->type = jbvObject;
	out->val.object.nPairs = 1;
	out->val.object.pairs = pair;
}

/*
 * unpack_binary: a jbvBinary container as a tree (JsonbValueToJsonb takes
 * trees only): pushed into a one-element array, whose element it becomes
 */
static void
unpack_binary(JsonbValue *v)
{
	JsonbParseState *ps = NULL;
	JsonbValue *arr;

	pushJsonbValue(&ps, WJB_BEGIN_ARRAY, NULL);
	pushJsonbValue(&ps, WJB_ELEM, v);
	arr = pushJsonbValue(&ps, WJB_END_ARRAY, NULL);
	*v = arr->val.array.elems[0];
}

/*
 * fallback_to_jbv: the relaxed extended JSON form of a rare BSON type
 * (binary, regex, timestamp, code, min/max key, ...), through the text
 * writer of the engine
 */
static void
fallback_to_jbv(const bson_iter_t *it, JsonbValue *out)
{
	bson_t		tmp;
	asp_strbuf	sb;
	bool		ok;
	Jsonb	   *jb;
	JsonbValue *v;

	bson_init(&tmp);
	asp_strbuf_init(&sb);
	ok = bson_append_iter(&tmp, "v", 1, it) &&
		asp_bson_to_json(bson_get_data(&tmp), tmp.len, false, &sb);
	bson_destroy(&tmp);
	if (!ok)
	{
		asp_strbuf_free(&sb);
		ereport(ERROR,
				(errcode(ERRCODE_INTERNAL_ERROR),
				 errmsg("could not convert a BSON value to JSON")));
	}
	PG_TRY();
	{
		jb = DatumGetJsonbP(DirectFunctionCall1(jsonb_in, CStringGetDatum(sb.data)));
	}
	PG_FINALLY();
	{
		asp_strbuf_free(&sb);
	}
	PG_END_TRY();
	v = getKeyJsonValueFromContainer(&jb->root, "v", 1, NULL);
	if (v == NULL)
		elog(ERROR, "extended JSON of a BSON value has no \"v\"");
	if (v->type == jbvBinary)
		unpack_binary(v);
	*out = *v;
}

/*
 * asp_bson_value_to_jbv: one BSON value as a JsonbValue.  scalarize: for a column
 * that is not of a json type, dates, ObjectIds and decimals become the
 * scalars its input function reads.  *bad is set (and a null given) for
 * values PostgreSQL cannot store.
 */
void
asp_bson_value_to_jbv(const bson_iter_t *it, bool scalarize, const char **bad, JsonbValue *out)
{
	JsonbValue	v;
	char		buf[64];

	switch (bson_iter_type(it))
	{
		case BSON_TYPE_UTF8:
			{
				uint32_t	len;
				const char *s = bson_iter_utf8(it, &len);

				if (memchr(s, '\0', len) != NULL)
				{
					*bad = "a string holds a NUL character, which PostgreSQL cannot store";
					out->type = jbvNull;
				}
				else
					set_string(out, s, (int) len);
				return;
			}
		case BSON_TYPE_INT32:
			out->type = jbvNumeric;
			out->val.numeric = int64_to_numeric(bson_iter_int32(it));
			return;
		case BSON_TYPE_INT64:
			out->type = jbvNumeric;
			out->val.numeric = int64_to_numeric(bson_iter_int64(it));
			return;
		case BSON_TYPE_DOUBLE:
			{
				double		d = bson_iter_double(it);

				if (isfinite(d))
				{
					double_to_shortest_decimal_buf(d, buf);
					set_numeric_text(out, buf);
					return;
				}
				set_string(&v, isnan(d) ? "NaN" : d > 0 ? "Infinity" : "-Infinity",
						   isnan(d) ? 3 : d > 0 ? 8 : 9);
				if (scalarize)
					*out = v;
				else
					wrap(out, "$numberDouble", &v);
				return;
			}
		case BSON_TYPE_DECIMAL128:
			{
				bson_decimal128_t dec;
				char		s[BSON_DECIMAL128_STRING];

				bson_iter_decimal128(it, &dec);
				bson_decimal128_to_string(&dec, s);
				if (!scalarize)
				{
					set_string_copy(&v, s);
					wrap(out, "$numberDecimal", &v);
				}
				else if (strchr(s, 'N') || strchr(s, 'I'))	/* NaN, Infinity */
					set_string_copy(out, s);
				else
					set_numeric_text(out, s);
				return;
			}
		case BSON_TYPE_BOOL:
			out->type = jbvBool;
			out->val.boolean = bson_iter_bool(it);
			return;
		case BSON_TYPE_NULL:
		case BSON_TYPE_UNDEFINED:
			if (bson_iter_type(it) == BSON_TYPE_UNDEFINED && !scalarize)
				break;
			out->type = jbvNull;
			return;
		case BSON_TYPE_DOCUMENT:
		case BSON_TYPE_ARRAY:
			{
				const uint8_t *data;
				uint32_t	len;

				if (BSON_ITER_HOLDS_DOCUMENT(it))
					bson_iter_document(it, &len, &data);
				else
					bson_iter_array(it, &len, &data);
				asp_bson_doc_to_jbv(data, len, BSON_ITER_HOLDS_ARRAY(it), bad, out);
				return;
			}
		case BSON_TYPE_DATE_TIME:
			{
				int64		ms = bson_iter_date_time(it);

				if (format_iso_date(ms, scalarize ? 1 : 1970, buf, sizeof(buf)))
				{
					set_string_copy(&v, buf);
					if (scalarize)
						*out = v;
					else
						wrap(out, "$date", &v);
					return;
				}
				break;			/* {"$date": {"$numberLong": ...}} */
			}
		case BSON_TYPE_OID:
			bson_oid_to_string(bson_iter_oid(it), buf);
			set_string_copy(&v, buf);
			if (scalarize)
				*out = v;
			else
				wrap(out, "$oid", &v);
			return;
		default:
			break;
	}
	fallback_to_jbv(it, out);
}

/*
 * pair_cmp: jsonb's order of object keys (shorter first, then bytewise),
 * equal keys latest first (pushJsonbValue's rule, so that removing the
 * duplicates after the first keeps the last value of a key)
 */
static int
pair_cmp(const void *a, const void *b)
{
	const JsonbPair *pa = a;
	const JsonbPair *pb = b;
	int			res;

	if (pa->key.val.string.len != pb->key.val.string.len)
		return pa->key.val.string.len > pb->key.val.string.len ? 1 : -1;
	res = memcmp(pa->key.val.string.val, pb->key.val.string.val, pa->key.val.string.len);
	if (res == 0)
		res = pa->order > pb->order ? -1 : 1;
	return res;
}

/* asp_jbv_sort_pairs: an object's pairs in jsonb's key order, without duplicate keys */
void
asp_jbv_sort_pairs(JsonbValue *obj)
{
	JsonbPair  *pairs = obj->val.object.pairs;
	int			n = obj->val.object.nPairs;
	int			i,
				res;

	if (n < 2)
		return;
	/* documents are small: insertion sort */
	for (i = 1; i < n; i++)
	{
		JsonbPair	cur = pairs[i];
		int			j = i - 1;

		while (j >= 0 && pair_cmp(&pairs[j], &cur) > 0)
		{
			pairs[j + 1] = pairs[j];
			j--;
		}
		pairs[j + 1] = cur;
	}
	for (i = 1, res = 0; i < n; i++)
	{
		if (pairs[i].key.val.string.len == pairs[res].key.val.string.len &&
			memcmp(pairs[i].key.val.string.val, pairs[res].key.val.string.val,
				   pairs[i].key.val.string.len) == 0)
			continue;
		if (++res != i)
			pairs[res] = pairs[i];
	}
	obj->val.object.nPairs = res + 1;
}

/* asp_bson_doc_to_jbv: a BSON document or array as a jsonb object or array */
void
asp_bson_doc_to_jbv(const uint8_t *data, uint32_t len, bool is_array, const char **bad,
					JsonbValue *out)
{
	bson_iter_t it;
	int			n = 0;

	check_stack_depth();
	if (!bson_iter_init_from_data(&it, data, len))
		ereport(ERROR,
				(errcode(ERRCODE_DATA_CORRUPTED),
				 errmsg("corrupt BSON document in $merge")));
	while (bson_iter_next(&it))
		n++;
	bson_iter_init_from_data(&it, data, len);
	if (is_array)
	{
		JsonbValue *elems = palloc(sizeof(JsonbValue) * Max(n, 1));
		int			i = 0;

		while (bson_iter_next(&it))
			asp_bson_value_to_jbv(&it, false, bad, &elems[i++]);
		out->type = jbvArray;
		out->val.array.nElems = i;
		out->val.array.elems = elems;
		out->val.array.rawScalar = false;
	}
	else
	{
		JsonbPair  *pairs = palloc(sizeof(JsonbPair) * Max(n, 1));
		int			i = 0;

		while (bson_iter_next(&it))
		{
			set_string(&pairs[i].key, bson_iter_key(&it), (int) bson_iter_key_len(&it));
			pairs[i].order = (uint32) i;
			asp_bson_value_to_jbv(&it, false, bad, &pairs[i].value);
			i++;
		}
		out->type = jbvObject;
		out->val.object.nPairs = i;
		out->val.object.pairs = pairs;
		asp_jbv_sort_pairs(out);
	}
}
