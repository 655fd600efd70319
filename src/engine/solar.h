/*-------------------------------------------------------------------------
 *
 * solar.h
 *	  The sample_stream_solar generator: solar panel readings shaped like
 *	  ASP's built-in sample stream, deterministic for a seed and position.
 *
 * Document n (n = 0, 1, ...) comes from device d = n % ndevices (group_id
 * d % ngroups + 1) at time
 * start_ms + (n / ndevices) * period_ms, so a restart from position n
 * continues the same sequence.  Shape:
 *	{device_id: "device_7", group_id: 3, timestamp: "2024-05-01T10:00:03.500+00:00",
 *	 max_watts: 450, event_type: 0, obs: {watts: 312, temp: 21}}
 * About 0.5% of documents carry event_details: "Network error" (with
 * event_type 1).
 *
 *-------------------------------------------------------------------------
 */
#ifndef ASP_ENGINE_SOLAR_H
#define ASP_ENGINE_SOLAR_H

#include <bson/bson.h>

typedef struct asp_solar
{
	uint64_t	seed;
	int64_t		start_ms;		/* time of the first reading */
	int64_t		period_ms;		/* time between two readings of one device */
	int			ndevices;
	int			ngroups;
} asp_solar;

/* asp_solar_init: defaults: 10 devices in 10 groups, one reading per device every 500 ms */
extern void asp_solar_init(asp_solar *g, uint64_t seed, int64_t start_ms);

/* the largest generated document, in bytes */
#define ASP_SOLAR_DOC_MAX 256

/* asp_solar_doc: document number pos into *out (reinitialised); returns its event time */
extern int64_t asp_solar_doc(const asp_solar *g, uint64_t pos, bson_t *out);

/*
 * asp_solar_doc_raw: the same document as BSON bytes into buf (at least
 * ASP_SOLAR_DOC_MAX bytes), its length into *len; returns its event time
 */
extern int64_t asp_solar_doc_raw(const asp_solar *g, uint64_t pos, uint8_t *buf, uint32_t *len);

/* asp_solar_json: the same document as JSON text into buf; returns its length */
extern size_t asp_solar_json(const asp_solar *g, uint64_t pos, char *buf, size_t bufsize);

#endif							/* ASP_ENGINE_SOLAR_H */
