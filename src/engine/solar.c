/*-------------------------------------------------------------------------
 *
 * solar.c
 *	  The sample_stream_solar generator.
 *
 *-------------------------------------------------------------------------
 */
#include <stdio.h>
#include <string.h>

#include "solar.h"

/* asp_solar_init: the defaults of the built-in sample connection */
void
asp_solar_init(asp_solar *g, uint64_t seed, int64_t start_ms)
{
	g->seed = seed;
	g->start_ms = start_ms;
	g->period_ms = 500;
	g->ndevices = 10;
	g->ngroups = 10;
}

static inline uint64_t
mix(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ULL;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

typedef struct reading
{
	int			device;
	int			group;
	int64_t		t;
	int			max_watts;
	int			event_type;
	int			watts;
	int			temp;
	bool		network_error;
} reading;

static void
make_reading(const asp_solar *g, uint64_t pos, reading *r)
{
	uint64_t	h = mix(g->seed ^ mix(pos));
	uint64_t	dh;

	r->device = (int) (pos % (uint64_t) g->ndevices);
	dh = mix(g->seed ^ 0xd1b54a32d192ed03ULL ^ (uint64_t) r->device);
	r->group = r->device % g->ngroups + 1;
	r->max_watts = (dh >> 20) % 2 ? 450 : 250;
	r->t = g->start_ms + (int64_t) (pos / (uint64_t) g->ndevices) * g->period_ms;
	r->network_error = (h % 1000) < 5;
	r->event_type = r->network_error ? 1 : 0;
	r->watts = r->network_error ? 0 : (int) ((h >> 10) % (uint64_t) (r->max_watts + 1));
	r->temp = 5 + (int) ((h >> 30) % 26);
}

/* format ms since epoch as 2024-05-01T10:00:03.500+00:00 */
static int
format_time(int64_t ms, char *buf)
{
	int64_t		days = ms >= 0 ? ms / 86400000 : -((-ms + 86399999) / 86400000);
	int64_t		rem = ms - days * 86400000;
	int64_t		z = days + 719468;
	int64_t		era = (z >= 0 ? z : z - 146096) / 146097;
	unsigned	doe = (unsigned) (z - era * 146097);
	unsigned	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64_t		y = (int64_t) yoe + era * 400;
	unsigned	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	unsigned	mp = (5 * doy + 2) / 153;
	unsigned	d = doy - (153 * mp + 2) / 5 + 1;
	unsigned	m = mp < 10 ? mp + 3 : mp - 9;

	if (m <= 2)
		y++;
	if (y < 0 || y > 9999)
		return sprintf(buf, "%04d-%02u-%02uT%02d:%02d:%02d.%03d+00:00", (int) y, m, d,
					   (int) (rem / 3600000), (int) (rem / 60000 % 60),
					   (int) (rem / 1000 % 60), (int) (rem % 1000));
	/* the common case by hand: this runs for every generated document */
	{
		int			hh = (int) (rem / 3600000),
					mi = (int) (rem / 60000 % 60),
					ss = (int) (rem / 1000 % 60),
					ms = (int) (rem % 1000);

		buf[0] = (char) ('0' + y / 1000);
		buf[1] = (char) ('0' + y / 100 % 10);
		buf[2] = (char) ('0' + y / 10 % 10);
		buf[3] = (char) ('0' + y % 10);
		buf[4] = '-';
		buf[5] = (char) ('0' + m / 10);
		buf[6] = (char) ('0' + m % 10);
		buf[7] = '-';
		buf[8] = (char) ('0' + d / 10);
		buf[9] = (char) ('0' + d % 10);
		buf[10] = 'T';
		buf[11] = (char) ('0' + hh / 10);
		buf[12] = (char) ('0' + hh % 10);
		buf[13] = ':';
		buf[14] = (char) ('0' + mi / 10);
		buf[15] = (char) ('0' + mi % 10);
		buf[16] = ':';
		buf[17] = (char) ('0' + ss / 10);
		buf[18] = (char) ('0' + ss % 10);
		buf[19] = '.';
		buf[20] = (char) ('0' + ms / 100);
		buf[21] = (char) ('0' + ms / 10 % 10);
		buf[22] = (char) ('0' + ms % 10);
		memcpy(buf + 23, "+00:00", 7);
		return 29;
	}
}

/* device_name: "device_<n>" into buf (at least 20 bytes); returns its length */
static int
device_name(int n, char *buf)
{
	char		digits[12];
	int			k = 0,
				len;

	memcpy(buf, "device_", 7);
	do
	{
		digits[k++] = (char) ('0' + n % 10);
		n /= 10;
	} while (n > 0);
	len = 7;
	while (k > 0)
		buf[len++] = digits[--k];
	buf[len] = '\0';
	return len;
}

/* put_i32: a little-endian int32 */
static inline uint8_t *
put_i32(uint8_t *p, int32_t v)
{
	uint32_t	u = (uint32_t) v;

	p[0] = (uint8_t) u;
	p[1] = (uint8_t) (u >> 8);
	p[2] = (uint8_t) (u >> 16);
	p[3] = (uint8_t) (u >> 24);
	return p + 4;
}

/* put_key: element type and key (with its NUL; klen counts it) */
static inline uint8_t *
put_key(uint8_t *p, uint8_t type, const char *key, size_t klen)
{
	*p++ = type;
	memcpy(p, key, klen);
	return p + klen;
}

/* put_utf8: a string value (length with the NUL, bytes, NUL) */
static inline uint8_t *
put_utf8(uint8_t *p, const char *s, int len)
{
	p = put_i32(p, len + 1);
	memcpy(p, s, (size_t) len);
	p[len] = '\0';
	return p + len + 1;
}

/*
 * asp_solar_doc_raw: document number pos as BSON bytes, written by hand
 * (no libbson call: this runs for every generated document).  The bytes
 * are those libbson's appends would give, field by field as in the shape
 * of solar.h.
 */
int64_t
asp_solar_doc_raw(const asp_solar *g, uint64_t pos, uint8_t *buf, uint32_t *len)
{
	reading		r;
	char		id[32];
	char		ts[48];
	int			idlen,
				tslen;
	uint8_t    *p = buf + 4,
			   *obs;

	make_reading(g, pos, &r);
	idlen = device_name(r.device, id);
	tslen = format_time(r.t, ts);
	p = put_key(p, 0x02, "device_id", 10);
	p = put_utf8(p, id, idlen);
	p = put_key(p, 0x10, "group_id", 9);
	p = put_i32(p, r.group);
	p = put_key(p, 0x02, "timestamp", 10);
	p = put_utf8(p, ts, tslen);
	p = put_key(p, 0x10, "max_watts", 10);
	p = put_i32(p, r.max_watts);
	p = put_key(p, 0x10, "event_type", 11);
	p = put_i32(p, r.event_type);
	p = put_key(p, 0x03, "obs", 4);
	obs = p;
	p = put_key(p + 4, 0x10, "watts", 6);
	p = put_i32(p, r.watts);
	p = put_key(p, 0x10, "temp", 5);
	p = put_i32(p, r.temp);
	*p++ = 0;
	put_i32(obs, (int32_t) (p - obs));
	if (r.network_error)
	{
		p = put_key(p, 0x02, "event_details", 14);
		p = put_utf8(p, "Network error", 13);
	}
	*p++ = 0;
	*len = (uint32_t) (p - buf);
	put_i32(buf, (int32_t) *len);
	return r.t;
}

/* asp_solar_doc: document number pos into a bson_t */
int64_t
asp_solar_doc(const asp_solar *g, uint64_t pos, bson_t *out)
{
	uint8_t		buf[ASP_SOLAR_DOC_MAX];
	uint32_t	len;
	int64_t		t = asp_solar_doc_raw(g, pos, buf, &len);
	bson_t		doc;

	bson_reinit(out);
	if (bson_init_static(&doc, buf, len))
		bson_concat(out, &doc);
	return t;
}

/* asp_solar_json: the same document as JSON text */
size_t
asp_solar_json(const asp_solar *g, uint64_t pos, char *buf, size_t bufsize)
{
	reading		r;
	char		ts[48];
	int			n;

	make_reading(g, pos, &r);
	format_time(r.t, ts);
	n = snprintf(buf, bufsize,
				 "{\"device_id\":\"device_%d\",\"group_id\":%d,\"timestamp\":\"%s\","
				 "\"max_watts\":%d,\"event_type\":%d,\"obs\":{\"watts\":%d,\"temp\":%d}%s}",
				 r.device, r.group, ts, r.max_watts, r.event_type, r.watts, r.temp,
				 r.network_error ? ",\"event_details\":\"Network error\"" : "");
	return n < 0 ? 0 : (size_t) n;
}
