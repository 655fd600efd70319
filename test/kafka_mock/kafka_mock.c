/*-------------------------------------------------------------------------
 *
 * kafka_mock.c
 *	  A Kafka cluster for the tests: librdkafka's mock cluster in its own
 *	  process, listening on 127.0.0.1 at ports the system picks.
 *
 *	 kafka_mock [-b brokers] [-t topic[:partitions]]...
 *
 * Prints the bootstrap servers ("127.0.0.1:port,...") as its first line
 * of standard output, creates the topics given with -t (1 partition by
 * default), then runs until SIGTERM or SIGINT, or until its standard input
 * is a pipe and reaches end of file (so that it ends with the process that
 * holds the other end).
 *
 * The mock cluster speaks the Kafka protocol for metadata, produce, fetch
 * and consumer groups; see rdkafka_mock.h.
 *
 *-------------------------------------------------------------------------
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

static volatile sig_atomic_t stop_requested = 0;

/* on_signal: SIGTERM/SIGINT end the main loop */
static void
on_signal(int sig)
{
	(void) sig;
	stop_requested = 1;
}

/* usage: how to call, then exit 2 */
static void
usage(void)
{
	fprintf(stderr, "usage: kafka_mock [-b brokers] [-t topic[:partitions]]...\n");
	exit(2);
}

int
main(int argc, char **argv)
{
	int			brokers = 1;
	int			opt;
	char		errstr[512];
	rd_kafka_conf_t *conf;
	rd_kafka_t *rk;
	rd_kafka_mock_cluster_t *mc;
	struct sigaction sa;
	struct stat st;
	bool		watch_stdin;
	char	  **topics = calloc(argc, sizeof(char *));
	int			ntopics = 0;
	int			i;

	while ((opt = getopt(argc, argv, "b:t:")) != -1)
	{
		switch (opt)
		{
			case 'b':
				brokers = atoi(optarg);
				if (brokers < 1 || brokers > 16)
					usage();
				break;
			case 't':
				topics[ntopics++] = optarg;
				break;
			default:
				usage();
		}
	}

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	/* the mock cluster needs a handle to run in; it serves no client itself */
	conf = rd_kafka_conf_new();
	/* no notice that this handle has no bootstrap.servers of its own */
	rd_kafka_conf_set(conf, "log_level", "4", errstr, sizeof(errstr));
	rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof(errstr));
	if (rk == NULL)
	{
		rd_kafka_conf_destroy(conf);
		fprintf(stderr, "kafka_mock: rd_kafka_new: %s\n", errstr);
		return 1;
	}
	mc = rd_kafka_mock_cluster_new(rk, brokers);
	if (mc == NULL)
	{
		fprintf(stderr, "kafka_mock: rd_kafka_mock_cluster_new failed\n");
		rd_kafka_destroy(rk);
		return 1;
	}
	for (i = 0; i < ntopics; i++)
	{
		char	   *colon = strrchr(topics[i], ':');
		int			partitions = 1;
		rd_kafka_resp_err_t err;

		if (colon != NULL)
		{
			*colon = '\0';
			partitions = atoi(colon + 1);
			if (partitions < 1)
				usage();
		}
		err = rd_kafka_mock_topic_create(mc, topics[i], partitions, brokers < 3 ? brokers : 3);
		if (err != RD_KAFKA_RESP_ERR_NO_ERROR)
		{
			fprintf(stderr, "kafka_mock: topic %s: %s\n", topics[i], rd_kafka_err2str(err));
			rd_kafka_mock_cluster_destroy(mc);
			rd_kafka_destroy(rk);
			return 1;
		}
	}
	printf("%s\n", rd_kafka_mock_cluster_bootstraps(mc));
	fflush(stdout);

	watch_stdin = fstat(0, &st) == 0 && (S_ISFIFO(st.st_mode) || S_ISSOCK(st.st_mode));
	while (!stop_requested)
	{
		struct pollfd pfd = {.fd = 0, .events = POLLIN};

		if (!watch_stdin)
		{
			poll(NULL, 0, 200);
			continue;
		}
		if (poll(&pfd, 1, 200) > 0)
		{
			char		buf[256];
			ssize_t		n = read(0, buf, sizeof(buf));

			if (n == 0 || (n < 0 && errno != EINTR && errno != EAGAIN))
				break;
		}
	}

	rd_kafka_mock_cluster_destroy(mc);
	rd_kafka_destroy(rk);
	free(topics);
	return 0;
}
