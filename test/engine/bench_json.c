/*-------------------------------------------------------------------------
 *
 * bench_json.c
 *	  Compare the speed of asp_json_to_bson() with libbson's
 *	  bson_init_from_json() on solar-panel shaped documents.
 *
 * Build and run from the repository root:
 *
 *	 gcc -std=gnu11 -O2 -Wall -Wextra -Werror $(pkg-config --cflags libbson-1.0) \
 *		 -Isrc/engine -o /tmp/bench_json test/engine/bench_json.c \
 *		 src/engine/json.c src/engine/json_ejson.c src/engine/error.c $(pkg-config --libs libbson-1.0) -lm
 *	 /tmp/bench_json [ndocs]
 *
 *-------------------------------------------------------------------------
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <bson/bson.h>

#include "json.h"

#define DEFAULT_NDOCS 200000
#define ROUNDS 5

/* now_sec: monotonic time in seconds */
static double
now_sec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* make_doc: the i-th solar document, as JSON text */
static int
make_doc(char *buf, size_t size, int i)
{
	return snprintf(buf, size,
					"{\"device_id\":\"device_%d\",\"group_id\":%d,"
					"\"timestamp\":\"2024-05-01T10:%02d:%02d.000+00:00\","
					"\"max_watts\":450,\"event_type\":%d,"
					"\"obs\":{\"watts\":%d,\"temp\":%d}}",
					i % 10, i % 10, (i / 60) % 60, i % 60, i % 3,
					(i * 37) % 450, 15 + i % 20);
}

/* main: time both readers over the same texts */
int
main(int argc, char **argv)
{
	int			ndocs = argc > 1 ? atoi(argv[1]) : DEFAULT_NDOCS;
	char	  **texts;
	size_t	   *lens;
	size_t		total = 0;
	double		t0,
				t,
				t_asp,
				t_lib;
	uint64_t	check_asp = 0,
				check_lib = 0;
	int			i;
	int			round;

	if (ndocs <= 0)
		ndocs = DEFAULT_NDOCS;
	texts = malloc(sizeof(char *) * ndocs);
	lens = malloc(sizeof(size_t) * ndocs);
	for (i = 0; i < ndocs; i++)
	{
		char		tmp[512];
		int			n = make_doc(tmp, sizeof(tmp), i);

		texts[i] = malloc(n + 1);
		memcpy(texts[i], tmp, n + 1);
		lens[i] = n;
		total += n;
	}

	/*
	 * interleaved rounds; the best round of each counts, which filters out
	 * noise from other processes
	 */
	t_asp = t_lib = 1e9;
	for (round = 0; round < ROUNDS; round++)
	{
		check_asp = check_lib = 0;
		t0 = now_sec();
		for (i = 0; i < ndocs; i++)
		{
			bson_t		b;
			asp_error	err;
			bool		is_array;

			bson_init(&b);
			if (!asp_json_to_bson(texts[i], lens[i], NULL, &b, &is_array, &err))
			{
				fprintf(stderr, "asp_json_to_bson failed: %s\n", err.message);
				return 1;
			}
			check_asp += b.len;
			bson_destroy(&b);
		}
		t = now_sec() - t0;
		if (t < t_asp)
			t_asp = t;

		t0 = now_sec();
		for (i = 0; i < ndocs; i++)
		{
			bson_t		b;
			bson_error_t berr;

			if (!bson_init_from_json(&b, texts[i], (ssize_t) lens[i], &berr))
			{
				fprintf(stderr, "bson_init_from_json failed: %s\n", berr.message);
				return 1;
			}
			check_lib += b.len;
			bson_destroy(&b);
		}
		t = now_sec() - t0;
		if (t < t_lib)
			t_lib = t;
	}
	if (check_asp != check_lib)
	{
		fprintf(stderr, "output sizes differ: %llu vs %llu\n",
				(unsigned long long) check_asp, (unsigned long long) check_lib);
		return 1;
	}

	printf("%d documents, %.1f bytes of JSON each, best of %d rounds\n",
		   ndocs, (double) total / ndocs, ROUNDS);
	printf("asp_json_to_bson:    %10.0f docs/s  %7.1f MB/s  (%.3f s)\n",
		   ndocs / t_asp, total / t_asp / 1e6, t_asp);
	printf("bson_init_from_json: %10.0f docs/s  %7.1f MB/s  (%.3f s)\n",
		   ndocs / t_lib, total / t_lib / 1e6, t_lib);
	printf("speed-up: %.1fx\n", t_lib / t_asp);

	for (i = 0; i < ndocs; i++)
		free(texts[i]);
	free(texts);
	free(lens);
	return 0;
}
