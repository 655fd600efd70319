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

/* asp_solar_doc: document number pos */
int64_t
asp_solar_doc(const asp_solar *g, uint64_t pos, bson_t *out)
{
	reading		r;
	char		id[32];
	char		ts[48];
	int			idlen,
				tslen;
	bson_t		obs;

	make_reading(g, pos, &r);
	idlen = device_name(r.device, id);
	tslen = format_time(r.t, ts);
	bson_reinit(out);
	bson_append_utf8(out, "device_id", 9, id, idlen);
	bson_append_int32(out, "group_id", 8, r.group);
	bson_append_utf8(out, "timestamp", 9, ts, tslen);
	bson_append_int32(out, "max_watts", 9, r.max_watts);
	bson_append_int32(out, "event_type", 10, r.event_type);
	bson_append_document_begin(out, "obs", 3, &obs);
	bson_append_int32(&obs, "watts", 5, r.watts);
	bson_append_int32(&obs, "temp", 4, r.temp);
	bson_append_document_end(out, &obs);
	if (r.network_error)
		bson_append_utf8(out, "event_details", 13, "Network error", 13);
	return r.t;
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
