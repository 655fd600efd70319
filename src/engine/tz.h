/*-------------------------------------------------------------------------
 *
 * tz.h
 *	  Time zones for the date operators: UTC, fixed UTC offsets and Olson
 *	  zones ("Europe/Berlin") read from the system's TZif files.
 *
 * MongoDB accepts a timezone argument that is "UTC", an offset "+hh:mm",
 * "+hhmm" or "+hh" (and '-'), or an identifier of the tz database.  Olson
 * zones are loaded on first use from $TZDIR or /usr/share/zoneinfo, parsed
 * by our own TZif reader (version 1 to 4 files, including the POSIX TZ
 * rule of the footer for dates after the last transition) and cached for
 * the life of the process.  Nothing touches TZ, tzset() or localtime():
 * those work on process-global state.
 *
 *-------------------------------------------------------------------------
 */
#ifndef ASP_ENGINE_TZ_H
#define ASP_ENGINE_TZ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum asp_tz_kind
{
	ASP_TZ_UTC = 0,				/* "UTC", or an offset of zero */
	ASP_TZ_OFFSET,				/* fixed offset from UTC */
	ASP_TZ_ZONE					/* tz database zone */
} asp_tz_kind;

typedef struct asp_tz_zone asp_tz_zone;

typedef struct asp_timezone
{
	asp_tz_kind kind;
	int32_t		offset;			/* seconds east of UTC, for ASP_TZ_OFFSET */
	const asp_tz_zone *zone;	/* for ASP_TZ_ZONE; cached, never freed */
} asp_timezone;

/* asp_tz_utc: the UTC time zone */
static inline void
asp_tz_set_utc(asp_timezone *tz)
{
	tz->kind = ASP_TZ_UTC;
	tz->offset = 0;
	tz->zone = NULL;
}

/*
 * asp_tz_lookup: resolve a MongoDB timezone argument; false if it is not
 * a known identifier or a valid offset.  Thread-safe.
 */
extern bool asp_tz_lookup(const char *name, size_t len, asp_timezone *out);

/* asp_tz_offset_at: seconds east of UTC in tz at the instant utc_sec */
extern int32_t asp_tz_offset_at(const asp_timezone *tz, int64_t utc_sec);

/* asp_tz_is_dst: whether daylight saving time is in effect at utc_sec */
extern bool asp_tz_is_dst(const asp_timezone *tz, int64_t utc_sec);

/*
 * asp_tz_local_to_utc: the instant of a local wall-clock time (seconds),
 * computed as timelib (MongoDB's date library) does.  Times skipped by a
 * DST change move forward by the change.  For ambiguous times dst_hint
 * plays the part of timelib's tm->dst: MongoDB's date arithmetic passes
 * whether DST was in effect at its starting date, and date construction
 * ($dateFromParts, $dateFromString) whether it was at the epoch
 * (asp_tz_is_dst(tz, 0)), which picks standard time in most zones.
 */
extern int64_t asp_tz_local_to_utc(const asp_timezone *tz, int64_t local_sec,
								   bool dst_hint);

/* millisecond versions */
extern int64_t asp_tz_utc_to_local_ms(const asp_timezone *tz, int64_t utc_ms);
extern int64_t asp_tz_local_to_utc_ms(const asp_timezone *tz, int64_t local_ms,
									  bool dst_hint);

/* asp_tz_free_cache: release every loaded zone (tests and shutdown only) */
extern void asp_tz_free_cache(void);

#endif							/* ASP_ENGINE_TZ_H */
