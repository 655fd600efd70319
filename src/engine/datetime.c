/*-------------------------------------------------------------------------
 *
 * datetime.c
 *	  Calendar arithmetic, the fast ISO-8601 parser and date formatting
 *	  with MongoDB's format specifiers.
 *
 * Calendar conversions use Howard Hinnant's days-from-civil algorithms on
 * int64, so every BSON date (about +-292 million years) converts exactly,
 * in the proleptic Gregorian calendar MongoDB uses.
 *
 *-------------------------------------------------------------------------
 */
#include <stdio.h>
#include <string.h>

#include "datetime.h"

const char *const asp_month_names[12] = {
	"January", "February", "March", "April", "May", "June", "July",
	"August", "September", "October", "November", "December"
};

/* asp_is_leap_year: Gregorian leap year */
bool
asp_is_leap_year(int64_t year)
{
	return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
}

/* asp_days_in_month: 28..31 */
int
asp_days_in_month(int64_t year, int month)
{
	static const int dim[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};

	if (month == 2 && asp_is_leap_year(year))
		return 29;
	return dim[month - 1];
}

/* asp_days_from_civil: days since 1970-01-01 */
int64_t
asp_days_from_civil(int64_t year, int month, int day)
{
	int64_t		y = year - (month <= 2 ? 1 : 0);
	int64_t		era = (y >= 0 ? y : y - 399) / 400;
	int64_t		yoe = y - era * 400;
	int64_t		doy = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1;
	int64_t		doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;

	return era * 146097 + doe - 719468;
}

/* asp_civil_from_days: y-m-d of a day number */
void
asp_civil_from_days(int64_t days, int64_t *year, int *month, int *day)
{
	int64_t		z = days + 719468;
	int64_t		era = (z >= 0 ? z : z - 146096) / 146097;
	int64_t		doe = z - era * 146097;
	int64_t		yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64_t		doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	int64_t		mp = (5 * doy + 2) / 153;
	int			m = (int) (mp < 10 ? mp + 3 : mp - 9);

	*day = (int) (doy - (153 * mp + 2) / 5 + 1);
	*month = m;
	*year = yoe + era * 400 + (m <= 2 ? 1 : 0);
}

/* asp_civil_from_ms: break down (local) milliseconds */
void
asp_civil_from_ms(int64_t ms, asp_civil *c)
{
	int64_t		days = asp_floor_div(ms, ASP_MS_PER_DAY);
	int64_t		rem = ms - days * ASP_MS_PER_DAY;

	c->days = days;
	asp_civil_from_days(days, &c->year, &c->month, &c->day);
	c->hour = (int) (rem / ASP_MS_PER_HOUR);
	rem %= ASP_MS_PER_HOUR;
	c->minute = (int) (rem / ASP_MS_PER_MINUTE);
	rem %= ASP_MS_PER_MINUTE;
	c->second = (int) (rem / 1000);
	c->millis = (int) (rem % 1000);
}

/* asp_day_of_year: 1..366 */
int
asp_day_of_year(int64_t year, int month, int day)
{
	return (int) (asp_days_from_civil(year, month, day) - asp_days_from_civil(year, 1, 1)) + 1;
}

/* asp_day_of_week: 1 = Sunday .. 7 = Saturday */
int
asp_day_of_week(int64_t days)
{
	return (int) asp_floor_mod(days + 4, 7) + 1;
}

/* asp_iso_day_of_week: 1 = Monday .. 7 = Sunday */
int
asp_iso_day_of_week(int64_t days)
{
	return (int) asp_floor_mod(days + 3, 7) + 1;
}

/* asp_iso_week: the ISO week and its year: the week of the Thursday */
void
asp_iso_week(int64_t days, int64_t *iso_year, int *iso_week)
{
	int64_t		thursday = days - asp_iso_day_of_week(days) + 4;
	int64_t		y;
	int			m,
				d;

	asp_civil_from_days(thursday, &y, &m, &d);
	*iso_year = y;
	*iso_week = (int) ((thursday - asp_days_from_civil(y, 1, 1)) / 7) + 1;
}

/* asp_week_of_year: MongoDB's TimeZone::week */
int
asp_week_of_year(int64_t year, int month, int day, int64_t days)
{
	int			week_day = asp_day_of_week(days);
	int			year_day = asp_day_of_year(year, month, day);

	return (year_day - week_day + 7) / 7;
}

/* asp_days_from_iso: day number of an ISO year/week/weekday */
int64_t
asp_days_from_iso(int64_t iso_year, int64_t week, int64_t weekday)
{
	int64_t		jan4 = asp_days_from_civil(iso_year, 1, 4);
	int64_t		monday = jan4 - (asp_iso_day_of_week(jan4) - 1);

	return monday + (week - 1) * 7 + (weekday - 1);
}

/* asp_local_ms_from_parts: normalise out-of-range parts like timelib */
bool
asp_local_ms_from_parts(int64_t year, int64_t month, int64_t day, int64_t hour,
						int64_t minute, int64_t second, int64_t millis, int64_t *out)
{
	__int128	y,
				total;
	int			m;
	int64_t		days;

	y = (__int128) year + asp_floor_div(month - 1, 12);
	m = (int) asp_floor_mod(month - 1, 12) + 1;
	if (y > 400000000 || y < -400000000)
		return false;
	days = asp_days_from_civil((int64_t) y, m, 1);
	total = ((__int128) days + day - 1) * ASP_MS_PER_DAY +
		(__int128) hour * ASP_MS_PER_HOUR + (__int128) minute * ASP_MS_PER_MINUTE +
		(__int128) second * 1000 + millis;
	if (total > INT64_MAX || total < INT64_MIN)
		return false;
	*out = (int64_t) total;
	return true;
}

/* ---------- the fast ISO-8601 parser ---------- */

#define DIG(c) ((unsigned) ((c) - '0') <= 9)
#define N2(p) (((p)[0] - '0') * 10 + ((p)[1] - '0'))

/* swar_digits: every byte of w under mask is an ASCII digit */
static inline bool
swar_digits(uint64_t w, uint64_t mask)
{
	uint64_t	t = (w ^ UINT64_C(0x3030303030303030)) & mask;

	/* each byte now 0..9 if it was a digit: high nibble clear, and + 6 stays below 16 */
	return ((t & UINT64_C(0xF0F0F0F0F0F0F0F0)) | ((t + (UINT64_C(0x0606060606060606) & mask)) &
												  UINT64_C(0xF0F0F0F0F0F0F0F0))) == 0;
}

/*
 * iso_prefix: the first 16 bytes of the canonical shape, YYYY-MM-DDThh:mm,
 * checked with word compares (w0, w1: those bytes); false for anything
 * else and for the values the general parser must look at (year 0, day 29
 * and later).  *base_ms: that minute's time in ms, before the zone.
 */
static inline bool
iso_prefix(uint64_t w0, uint64_t w1, const char *s, int64_t *base_ms)
{
	/* day of the March-based year of the 1st of each month */
	static const int16_t march_doy[12] = {306, 337, 0, 31, 61, 92, 122, 153, 184, 214, 245, 275};
	static const uint8_t m0b[8] = {0xff, 0xff, 0xff, 0xff, 0, 0xff, 0xff, 0};
	static const uint8_t m1b[8] = {0xff, 0xff, 0, 0xff, 0xff, 0, 0xff, 0xff};
	uint64_t	m0,
				m1;
	unsigned	year,
				month,
				day,
				hour,
				minute,
				y;
	int64_t		days;

	memcpy(&m0, m0b, 8);
	memcpy(&m1, m1b, 8);
	/* digits at bytes 0-3, 5-6 of w0; 0-1, 3-4, 6-7 of w1 (either byte order) */
	if (s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' ||
		!swar_digits(w0, m0) || !swar_digits(w1, m1))
		return false;
	year = (unsigned) (N2(s) * 100 + N2(s + 2));
	month = (unsigned) N2(s + 5);
	day = (unsigned) N2(s + 8);
	hour = (unsigned) N2(s + 11);
	minute = (unsigned) N2(s + 14);
	if (year == 0 || month - 1 > 11 || day - 1 > 27 || hour > 23 || minute > 59)
		return false;
	y = year - (month <= 2 ? 1 : 0);
	days = (int64_t) (365 * y + y / 4 - y / 100 + y / 400) + march_doy[month - 1] + day - 1 - 719468;
	*base_ms = days * ASP_MS_PER_DAY + (int64_t) ((hour * 60 + minute) * 60) * 1000;
	return true;
}

/*
 * iso_tail: the rest of the canonical shape after YYYY-MM-DDThh:mm
 * (len bytes in all, 20 to 29): :ss[.fff] then Z or +hh:mm / -hh:mm.
 * *rest_ms: the seconds and millis minus the zone's offset, in ms.
 */
static inline bool
iso_tail(const char *s, size_t len, int64_t *rest_ms)
{
	unsigned	second,
				millis = 0;
	int			off = 0;
	size_t		p = 19;

	if (s[16] != ':' || !DIG(s[17]) || !DIG(s[18]))
		return false;
	if (s[19] == '.')
	{
		if (len < 24 || !DIG(s[20]) || !DIG(s[21]) || !DIG(s[22]))
			return false;
		millis = (unsigned) ((s[20] - '0') * 100 + (s[21] - '0') * 10 + (s[22] - '0'));
		p = 23;
	}
	if (len == p + 1)
	{
		if (s[p] != 'Z')
			return false;
	}
	else if (len == p + 6)
	{
		unsigned	oh,
					om;

		if ((s[p] != '+' && s[p] != '-') || !DIG(s[p + 1]) || !DIG(s[p + 2]) ||
			s[p + 3] != ':' || !DIG(s[p + 4]) || !DIG(s[p + 5]))
			return false;
		oh = (unsigned) N2(s + p + 1);
		om = (unsigned) N2(s + p + 4);
		if (oh > 23 || om > 59)
			return false;
		off = (int) (oh * 3600 + om * 60);
		if (s[p] == '-')
			off = -off;
	}
	else
		return false;
	second = (unsigned) N2(s + 17);
	if (second > 59)
		return false;
	*rest_ms = (int64_t) ((int) second - off) * 1000 + millis;
	return true;
}

/*
 * iso_canonical: the shapes nearly every stream sends,
 * YYYY-MM-DDThh:mm:ss[.fff] then Z or +hh:mm / -hh:mm, checked with word
 * compares; false for anything else and for the values the general
 * parser must look at (year 0, day 29 and later), which it then parses.
 * Gives the general parser's result whenever it returns true.  With a
 * cache (may be NULL), a first 16 bytes equal to the last accepted ones
 * take their time from it: only the tail is parsed.
 */
static inline bool
iso_canonical(const char *s, size_t len, asp_iso_cache *cache, int64_t *ms_out)
{
	uint64_t	w0,
				w1;
	int64_t		base,
				rest;

	if (len < 20 || len > 29)
		return false;
	memcpy(&w0, s, 8);			/* YYYY-MM- */
	memcpy(&w1, s + 8, 8);		/* DDThh:mm */
	if (cache && cache->valid && w0 == cache->w0 && w1 == cache->w1)
		base = cache->base_ms;
	else
	{
		if (!iso_prefix(w0, w1, s, &base))
			return false;
		if (cache)
		{
			cache->w0 = w0;
			cache->w1 = w1;
			cache->base_ms = base;
			cache->valid = true;
		}
	}
	if (!iso_tail(s, len, &rest))
		return false;
	*ms_out = base + rest;
	return true;
}

/* asp_parse_iso8601: YYYY-MM-DDThh:mm:ss[.fff][zone] in a few ns */
bool
asp_parse_iso8601(const char *s, size_t len, int64_t *ms_out)
{
	return iso_canonical(s, len, NULL, ms_out) || asp_parse_iso8601_general(s, len, ms_out);
}

/* asp_parse_iso8601_cached: asp_parse_iso8601 with the last minute's time in cache */
bool
asp_parse_iso8601_cached(const char *s, size_t len, asp_iso_cache *cache, int64_t *ms_out)
{
	return iso_canonical(s, len, cache, ms_out) || asp_parse_iso8601_general(s, len, ms_out);
}

/* asp_parse_iso8601_general: asp_parse_iso8601 without the canonical shape's shortcut */
bool
asp_parse_iso8601_general(const char *s, size_t len, int64_t *ms_out)
{
	int			year,
				month,
				day,
				hour,
				minute,
				second;
	int			millis = 0;
	int			off = 0;
	size_t		p;
	/* day of the March-based year of the 1st of each month */
	static const int16_t march_doy[12] = {306, 337, 0, 31, 61, 92, 122, 153, 184, 214, 245, 275};
	int64_t		y,
				days;

	if (len < 19)
		return false;
	if (!(DIG(s[0]) && DIG(s[1]) && DIG(s[2]) && DIG(s[3]) && s[4] == '-' &&
		  DIG(s[5]) && DIG(s[6]) && s[7] == '-' && DIG(s[8]) && DIG(s[9]) &&
		  (s[10] == 'T' || s[10] == ' ' || s[10] == 't') &&
		  DIG(s[11]) && DIG(s[12]) && s[13] == ':' && DIG(s[14]) && DIG(s[15]) &&
		  s[16] == ':' && DIG(s[17]) && DIG(s[18])))
		return false;
	year = N2(s) * 100 + N2(s + 2);
	month = N2(s + 5);
	day = N2(s + 8);
	hour = N2(s + 11);
	minute = N2(s + 14);
	second = N2(s + 17);
	if (month < 1 || month > 12 || day < 1 || hour > 23 || minute > 59 || second > 59)
		return false;
	if (day > 28 && day > asp_days_in_month(year, month))
		return false;
	p = 19;
	if (p < len && s[p] == '.')
	{
		size_t		start = ++p;

		while (p < len && DIG(s[p]))
			p++;
		if (p == start || p - start > 9)
			return false;
		millis = (s[start] - '0') * 100;
		if (p - start > 1)
			millis += (s[start + 1] - '0') * 10;
		if (p - start > 2)
			millis += s[start + 2] - '0';
	}
	if (p < len)
	{
		char		c = s[p];

		if (c == 'Z' || c == 'z')
			p++;
		else if (c == '+' || c == '-')
		{
			int			oh,
						om = 0;

			if (len - p < 3 || !DIG(s[p + 1]) || !DIG(s[p + 2]))
				return false;
			oh = N2(s + p + 1);
			p += 3;
			if (p < len && s[p] == ':')
			{
				if (len - p < 3 || !DIG(s[p + 1]) || !DIG(s[p + 2]))
					return false;
				om = N2(s + p + 1);
				p += 3;
			}
			else if (len - p >= 2 && DIG(s[p]) && DIG(s[p + 1]))
			{
				om = N2(s + p);
				p += 2;
			}
			if (oh > 23 || om > 59)
				return false;
			off = oh * 3600 + om * 60;
			if (c == '-')
				off = -off;
		}
		else
			return false;
		if (p != len)
			return false;
	}
	/* days from civil (Hinnant), specialised for years 0..9999 */
	y = year - (month <= 2 ? 1 : 0);
	if (y < 0)
		days = asp_days_from_civil(year, month, day);
	else
		days = 365 * y + y / 4 - y / 100 + y / 400 + march_doy[month - 1] + day - 1 - 719468;
	*ms_out = days * ASP_MS_PER_DAY + (int64_t) ((hour * 60 + minute) * 60 + second - off) * 1000 + millis;
	return true;
}

/* ---------- formatting ---------- */

/* asp_validate_date_format: MongoDB's checkFormatString */
bool
asp_validate_date_format(const char *fmt, size_t flen, bool for_parse,
						 char *errbuf, size_t errlen)
{
	size_t		i;
	const char *allowed = for_parse ? "bBdGHjLmMSuVYzZ%" : "bBdGHjLmMSwuUVYzZ%";

	for (i = 0; i < flen; i++)
	{
		if (fmt[i] != '%')
			continue;
		if (++i >= flen)
		{
			snprintf(errbuf, errlen, "Unmatched '%%' at end of format string");
			return false;
		}
		if (fmt[i] == '\0' || strchr(allowed, fmt[i]) == NULL)
		{
			snprintf(errbuf, errlen, "Invalid format character '%%%c' in format string", fmt[i]);
			return false;
		}
	}
	return true;
}

/* put_padded: insertPadded of MongoDB (0..9999 only) */
static bool
put_padded(char **out, int64_t v, int width, char *errbuf, size_t errlen)
{
	char		tmp[8];
	int			n;
	int			digits;

	if (v < 0 || v > 9999)
	{
		snprintf(errbuf, errlen,
				 "Could not convert date to string: date component was outside the supported range of 0-9999: %lld",
				 (long long) v);
		return false;
	}
	digits = v >= 1000 ? 4 : v >= 100 ? 3 : v >= 10 ? 2 : 1;
	for (n = digits; n < width; n++)
		*(*out)++ = '0';
	n = snprintf(tmp, sizeof(tmp), "%d", (int) v);
	memcpy(*out, tmp, n);
	*out += n;
	return true;
}

/* asp_format_date: format ms in tz */
long
asp_format_date(const char *fmt, size_t flen, int64_t ms, const asp_timezone *tz,
				char *out, char *errbuf, size_t errlen)
{
	char	   *o = out;
	int32_t		off = asp_tz_offset_at(tz, asp_floor_div(ms, 1000));
	asp_civil	c;
	size_t		i;
	int64_t		iso_year = 0;
	int			iso_week = 0;
	bool		have_iso = false;

	asp_civil_from_ms(ms + (int64_t) off * 1000, &c);
	for (i = 0; i < flen; i++)
	{
		bool		ok = true;

		if (fmt[i] != '%')
		{
			*o++ = fmt[i];
			continue;
		}
		i++;
		if (i >= flen)
			break;				/* validated: cannot happen */
		if ((fmt[i] == 'G' || fmt[i] == 'V') && !have_iso)
		{
			asp_iso_week(c.days, &iso_year, &iso_week);
			have_iso = true;
		}
		switch (fmt[i])
		{
			case '%':
				*o++ = '%';
				break;
			case 'Y':
				ok = put_padded(&o, c.year, 4, errbuf, errlen);
				break;
			case 'm':
				ok = put_padded(&o, c.month, 2, errbuf, errlen);
				break;
			case 'd':
				ok = put_padded(&o, c.day, 2, errbuf, errlen);
				break;
			case 'H':
				ok = put_padded(&o, c.hour, 2, errbuf, errlen);
				break;
			case 'M':
				ok = put_padded(&o, c.minute, 2, errbuf, errlen);
				break;
			case 'S':
				ok = put_padded(&o, c.second, 2, errbuf, errlen);
				break;
			case 'L':
				ok = put_padded(&o, c.millis, 3, errbuf, errlen);
				break;
			case 'j':
				ok = put_padded(&o, asp_day_of_year(c.year, c.month, c.day), 3, errbuf, errlen);
				break;
			case 'w':
				ok = put_padded(&o, asp_day_of_week(c.days), 1, errbuf, errlen);
				break;
			case 'U':
				ok = put_padded(&o, asp_week_of_year(c.year, c.month, c.day, c.days), 2, errbuf, errlen);
				break;
			case 'G':
				ok = put_padded(&o, iso_year, 4, errbuf, errlen);
				break;
			case 'V':
				ok = put_padded(&o, iso_week, 2, errbuf, errlen);
				break;
			case 'u':
				ok = put_padded(&o, asp_iso_day_of_week(c.days), 1, errbuf, errlen);
				break;
			case 'b':
				memcpy(o, asp_month_names[c.month - 1], 3);
				o += 3;
				break;
			case 'B':
				{
					size_t		n = strlen(asp_month_names[c.month - 1]);

					memcpy(o, asp_month_names[c.month - 1], n);
					o += n;
					break;
				}
			case 'z':
				*o++ = off < 0 ? '-' : '+';
				ok = put_padded(&o, (off < 0 ? -off : off) / 3600, 2, errbuf, errlen) &&
					put_padded(&o, ((off < 0 ? -off : off) / 60) % 60, 2, errbuf, errlen);
				break;
			case 'Z':
				o += sprintf(o, "%d", off / 60);
				break;
			default:
				break;
		}
		if (!ok)
			return -1;
	}
	return (long) (o - out);
}

/* asp_format_iso_utc: the $toString / default $dateToString rendering */
int
asp_format_iso_utc(int64_t ms, char *out)
{
	asp_civil	c;
	int			y;

	asp_civil_from_ms(ms, &c);
	if (c.year < 0 || c.year > 9999)
		return -1;
	y = (int) c.year;
	out[0] = '0' + y / 1000;
	out[1] = '0' + (y / 100) % 10;
	out[2] = '0' + (y / 10) % 10;
	out[3] = '0' + y % 10;
	out[4] = '-';
	out[5] = '0' + c.month / 10;
	out[6] = '0' + c.month % 10;
	out[7] = '-';
	out[8] = '0' + c.day / 10;
	out[9] = '0' + c.day % 10;
	out[10] = 'T';
	out[11] = '0' + c.hour / 10;
	out[12] = '0' + c.hour % 10;
	out[13] = ':';
	out[14] = '0' + c.minute / 10;
	out[15] = '0' + c.minute % 10;
	out[16] = ':';
	out[17] = '0' + c.second / 10;
	out[18] = '0' + c.second % 10;
	out[19] = '.';
	out[20] = '0' + c.millis / 100;
	out[21] = '0' + (c.millis / 10) % 10;
	out[22] = '0' + c.millis % 10;
	out[23] = 'Z';
	out[24] = '\0';
	return 24;
}
