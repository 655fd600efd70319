/*-------------------------------------------------------------------------
 *
 * test_solar.c
 *	  Tests for the sample_stream_solar generator (src/engine/solar.c).
 *
 * The generator writes its BSON by hand (asp_solar_doc_raw).  Restarts
 * from checkpoints rely on it producing exactly the documents it always
 * did, so every document is compared byte for byte with a reference built
 * by libbson's appends (the generator's former code, kept here), over many
 * seeds, positions, start times (including ones before 1970 and outside
 * the years 0-9999), device counts and periods; and with asp_solar_json
 * read back by libbson.
 *
 *-------------------------------------------------------------------------
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bson/bson.h>

#include "solar.h"
#include "tap.h"

/* the reading of document pos, as solar.c computes it */
static uint64_t
mix(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ULL;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

/* ref_doc: the reference document, with libbson's appends and snprintf */
static int64_t
ref_doc(const asp_solar *g, uint64_t pos, bson_t *out)
{
	uint64_t	h = mix(g->seed ^ mix(pos));
	int			device = (int) (pos % (uint64_t) g->ndevices);
	uint64_t	dh = mix(g->seed ^ 0xd1b54a32d192ed03ULL ^ (uint64_t) device);
	int			group = device % g->ngroups + 1;
	int			max_watts = (dh >> 20) % 2 ? 450 : 250;
	int64_t		t = g->start_ms + (int64_t) (pos / (uint64_t) g->ndevices) * g->period_ms;
	bool		network_error = (h % 1000) < 5;
	int			watts = network_error ? 0 : (int) ((h >> 10) % (uint64_t) (max_watts + 1));
	int			temp = 5 + (int) ((h >> 30) % 26);
	int64_t		days = t >= 0 ? t / 86400000 : -((-t + 86399999) / 86400000);
	int64_t		rem = t - days * 86400000;
	int64_t		z = days + 719468;
	int64_t		era = (z >= 0 ? z : z - 146096) / 146097;
	unsigned	doe = (unsigned) (z - era * 146097);
	unsigned	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64_t		y = (int64_t) yoe + era * 400;
	unsigned	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	unsigned	mp = (5 * doy + 2) / 153;
	unsigned	d = doy - (153 * mp + 2) / 5 + 1;
	unsigned	m = mp < 10 ? mp + 3 : mp - 9;
	char		id[32];
	char		ts[64];
	bson_t		obs;

	if (m <= 2)
		y++;
	snprintf(ts, sizeof(ts), "%04d-%02u-%02uT%02d:%02d:%02d.%03d+00:00", (int) y, m, d,
			 (int) (rem / 3600000), (int) (rem / 60000 % 60), (int) (rem / 1000 % 60),
			 (int) (rem % 1000));
	snprintf(id, sizeof(id), "device_%d", device);
	bson_reinit(out);
	bson_append_utf8(out, "device_id", 9, id, (int) strlen(id));
	bson_append_int32(out, "group_id", 8, group);
	bson_append_utf8(out, "timestamp", 9, ts, (int) strlen(ts));
	bson_append_int32(out, "max_watts", 9, max_watts);
	bson_append_int32(out, "event_type", 10, network_error ? 1 : 0);
	bson_append_document_begin(out, "obs", 3, &obs);
	bson_append_int32(&obs, "watts", 5, watts);
	bson_append_int32(&obs, "temp", 4, temp);
	bson_append_document_end(out, &obs);
	if (network_error)
		bson_append_utf8(out, "event_details", 13, "Network error", 13);
	return t;
}

/*
 * check_range: documents first .. first + n - 1 of g against the
 * reference; returns the number of mismatches (the first one reported)
 */
static int
check_range(const asp_solar *g, uint64_t first, int n, int *nerr)
{
	bson_t		ref = BSON_INITIALIZER;
	bson_t		viabson = BSON_INITIALIZER;
	int			bad = 0;

	for (int i = 0; i < n; i++)
	{
		uint64_t	pos = first + (uint64_t) i;
		uint8_t		buf[ASP_SOLAR_DOC_MAX];
		uint32_t	len = 0;
		int64_t		tr = ref_doc(g, pos, &ref);
		int64_t		t = asp_solar_doc_raw(g, pos, buf, &len);
		int64_t		tb = asp_solar_doc(g, pos, &viabson);

		if (t != tr || tb != tr || len != ref.len || memcmp(buf, bson_get_data(&ref), len) != 0 ||
			viabson.len != ref.len || memcmp(bson_get_data(&viabson), bson_get_data(&ref), ref.len) != 0)
		{
			if (bad++ == 0 && (*nerr)++ < 5)
			{
				char	   *a = bson_as_relaxed_extended_json(&ref, NULL);

				diag("seed %" PRIu64 " start %" PRId64 " pos %" PRIu64 ": differs from %s",
					 g->seed, g->start_ms, pos, a);
				bson_free(a);
			}
		}
	}
	bson_destroy(&ref);
	bson_destroy(&viabson);
	return bad;
}

int
main(void)
{
	static const int64_t starts[] = {
		INT64_C(1714557600000),		/* 2024-05-01T10:00:00Z */
		INT64_C(1714521600000),		/* 2024-05-01T00:00:00Z */
		0, -1, INT64_C(-86400001), INT64_C(951782399999),	/* 2000-02-28T23:59:59.999 */
		INT64_C(253402300799999),	/* 9999-12-31T23:59:59.999 */
		INT64_C(253402300800000),	/* year 10000: the snprintf path */
		INT64_C(-62167219200001),	/* just before year 0 */
		INT64_C(-62135596800000),	/* 0001-01-01 */
	};
	static const uint64_t seeds[] = {42, 0, 1, 7, 123456789, UINT64_MAX, 0x8000000000000000ULL};
	int			nerr = 0;
	int			bad = 0;
	uint64_t	total = 0;
	asp_solar	g;

	/* the defaults, many seeds and starts, from 0 and far into the sequence */
	for (size_t s = 0; s < sizeof(seeds) / sizeof(seeds[0]); s++)
		for (size_t k = 0; k < sizeof(starts) / sizeof(starts[0]); k++)
		{
			asp_solar_init(&g, seeds[s], starts[k]);
			bad += check_range(&g, 0, 2000, &nerr);
			bad += check_range(&g, UINT64_C(987654321), 500, &nerr);
			total += 2500;
		}
	ok(bad == 0, "defaults: %" PRIu64 " documents over %zu seeds x %zu starts equal the reference (%d differ)",
	   total, sizeof(seeds) / sizeof(seeds[0]), sizeof(starts) / sizeof(starts[0]), bad);

	/* the benchmark's shapes and other device counts, periods and rates */
	bad = 0;
	total = 0;
	{
		static const int ndev[] = {1, 10, 1000, 10000, 123457, 2147483647};
		static const int64_t periods[] = {500, 1, 7, 1000, 86400000};

		for (size_t d = 0; d < sizeof(ndev) / sizeof(ndev[0]); d++)
			for (size_t p = 0; p < sizeof(periods) / sizeof(periods[0]); p++)
			{
				asp_solar_init(&g, 42 + d * 31 + p, starts[(d + p) % 3]);
				g.ndevices = ndev[d];
				g.ngroups = d % 2 ? 10 : 3;
				g.period_ms = periods[p];
				bad += check_range(&g, 0, 1000, &nerr);
				bad += check_range(&g, (uint64_t) ndev[d] * 1000 - 500, 1000, &nerr);
				total += 2000;
			}
	}
	ok(bad == 0, "device counts and periods: %" PRIu64 " documents equal the reference (%d differ)",
	   total, bad);

	/* a long run of the processor benchmark's stream */
	asp_solar_init(&g, 42, INT64_C(1714521600000));
	bad = check_range(&g, 0, 200000, &nerr);
	ok(bad == 0, "seed 42 from 2024-05-01: 200,000 consecutive documents equal the reference (%d differ)", bad);

	/* about 0.5% carry event_details, and the JSON form is the same document */
	{
		int			with_details = 0,
					json_bad = 0;
		bson_t		ref = BSON_INITIALIZER;

		for (uint64_t pos = 0; pos < 20000; pos++)
		{
			char		js[512];
			size_t		jlen = asp_solar_json(&g, pos, js, sizeof(js));
			bson_t		fromjson;
			bson_error_t error;

			ref_doc(&g, pos, &ref);
			if (bson_has_field(&ref, "event_details"))
				with_details++;
			if (!bson_init_from_json(&fromjson, js, (ssize_t) jlen, &error))
			{
				json_bad++;
				continue;
			}
			if (!bson_equal(&fromjson, &ref))
				json_bad++;
			bson_destroy(&fromjson);
		}
		bson_destroy(&ref);
		ok(with_details > 40 && with_details < 160,
		   "%d of 20,000 documents carry event_details (about 0.5%%)", with_details);
		ok(json_bad == 0, "asp_solar_json gives the same documents (%d differ)", json_bad);
	}

	/* the largest document fits ASP_SOLAR_DOC_MAX */
	{
		uint8_t		buf[ASP_SOLAR_DOC_MAX];
		uint32_t	len = 0;
		uint32_t	maxlen = 0;

		asp_solar_init(&g, 3, INT64_C(-9223372036854775807) / 2);
		g.ndevices = 2147483647;
		for (uint64_t pos = 2147483000; pos < 2147483647; pos++)
		{
			asp_solar_doc_raw(&g, pos, buf, &len);
			if (len > maxlen)
				maxlen = len;
		}
		ok(maxlen > 0 && maxlen <= ASP_SOLAR_DOC_MAX - 32,
		   "the largest document (10-digit device, far year) has %u bytes, ASP_SOLAR_DOC_MAX is %d",
		   maxlen, ASP_SOLAR_DOC_MAX);
	}
	return tap_done();
}
