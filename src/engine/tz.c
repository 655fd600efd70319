/*-------------------------------------------------------------------------
 *
 * tz.c
 *	  Time zones: UTC offsets and tz database zones read from TZif files.
 *
 * A zone is read once from $TZDIR/<name> (default /usr/share/zoneinfo),
 * parsed here (RFC 8536: the 64-bit data of version 2+ files, or the
 * 32-bit data of version 1 files, plus the POSIX TZ string of the footer
 * that gives the rule after the last transition, which "slim" files rely
 * on for every date after 2007 or so) and kept in a process-wide cache
 * protected by a mutex.  Leap second records are ignored, as MongoDB does.
 *
 * Local-to-UTC conversion is timelib's do_adjust_timezone (timelib is
 * MongoDB's date library): the local time is first read as a UTC instant
 * to guess the offset, then the offset at the corrected instant decides;
 * local times inside a DST gap move forward by the gap, and ambiguous
 * local times take the daylight or the standard instant according to a
 * "DST hint" (timelib's tm->dst), which the callers take from the date
 * they start from, as MongoDB does.
 *
 *-------------------------------------------------------------------------
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "datetime.h"
#include "tz.h"

#define TZ_MAX_FILE (1024 * 1024)
#define TZ_MAX_CACHE 1024

/* a rule date of a POSIX TZ string: Jn, n or Mm.w.d */
typedef struct tz_rule_date
{
	char		kind;			/* 'J', 'N' or 'M' */
	int			n;				/* Jn / n: day; M: month */
	int			week;			/* M: 1..5 */
	int			wday;			/* M: 0 (Sunday) .. 6 */
	int32_t		time;			/* seconds after local midnight */
} tz_rule_date;

/* the POSIX TZ string of a TZif footer */
typedef struct tz_rule
{
	int32_t		std_off;		/* seconds east of UTC */
	int32_t		dst_off;
	bool		has_dst;
	tz_rule_date start;			/* DST starts (in standard time) */
	tz_rule_date end;			/* DST ends (in daylight time) */
} tz_rule;

struct asp_tz_zone
{
	char	   *name;
	bool		valid;			/* false: cached failed lookup */
	int			ntrans;
	int64_t    *trans;			/* transition instants, ascending */
	uint8_t    *trans_type;		/* type index per transition */
	int			ntypes;
	int32_t    *type_off;		/* seconds east of UTC per type */
	uint8_t    *type_dst;		/* is_dst per type */
	bool		has_rule;
	tz_rule		rule;
	struct asp_tz_zone *next;
};

static pthread_mutex_t tz_lock = PTHREAD_MUTEX_INITIALIZER;
static asp_tz_zone *tz_cache = NULL;
static int	tz_cache_count = 0;

/* ---------- POSIX TZ strings ---------- */

/* posix_parse_hms: parse [+-]hh[:mm[:ss]]; returns pointer after it or NULL */
static const char *
posix_parse_hms(const char *p, const char *end, int32_t *out)
{
	int			sign = 1;
	int			h = 0,
				m = 0,
				s = 0,
				nd = 0;

	if (p < end && (*p == '+' || *p == '-'))
	{
		if (*p == '-')
			sign = -1;
		p++;
	}
	while (p < end && *p >= '0' && *p <= '9' && nd < 3)
	{
		h = h * 10 + (*p++ - '0');
		nd++;
	}
	if (nd == 0)
		return NULL;
	if (p < end && *p == ':')
	{
		p++;
		if (end - p < 2 || p[0] < '0' || p[0] > '9' || p[1] < '0' || p[1] > '9')
			return NULL;
		m = (p[0] - '0') * 10 + (p[1] - '0');
		p += 2;
		if (p < end && *p == ':')
		{
			p++;
			if (end - p < 2 || p[0] < '0' || p[0] > '9' || p[1] < '0' || p[1] > '9')
				return NULL;
			s = (p[0] - '0') * 10 + (p[1] - '0');
			p += 2;
		}
	}
	*out = sign * (h * 3600 + m * 60 + s);
	return p;
}

/* posix_parse_name: parse a zone name: <...> or 3+ letters */
static const char *
posix_parse_name(const char *p, const char *end)
{
	const char *start = p;

	if (p < end && *p == '<')
	{
		while (p < end && *p != '>')
			p++;
		return p < end ? p + 1 : NULL;
	}
	while (p < end && ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z')))
		p++;
	return (p - start >= 3) ? p : NULL;
}

/* posix_parse_int: a decimal number at *pp */
static int
posix_parse_int(const char **pp, const char *end)
{
	const char *p = *pp;
	int			v = 0;

	while (p < end && *p >= '0' && *p <= '9')
		v = v * 10 + (*p++ - '0');
	*pp = p;
	return v;
}

/* posix_parse_rule_date: Jn, n or Mm.w.d with an optional /time */
static const char *
posix_parse_rule_date(const char *p, const char *end, tz_rule_date *d)
{
	const char *q;

	if (p >= end)
		return NULL;
	if (*p == 'J')
	{
		p++;
		d->kind = 'J';
		q = p;
		d->n = posix_parse_int(&p, end);
		if (p == q || d->n < 1 || d->n > 365)
			return NULL;
	}
	else if (*p == 'M')
	{
		p++;
		d->kind = 'M';
		d->n = posix_parse_int(&p, end);
		if (p >= end || *p++ != '.')
			return NULL;
		d->week = posix_parse_int(&p, end);
		if (p >= end || *p++ != '.')
			return NULL;
		d->wday = posix_parse_int(&p, end);
		if (d->n < 1 || d->n > 12 || d->week < 1 || d->week > 5 || d->wday > 6)
			return NULL;
	}
	else if (*p >= '0' && *p <= '9')
	{
		d->kind = 'N';
		d->n = posix_parse_int(&p, end);
		if (d->n > 365)
			return NULL;
	}
	else
		return NULL;
	d->time = 7200;
	if (p < end && *p == '/')
	{
		p = posix_parse_hms(p + 1, end, &d->time);
		if (p == NULL)
			return NULL;
	}
	return p;
}

/* posix_parse: parse a POSIX TZ string such as "CET-1CEST,M3.5.0,M10.5.0/3" */
static bool
posix_parse(const char *p, const char *end, tz_rule *r)
{
	int32_t		off;

	memset(r, 0, sizeof(*r));
	p = posix_parse_name(p, end);
	if (p == NULL)
		return false;
	p = posix_parse_hms(p, end, &off);
	if (p == NULL)
		return false;
	r->std_off = -off;
	if (p == end)
		return true;
	p = posix_parse_name(p, end);
	if (p == NULL)
		return false;
	r->has_dst = true;
	r->dst_off = r->std_off + 3600;
	if (p < end && *p != ',')
	{
		p = posix_parse_hms(p, end, &off);
		if (p == NULL)
			return false;
		r->dst_off = -off;
	}
	if (p == end)
	{
		/* no rule: the US rule, as glibc assumes */
		r->start = (tz_rule_date) {'M', 3, 2, 0, 7200};
		r->end = (tz_rule_date) {'M', 11, 1, 0, 7200};
		return true;
	}
	if (*p++ != ',')
		return false;
	p = posix_parse_rule_date(p, end, &r->start);
	if (p == NULL || p >= end || *p++ != ',')
		return false;
	p = posix_parse_rule_date(p, end, &r->end);
	return p == end;
}

/* rule_day: the local day number (since epoch) of a rule date in a year */
static int64_t
rule_day(const tz_rule_date *d, int64_t year)
{
	int64_t		jan1 = asp_days_from_civil(year, 1, 1);

	switch (d->kind)
	{
		case 'J':
			return jan1 + d->n - 1 + ((asp_is_leap_year(year) && d->n >= 60) ? 1 : 0);
		case 'N':
			return jan1 + d->n;
		default:
			{
				int64_t		first = asp_days_from_civil(year, d->n, 1);
				int			dow = (int) asp_floor_mod(first + 4, 7);	/* 0 = Sunday */
				int			day = 1 + (d->wday - dow + 7) % 7 + (d->week - 1) * 7;
				int			dim = asp_days_in_month(year, d->n);

				while (day > dim)
					day -= 7;
				return first + day - 1;
			}
	}
}

/* rule_offset: offset under the POSIX rule at t; *trans = last change <= t */
static int32_t
rule_offset(const tz_rule *r, int64_t t, int64_t *trans, bool *is_dst)
{
	int64_t		year;
	int64_t		cand[4];
	int			i;
	int64_t		best = INT64_MIN;
	bool		dst;
	int64_t		y;
	int			m,
				d;
	int64_t		s,
				e;

	*is_dst = false;
	if (!r->has_dst)
	{
		*trans = INT64_MIN;
		return r->std_off;
	}
	asp_civil_from_days(asp_floor_div(t + r->std_off, 86400), &y, &m, &d);
	year = y;
	for (i = 0; i < 2; i++)
	{
		cand[2 * i] = rule_day(&r->start, year - i) * 86400 + r->start.time - r->std_off;
		cand[2 * i + 1] = rule_day(&r->end, year - i) * 86400 + r->end.time - r->dst_off;
	}
	s = cand[0];
	e = cand[1];
	if (s < e)
		dst = (t >= s && t < e);
	else
		dst = !(t >= e && t < s);
	for (i = 0; i < 4; i++)
		if (cand[i] <= t && cand[i] > best)
			best = cand[i];
	*trans = best;
	*is_dst = dst;
	return dst ? r->dst_off : r->std_off;
}

/* ---------- TZif files ---------- */

/* be32: big-endian uint32 */
static uint32_t
be32(const unsigned char *p)
{
	return ((uint32_t) p[0] << 24) | ((uint32_t) p[1] << 16) | ((uint32_t) p[2] << 8) | p[3];
}

/* be64: big-endian int64 */
static int64_t
be64(const unsigned char *p)
{
	return (int64_t) (((uint64_t) be32(p) << 32) | be32(p + 4));
}

/* tzif_parse: fill z from a TZif image; false if malformed */
static bool
tzif_parse(const unsigned char *buf, size_t len, asp_tz_zone *z)
{
	const unsigned char *p = buf;
	const unsigned char *end = buf + len;
	uint32_t	isutcnt,
				isstdcnt,
				leapcnt,
				timecnt,
				typecnt,
				charcnt;
	int			tsize = 4;
	size_t		need;
	uint32_t	i;

	if (len < 44 || memcmp(p, "TZif", 4) != 0)
		return false;
	if (p[4] >= '2')
	{
		/* skip the version 1 block and use the 64-bit one */
		isutcnt = be32(p + 20);
		isstdcnt = be32(p + 24);
		leapcnt = be32(p + 28);
		timecnt = be32(p + 32);
		typecnt = be32(p + 36);
		charcnt = be32(p + 40);
		need = 44 + (size_t) timecnt * 5 + (size_t) typecnt * 6 + charcnt +
			(size_t) leapcnt * 8 + isstdcnt + isutcnt;
		if (need > len)
			return false;
		p += need;
		if (end - p < 44 || memcmp(p, "TZif", 4) != 0)
			return false;
		tsize = 8;
	}
	isutcnt = be32(p + 20);
	isstdcnt = be32(p + 24);
	leapcnt = be32(p + 28);
	timecnt = be32(p + 32);
	typecnt = be32(p + 36);
	charcnt = be32(p + 40);
	if (typecnt == 0 || typecnt > 256 || timecnt > 100000)
		return false;
	need = 44 + (size_t) timecnt * (tsize + 1) + (size_t) typecnt * 6 + charcnt +
		(size_t) leapcnt * (tsize + 4) + isstdcnt + isutcnt;
	if (need > (size_t) (end - p))
		return false;
	p += 44;
	z->ntrans = (int) timecnt;
	z->trans = malloc(sizeof(int64_t) * (timecnt ? timecnt : 1));
	z->trans_type = malloc(timecnt ? timecnt : 1);
	z->ntypes = (int) typecnt;
	z->type_off = malloc(sizeof(int32_t) * typecnt);
	z->type_dst = malloc(typecnt);
	if (z->trans == NULL || z->trans_type == NULL || z->type_off == NULL || z->type_dst == NULL)
		return false;
	for (i = 0; i < timecnt; i++)
		z->trans[i] = tsize == 8 ? be64(p + (size_t) i * 8) : (int64_t) (int32_t) be32(p + (size_t) i * 4);
	p += (size_t) timecnt * tsize;
	for (i = 0; i < timecnt; i++)
	{
		if (p[i] >= typecnt)
			return false;
		z->trans_type[i] = p[i];
	}
	p += timecnt;
	for (i = 0; i < typecnt; i++)
	{
		z->type_off[i] = (int32_t) be32(p + (size_t) i * 6);
		z->type_dst[i] = p[(size_t) i * 6 + 4] ? 1 : 0;
	}
	p += (size_t) typecnt * 6 + charcnt + (size_t) leapcnt * (tsize + 4) + isstdcnt + isutcnt;
	/* footer: "\n<TZ string>\n" (version 2+) */
	if (tsize == 8 && end - p >= 2 && *p == '\n')
	{
		const unsigned char *nl = memchr(p + 1, '\n', end - p - 1);

		if (nl != NULL && nl > p + 1)
			z->has_rule = posix_parse((const char *) p + 1, (const char *) nl, &z->rule);
	}
	return true;
}

/* valid_zone_name: a relative path of the tz database, nothing more */
static bool
valid_zone_name(const char *name, size_t len)
{
	size_t		i;
	size_t		seg = 0;

	if (len == 0 || len > 200 || name[0] == '/')
		return false;
	for (i = 0; i < len; i++)
	{
		char		ch = name[i];

		if (ch == '/')
		{
			if (seg == 0)
				return false;
			seg = 0;
			continue;
		}
		if (!((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') ||
			  (ch >= '0' && ch <= '9') || ch == '_' || ch == '-' || ch == '+' ||
			  (ch == '.' && seg > 0)))
			return false;
		seg++;
	}
	return seg > 0 && strstr(name, "..") == NULL;
}

/* is_utc_alias: names timelib knows as UTC aliases, usable even without a tz database */
static bool
is_utc_alias(const char *name)
{
	static const char *const aliases[] = {
		"GMT", "Etc/GMT", "Etc/UTC", "Etc/UCT", "UCT", "Universal", "Zulu",
		"Etc/Universal", "Etc/Zulu", "Greenwich", "Etc/Greenwich", "GMT0",
		"GMT+0", "GMT-0", "Etc/GMT0", "Etc/GMT+0", "Etc/GMT-0", NULL
	};
	int			i;

	for (i = 0; aliases[i]; i++)
		if (strcmp(aliases[i], name) == 0)
			return true;
	return false;
}

/* zone_load: read and parse a zone; returns a zone (valid or not) */
static asp_tz_zone *
zone_load(const char *name)
{
	asp_tz_zone *z = calloc(1, sizeof(asp_tz_zone));
	const char *dir = getenv("TZDIR");
	char		path[1024];
	FILE	   *f;
	struct stat st;

	if (z == NULL)
		return NULL;
	z->name = strdup(name);
	if (z->name == NULL)
	{
		free(z);
		return NULL;
	}
	if (dir == NULL || dir[0] == '\0')
		dir = "/usr/share/zoneinfo";
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "rb");
	if (f != NULL)
	{
		if (fstat(fileno(f), &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0 &&
			st.st_size <= TZ_MAX_FILE)
		{
			unsigned char *buf = malloc(st.st_size);

			if (buf && fread(buf, 1, st.st_size, f) == (size_t) st.st_size)
				z->valid = tzif_parse(buf, st.st_size, z);
			free(buf);
		}
		fclose(f);
	}
	if (!z->valid)
	{
		free(z->trans);
		free(z->trans_type);
		free(z->type_off);
		free(z->type_dst);
		z->trans = NULL;
		z->trans_type = NULL;
		z->type_off = NULL;
		z->type_dst = NULL;
		z->ntrans = 0;
		z->ntypes = 0;
		z->has_rule = false;
		if (is_utc_alias(name))
		{
			/* built-in fallback: a zone of offset 0 */
			z->type_off = calloc(1, sizeof(int32_t));
			z->type_dst = calloc(1, 1);
			if (z->type_off && z->type_dst)
			{
				z->ntypes = 1;
				z->valid = true;
			}
		}
	}
	return z;
}

/* parse_offset: MongoDB's +hh, +hhmm, +hh:mm (and '-') */
static bool
parse_offset(const char *s, size_t len, int32_t *out)
{
	int			sign;

#define D(i) (s[i] >= '0' && s[i] <= '9')
#define V(i) (s[i] - '0')
	if (len < 3 || (s[0] != '+' && s[0] != '-'))
		return false;
	sign = s[0] == '+' ? 1 : -1;
	if (len == 3 && D(1) && D(2))
	{
		*out = sign * (V(1) * 10 + V(2)) * 3600;
		return true;
	}
	if (len == 5 && D(1) && D(2) && D(3) && D(4))
	{
		*out = sign * ((V(1) * 10 + V(2)) * 3600 + (V(3) * 10 + V(4)) * 60);
		return true;
	}
	if (len == 6 && D(1) && D(2) && s[3] == ':' && D(4) && D(5))
	{
		*out = sign * ((V(1) * 10 + V(2)) * 3600 + (V(4) * 10 + V(5)) * 60);
		return true;
	}
#undef D
#undef V
	return false;
}

/* asp_tz_lookup: resolve a timezone argument */
bool
asp_tz_lookup(const char *name, size_t len, asp_timezone *out)
{
	char		buf[256];
	asp_tz_zone *z;
	int32_t		off;

	if (len == 3 && memcmp(name, "UTC", 3) == 0)
	{
		asp_tz_set_utc(out);
		return true;
	}
	if (parse_offset(name, len, &off))
	{
		if (off == 0)
			asp_tz_set_utc(out);
		else
		{
			out->kind = ASP_TZ_OFFSET;
			out->offset = off;
			out->zone = NULL;
		}
		return true;
	}
	if (!valid_zone_name(name, len) || len >= sizeof(buf))
		return false;
	memcpy(buf, name, len);
	buf[len] = '\0';

	pthread_mutex_lock(&tz_lock);
	for (z = tz_cache; z != NULL; z = z->next)
		if (strcmp(z->name, buf) == 0)
			break;
	if (z == NULL)
	{
		z = zone_load(buf);
		if (z != NULL && (z->valid || tz_cache_count < TZ_MAX_CACHE))
		{
			z->next = tz_cache;
			tz_cache = z;
			tz_cache_count++;
		}
		else if (z != NULL)
		{
			/* too many failed names cached already: do not keep this one */
			free(z->name);
			free(z);
			z = NULL;
		}
	}
	pthread_mutex_unlock(&tz_lock);
	if (z == NULL || !z->valid)
		return false;
	out->kind = ASP_TZ_ZONE;
	out->offset = 0;
	out->zone = z;
	return true;
}

/*
 * zone_offset: offset of a zone at t, the last transition <= t (INT64_MIN
 * if none) and whether daylight time is in effect: timelib's
 * timelib_get_time_zone_offset_info.
 */
static int32_t
zone_offset(const asp_tz_zone *z, int64_t t, int64_t *trans, bool *is_dst)
{
	int			lo,
				hi;

	*is_dst = false;
	if (z->ntrans == 0 || t < z->trans[0])
	{
		if (z->ntrans == 0 && z->has_rule)
			return rule_offset(&z->rule, t, trans, is_dst);
		*trans = INT64_MIN;
		if (z->ntypes == 0)
			return 0;
		*is_dst = z->type_dst[0];
		return z->type_off[0];
	}
	if (t >= z->trans[z->ntrans - 1])
	{
		if (z->has_rule)
		{
			int32_t		off = rule_offset(&z->rule, t, trans, is_dst);

			if (*trans < z->trans[z->ntrans - 1])
				*trans = z->trans[z->ntrans - 1];
			return off;
		}
		*trans = z->trans[z->ntrans - 1];
		*is_dst = z->type_dst[z->trans_type[z->ntrans - 1]];
		return z->type_off[z->trans_type[z->ntrans - 1]];
	}
	/* binary search: last i with trans[i] <= t */
	lo = 0;
	hi = z->ntrans - 1;
	while (lo < hi)
	{
		int			mid = (lo + hi + 1) / 2;

		if (z->trans[mid] <= t)
			lo = mid;
		else
			hi = mid - 1;
	}
	*trans = z->trans[lo];
	*is_dst = z->type_dst[z->trans_type[lo]];
	return z->type_off[z->trans_type[lo]];
}

/* asp_tz_offset_at: seconds east of UTC at utc_sec */
int32_t
asp_tz_offset_at(const asp_timezone *tz, int64_t utc_sec)
{
	int64_t		trans;
	bool		dst;

	switch (tz->kind)
	{
		case ASP_TZ_UTC:
			return 0;
		case ASP_TZ_OFFSET:
			return tz->offset;
		default:
			return zone_offset(tz->zone, utc_sec, &trans, &dst);
	}
}

/* asp_tz_is_dst: whether daylight saving time is in effect at utc_sec */
bool
asp_tz_is_dst(const asp_timezone *tz, int64_t utc_sec)
{
	int64_t		trans;
	bool		dst;

	if (tz->kind != ASP_TZ_ZONE)
		return false;
	zone_offset(tz->zone, utc_sec, &trans, &dst);
	return dst;
}

/* asp_tz_local_to_utc: timelib's do_adjust_timezone for zones */
int64_t
asp_tz_local_to_utc(const asp_timezone *tz, int64_t local_sec, bool dst_hint)
{
	int64_t		cur_trans,
				after_trans,
				actual_trans;
	int32_t		cur,
				after,
				actual;
	bool		cur_dst,
				dummy;
	bool		in_transition;
	const asp_tz_zone *z = tz->zone;

	switch (tz->kind)
	{
		case ASP_TZ_UTC:
			return local_sec;
		case ASP_TZ_OFFSET:
			return local_sec - tz->offset;
		default:
			break;
	}
	cur = zone_offset(z, local_sec, &cur_trans, &cur_dst);
	after = zone_offset(z, local_sec - cur, &after_trans, &dummy);
	actual = after;
	actual_trans = after_trans;
	if (cur == after)
	{
		/* do not miss a DST change because the actual offset is not known yet */
		if (cur >= 0 && dst_hint && !cur_dst)
		{
			int64_t		et;
			int32_t		earlier = zone_offset(z, local_sec - cur - 7200, &et, &dummy);

			if (earlier != after && local_sec - earlier < after_trans)
			{
				actual = earlier;
				actual_trans = et;
			}
		}
		else if (cur <= 0 && cur_dst && !dst_hint)
		{
			int64_t		lt;
			int32_t		later = zone_offset(z, local_sec - cur + 7200, &lt, &dummy);

			if (later != after && local_sec - later >= lt)
			{
				actual = later;
				actual_trans = lt;
			}
		}
	}
	in_transition = actual_trans != INT64_MIN &&
		(local_sec - actual) >= actual_trans + (cur - actual) &&
		(local_sec - actual) < actual_trans;
	if (cur != actual && !in_transition)
		return local_sec - actual;
	return local_sec - cur;
}

/* asp_tz_utc_to_local_ms: shift a UTC date to local wall-clock milliseconds */
int64_t
asp_tz_utc_to_local_ms(const asp_timezone *tz, int64_t utc_ms)
{
	int64_t		off;

	if (tz->kind == ASP_TZ_UTC)
		return utc_ms;
	off = (int64_t) asp_tz_offset_at(tz, asp_floor_div(utc_ms, 1000)) * 1000;
	if ((off > 0 && utc_ms > INT64_MAX - off) || (off < 0 && utc_ms < INT64_MIN - off))
		return utc_ms;			/* out of any representable calendar anyway */
	return utc_ms + off;
}

/* asp_tz_local_to_utc_ms: the UTC instant of local wall-clock milliseconds */
int64_t
asp_tz_local_to_utc_ms(const asp_timezone *tz, int64_t local_ms, bool dst_hint)
{
	int64_t		sec,
				rem;

	if (tz->kind == ASP_TZ_UTC)
		return local_ms;
	sec = asp_floor_div(local_ms, 1000);
	rem = local_ms - sec * 1000;
	return asp_tz_local_to_utc(tz, sec, dst_hint) * 1000 + rem;
}

/* asp_tz_free_cache: release every cached zone */
void
asp_tz_free_cache(void)
{
	pthread_mutex_lock(&tz_lock);
	while (tz_cache)
	{
		asp_tz_zone *n = tz_cache->next;

		free(tz_cache->name);
		free(tz_cache->trans);
		free(tz_cache->trans_type);
		free(tz_cache->type_off);
		free(tz_cache->type_dst);
		free(tz_cache);
		tz_cache = n;
	}
	tz_cache_count = 0;
	pthread_mutex_unlock(&tz_lock);
}
