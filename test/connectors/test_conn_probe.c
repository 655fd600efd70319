/*-------------------------------------------------------------------------
 *
 * test_conn_probe.c
 *	  TAP tests of asp_conn_test (src/connectors/conn_check.c) over TCP
 *	  against the test servers, and of the MongoDB test server itself
 *	  through libmongoc.
 *
 * test/connectors_test.sh starts the servers on 127.0.0.1 and sets:
 *
 *	 KAFKA_BOOTSTRAP, KAFKA_BROKERS, KAFKA_TOPICS
 *			test/kafka_mock/bin/kafka_mock: its bootstrap servers, how many
 *			brokers and topics it has
 *	 MONGO_URI		test/mongo_server.py without authentication
 *	 MONGO_AUTH_URI, MONGO_AUTH_USER, MONGO_AUTH_PASSWORD
 *			test/mongo_server.py with SCRAM-SHA-256 and that user
 *
 * A check whose server is not given is skipped.  Closed ports and silent
 * listeners (accept, never answer) are made here.
 *
 *-------------------------------------------------------------------------
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <netinet/in.h>
#include <sys/syscall.h>
#include <pthread.h>
#include <signal.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <mongoc/mongoc.h>

#include "conn_util.h"

#include "connectors/conn_check.h"

/* now_ms: monotonic milliseconds */
static double
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* listener: a socket listening on 127.0.0.1 at a free port (*port) */
static int
listener(int *port)
{
	struct sockaddr_in a;
	socklen_t	len = sizeof(a);
	int			fd = socket(AF_INET, SOCK_STREAM, 0);

	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0 || bind(fd, (struct sockaddr *) &a, sizeof(a)) != 0 || listen(fd, 16) != 0 ||
		getsockname(fd, (struct sockaddr *) &a, &len) != 0)
	{
		printf("Bail out! cannot listen on 127.0.0.1\n");
		exit(2);
	}
	*port = ntohs(a.sin_port);
	return fd;
}

/* closed_port: a port of 127.0.0.1 nothing listens on (just released) */
static int
closed_port(void)
{
	int			port;

	close(listener(&port));
	return port;
}

/* count_fds: open file descriptors of this process */
static int
count_fds(void)
{
	DIR		   *d = opendir("/proc/self/fd");
	int			n = 0;

	if (d == NULL)
		return -1;
	while (readdir(d) != NULL)
		n++;
	closedir(d);
	return n;
}

/*
 * The test's own thread (not the product's): while a probe runs, look at
 * the signal mask of every other thread of the process.
 */
typedef struct thread_census
{
	pid_t		main_tid;
	int			others;			/* threads other than main and this one */
	int			unblocked;		/* of those, how many take SIGINT, SIGTERM or SIGUSR1 */
} thread_census;

static void *
census_thread(void *arg)
{
	thread_census *tc = arg;
	pid_t		self = (pid_t) syscall(SYS_gettid);
	DIR		   *d;
	struct dirent *e;

	usleep(300 * 1000);
	d = opendir("/proc/self/task");
	while (d && (e = readdir(d)) != NULL)
	{
		char		path[300],
					line[256];
		FILE	   *f;
		pid_t		tid = atoi(e->d_name);

		if (tid <= 0 || tid == self || tid == tc->main_tid)
			continue;
		snprintf(path, sizeof(path), "/proc/self/task/%d/status", tid);
		if ((f = fopen(path, "r")) == NULL)
			continue;
		while (fgets(line, sizeof(line), f))
		{
			unsigned long long mask;

			if (sscanf(line, "SigBlk: %llx", &mask) == 1)
			{
				tc->others++;
				if (!(mask & (1ULL << (SIGINT - 1))) || !(mask & (1ULL << (SIGTERM - 1))) ||
					!(mask & (1ULL << (SIGUSR1 - 1))))
					tc->unblocked++;
			}
		}
		fclose(f);
	}
	if (d)
		closedir(d);
	return NULL;
}

/* probe: asp_conn_test on a JSON config; the result into *r (caller destroys) */
static bool
probe(const char *type, const char *json, int timeout_ms, bson_t *r, double *elapsed)
{
	bson_t	   *c = cfg(json);
	asp_error	err;
	double		t0 = now_ms();
	bool		res;

	asp_error_init(&err);
	bson_init(r);
	res = asp_conn_test(type, c, timeout_ms, r, &err);
	if (elapsed)
		*elapsed = now_ms() - t0;
	if (!res)
		diag("asp_conn_test failed: %s (%s)", err.message, err.path);
	bson_destroy(c);
	return res;
}

/* r_bool / r_int / r_str: a field of a result */
static bool
r_bool(const bson_t *r, const char *key)
{
	bson_iter_t it;

	return bson_iter_init_find(&it, r, key) && BSON_ITER_HOLDS_BOOL(&it) && bson_iter_bool(&it);
}

static int
r_int(const bson_t *r, const char *key)
{
	bson_iter_t it;

	return bson_iter_init_find(&it, r, key) && BSON_ITER_HOLDS_INT32(&it) ? bson_iter_int32(&it) : -1;
}

static const char *
r_str(const bson_t *r, const char *key)
{
	bson_iter_t it;

	return bson_iter_init_find(&it, r, key) && BSON_ITER_HOLDS_UTF8(&it) ? bson_iter_utf8(&it, NULL) : "";
}

static void
test_kafka(void)
{
	const char *bootstrap = getenv("KAFKA_BOOTSTRAP");
	char		json[1024];
	bson_t		r;
	double		ms = 0;
	bool		pr;
	int			port,
				fd,
				fds,
				i;

	if (bootstrap == NULL)
	{
		skip("KAFKA_BOOTSTRAP not set (run test/connectors_test.sh)", "kafka probes");
		return;
	}
	snprintf(json, sizeof(json), "{\"bootstrapServers\": \"%s\"}", bootstrap);
	pr = probe("kafka", json, 5000, &r, &ms);
	ok(pr && r_bool(&r, "ok") && strcmp(r_str(&r, "type"), "kafka") == 0 &&
	   r_int(&r, "brokers") == atoi(getenv("KAFKA_BROKERS") ? getenv("KAFKA_BROKERS") : "1") &&
	   r_int(&r, "topics") == atoi(getenv("KAFKA_TOPICS") ? getenv("KAFKA_TOPICS") : "0"),
	   "kafka metadata from the mock cluster: %s (%.0f ms)", to_json(&r), ms);
	bson_destroy(&r);

	snprintf(json, sizeof(json), "{\"bootstrapServers\": \"%s\", \"security\": {\"protocol\": \"PLAINTEXT\"}, "
			 "\"config\": {\"client.id\": \"asp-test\", \"socket.timeout.ms\": 3000, \"debug\": \"broker\"}}",
			 bootstrap);
	pr = probe("kafka", json, 5000, &r, &ms);
	ok(pr && r_bool(&r, "ok"),
	   "kafka metadata with security and librdkafka properties: %s", to_json(&r));
	bson_destroy(&r);

	port = closed_port();
	snprintf(json, sizeof(json), "{\"bootstrapServers\": \"127.0.0.1:%d\"}", port);
	{
		char		where[64];

		snprintf(where, sizeof(where), "127.0.0.1:%d", port);
		pr = probe("kafka", json, 10000, &r, &ms);
		ok(pr && !r_bool(&r, "ok") && strcmp(r_str(&r, "type"), "kafka") == 0 &&
		   strstr(r_str(&r, "error"), "Connection refused") && strstr(r_str(&r, "error"), where) &&
		   ms < 3000,
		   "kafka to a closed port: librdkafka's message as soon as every broker is down, "
		   "well within the 10 s timeout: %s (%.0f ms)", to_json(&r), ms);
	}
	bson_destroy(&r);

	/* one bootstrap server down, the others up: not "all brokers down" */
	snprintf(json, sizeof(json), "{\"bootstrapServers\": \"127.0.0.1:%d,%s\"}", closed_port(), bootstrap);
	pr = probe("kafka", json, 5000, &r, &ms);
	ok(pr && r_bool(&r, "ok") && r_int(&r, "brokers") > 0,
	   "kafka with one of the bootstrap servers down: %s (%.0f ms)", to_json(&r), ms);
	bson_destroy(&r);

	fd = listener(&port);
	snprintf(json, sizeof(json), "{\"bootstrapServers\": \"127.0.0.1:%d\"}", port);
	pr = probe("kafka", json, 1000, &r, &ms);
	ok(pr && !r_bool(&r, "ok") && r_str(&r, "error")[0] && ms < 1000 + 2000,
	   "kafka to a server that never answers: fails within the timeout: %s (%.0f ms)", to_json(&r), ms);
	bson_destroy(&r);
	close(fd);

	/* rd_kafka_new refuses what rd_kafka_conf_set accepted: a result, not an error */
	snprintf(json, sizeof(json), "{\"bootstrapServers\": \"%s\", \"security\": {\"protocol\": \"SSL\"}, "
			 "\"config\": {\"ssl.ca.location\": \"/nonexistent/ca.pem\"}}", bootstrap);
	pr = probe("kafka", json, 1000, &r, &ms);
	ok(pr && !r_bool(&r, "ok") && strstr(r_str(&r, "error"), "ssl.ca.location"),
	   "kafka handle refused by rd_kafka_new: %s", to_json(&r));
	bson_destroy(&r);

	snprintf(json, sizeof(json), "{\"bootstrapServers\": \"127.0.0.1:%d\", \"security\": {\"protocol\": "
			 "\"SASL_PLAINTEXT\", \"username\": \"u\", \"password\": \"kafka-secret-1\"}, "
			 "\"config\": {\"sasl.mechanisms\": \"x\"}}", closed_port());
	{
		bson_t	   *c = cfg(json);
		asp_error	err;

		asp_error_init(&err);
		bson_init(&r);
		ok(!asp_conn_test("kafka", c, 1000, &r, &err) && strcmp(err.path, "config.sasl.mechanisms") == 0,
		   "kafka test of an invalid config: the validation error (%s)", err.message);
		bson_destroy(&r);
		bson_destroy(c);
	}

	snprintf(json, sizeof(json), "{\"bootstrapServers\": \"127.0.0.1:%d\", \"security\": {\"protocol\": "
			 "\"SASL_PLAINTEXT\", \"username\": \"u\", \"password\": \"kafka-secret-1\"}}", closed_port());
	pr = probe("kafka", json, 800, &r, NULL);
	ok(pr && !r_bool(&r, "ok") && !strstr(to_json(&r), "kafka-secret-1"),
	   "kafka failure with SASL credentials: no password in the result");
	bson_destroy(&r);

	/* librdkafka's threads start with every signal blocked; ours is as it was */
	{
		thread_census tc = {(pid_t) syscall(SYS_gettid), 0, 0};
		pthread_t	th;

		fd = listener(&port);
		snprintf(json, sizeof(json), "{\"bootstrapServers\": \"127.0.0.1:%d\"}", port);
		pthread_create(&th, NULL, census_thread, &tc);
		/* the silent broker keeps the probe going while the census runs */
		probe("kafka", json, 1000, &r, NULL);
		pthread_join(th, NULL);
		bson_destroy(&r);
		close(fd);
		ok(tc.others > 0 && tc.unblocked == 0,
		   "librdkafka's %d threads block SIGINT, SIGTERM and SIGUSR1 (%d do not)", tc.others, tc.unblocked);
	}
	{
		sigset_t	before,
					after;

		pthread_sigmask(SIG_SETMASK, NULL, &before);
		snprintf(json, sizeof(json), "{\"bootstrapServers\": \"%s\"}", bootstrap);
		probe("kafka", json, 5000, &r, NULL);
		bson_destroy(&r);
		pthread_sigmask(SIG_SETMASK, NULL, &after);
		ok(sigismember(&before, SIGTERM) == sigismember(&after, SIGTERM) &&
		   sigismember(&before, SIGUSR1) == sigismember(&after, SIGUSR1),
		   "the caller's signal mask is unchanged by a kafka probe");
	}

	/* every handle released: no descriptor left after repeated probes */
	fds = count_fds();
	for (i = 0; i < 5; i++)
	{
		snprintf(json, sizeof(json), "{\"bootstrapServers\": \"%s\"}", bootstrap);
		probe("kafka", json, 5000, &r, NULL);
		bson_destroy(&r);
		snprintf(json, sizeof(json), "{\"bootstrapServers\": \"127.0.0.1:%d\"}", closed_port());
		probe("kafka", json, 300, &r, NULL);
		bson_destroy(&r);
	}
	ok(count_fds() == fds, "10 kafka probes leave no file descriptor open (%d before, %d after)", fds, count_fds());
}

static void
test_mongo(void)
{
	const char *uri = getenv("MONGO_URI");
	const char *auth_uri = getenv("MONGO_AUTH_URI");
	const char *user = getenv("MONGO_AUTH_USER");
	const char *password = getenv("MONGO_AUTH_PASSWORD");
	char		json[1024];
	bson_t		r;
	double		ms = 0;
	bool		pr;
	int			port,
				fd,
				fds,
				i;

	if (uri == NULL)
	{
		skip("MONGO_URI not set (run test/connectors_test.sh)", "mongodb probes");
		return;
	}
	snprintf(json, sizeof(json), "{\"uri\": \"%s\"}", uri);
	pr = probe("mongodb", json, 5000, &r, &ms);
	ok(pr && r_bool(&r, "ok") && strcmp(r_str(&r, "type"), "mongodb") == 0 &&
	   strcmp(r_str(&r, "serverVersion"), "7.0.0") == 0,
	   "mongodb ping: %s (%.0f ms)", to_json(&r), ms);
	bson_destroy(&r);

	port = closed_port();
	snprintf(json, sizeof(json), "{\"uri\": \"mongodb://127.0.0.1:%d\"}", port);
	pr = probe("mongodb", json, 2000, &r, &ms);
	ok(pr && !r_bool(&r, "ok") && strcmp(r_str(&r, "type"), "mongodb") == 0 &&
	   strstr(r_str(&r, "error"), "connection refused") && ms < 2000 + 1000,
	   "mongodb ping to a closed port: libmongoc's message: %s (%.0f ms)", to_json(&r), ms);
	bson_destroy(&r);

	fd = listener(&port);
	snprintf(json, sizeof(json), "{\"uri\": \"mongodb://127.0.0.1:%d/?connectTimeoutMS=60000&socketTimeoutMS=60000\"}",
			 port);
	pr = probe("mongodb", json, 1000, &r, &ms);
	ok(pr && !r_bool(&r, "ok") && r_str(&r, "error")[0] && ms < 1000 + 1500,
	   "mongodb ping to a server that never answers: fails within the timeout: %s (%.0f ms)", to_json(&r), ms);
	bson_destroy(&r);
	close(fd);

	if (auth_uri == NULL || user == NULL || password == NULL)
		skip("MONGO_AUTH_URI, MONGO_AUTH_USER, MONGO_AUTH_PASSWORD not set", "mongodb authentication");
	else
	{
		char		hostport[256];
		const char *hp = strstr(auth_uri, "://");

		snprintf(hostport, sizeof(hostport), "%s", hp ? hp + 3 : auth_uri);
		snprintf(json, sizeof(json), "{\"uri\": \"%s\", \"username\": \"%s\", \"password\": \"%s\"}",
				 auth_uri, user, password);
		pr = probe("mongodb", json, 5000, &r, &ms);
		ok(pr && r_bool(&r, "ok") && r_str(&r, "serverVersion")[0],
		   "mongodb SCRAM-SHA-256 with username and password keys: %s (%.0f ms)", to_json(&r), ms);
		bson_destroy(&r);

		snprintf(json, sizeof(json), "{\"uri\": \"mongodb://%s:%s@%s/?authSource=admin\"}", user, password, hostport);
		pr = probe("mongodb", json, 5000, &r, &ms);
		ok(pr && r_bool(&r, "ok"),
		   "mongodb SCRAM-SHA-256 with the user in the URI: %s", to_json(&r));
		bson_destroy(&r);

		snprintf(json, sizeof(json), "{\"uri\": \"%s\", \"username\": \"%s\", \"password\": \"wrong-pw-77\"}",
				 auth_uri, user);
		pr = probe("mongodb", json, 5000, &r, &ms);
		ok(pr && !r_bool(&r, "ok") &&
		   strcmp(r_str(&r, "error"), "Authentication failed.") == 0 && !strstr(to_json(&r), "wrong-pw-77"),
		   "mongodb wrong password: the server's refusal: %s", to_json(&r));
		bson_destroy(&r);

		snprintf(json, sizeof(json), "{\"uri\": \"mongodb://nobody:wrong-pw-77@%s\"}", hostport);
		pr = probe("mongodb", json, 5000, &r, &ms);
		ok(pr && !r_bool(&r, "ok") &&
		   strstr(r_str(&r, "error"), "Authentication failed") && !strstr(to_json(&r), "wrong-pw-77"),
		   "mongodb unknown user: %s", to_json(&r));
		bson_destroy(&r);

		snprintf(json, sizeof(json), "{\"uri\": \"%s\", \"username\": \"%s\", \"password\": \"%s\", "
				 "\"authSource\": \"other\"}", auth_uri, user, password);
		pr = probe("mongodb", json, 5000, &r, &ms);
		ok(pr && !r_bool(&r, "ok") &&
		   strstr(r_str(&r, "error"), "Authentication failed"),
		   "mongodb user looked up in the wrong authSource: %s", to_json(&r));
		bson_destroy(&r);
	}

	fds = count_fds();
	for (i = 0; i < 10; i++)
	{
		snprintf(json, sizeof(json), "{\"uri\": \"%s\"}", uri);
		probe("mongodb", json, 5000, &r, NULL);
		bson_destroy(&r);
		snprintf(json, sizeof(json), "{\"uri\": \"mongodb://127.0.0.1:%d\"}", closed_port());
		probe("mongodb", json, 500, &r, NULL);
		bson_destroy(&r);
	}
	ok(count_fds() == fds, "20 mongodb probes leave no file descriptor open (%d before, %d after)", fds, count_fds());
}

/* the MongoDB test server through libmongoc: what the connectors will use */
static void
test_mongo_server(void)
{
	const char *uri_str = getenv("MONGO_URI");
	mongoc_client_t *client;
	mongoc_collection_t *coll;
	mongoc_cursor_t *cur;
	bson_error_t e = {0};
	bson_t	   *docs[250];
	const bson_t *doc;
	bson_t		reply;
	bson_t	   *q,
			   *opts,
			   *u,
			   *pipeline;
	int			i,
				n,
				last;
	bool		in_order;
	char	  **names;
	bool		found;
	bool		res;

	if (uri_str == NULL)
	{
		skip("MONGO_URI not set", "mongodb test server through libmongoc");
		return;
	}
	/* asp_conn_test ran mongoc_init */
	client = mongoc_client_new(uri_str);
	mongoc_client_set_error_api(client, MONGOC_ERROR_API_VERSION_2);
	coll = mongoc_client_get_collection(client, "asp_test", "readings");

	for (i = 0; i < 250; i++)
		docs[i] = BCON_NEW("_id", BCON_INT32(i), "i", BCON_INT32(i), "g", BCON_INT32(i % 5),
						   "s", BCON_UTF8("x"));
	ok(mongoc_collection_insert_many(coll, (const bson_t **) docs, 250, NULL, &reply, &e),
	   "insert 250 documents: %s", e.message);
	bson_destroy(&reply);
	for (i = 0; i < 250; i++)
		bson_destroy(docs[i]);

	docs[0] = BCON_NEW("_id", BCON_INT32(7));
	ok(!mongoc_collection_insert_one(coll, docs[0], NULL, NULL, &e) && e.code == 11000,
	   "duplicate _id: error 11000 (%s)", e.message);
	bson_destroy(docs[0]);

	/* find in batches of 100: firstBatch then getMore twice */
	q = bson_new();
	opts = BCON_NEW("batchSize", BCON_INT32(100), "sort", "{", "i", BCON_INT32(1), "}");
	cur = mongoc_collection_find_with_opts(coll, q, opts, NULL);
	n = 0;
	last = -1;
	in_order = true;
	while (mongoc_cursor_next(cur, &doc))
	{
		bson_iter_t it;

		if (!bson_iter_init_find(&it, doc, "i") || bson_iter_int32(&it) != last + 1)
			in_order = false;
		last++;
		n++;
	}
	ok(n == 250 && in_order && !mongoc_cursor_error(cur, &e), "find in batches of 100 (getMore): %d in order", n);
	mongoc_cursor_destroy(cur);
	bson_destroy(opts);

	/* a cursor left half-read: killCursors on destroy */
	opts = BCON_NEW("batchSize", BCON_INT32(10));
	cur = mongoc_collection_find_with_opts(coll, q, opts, NULL);
	ok(mongoc_cursor_next(cur, &doc), "a cursor read in part");
	mongoc_cursor_destroy(cur);
	bson_destroy(opts);
	bson_destroy(q);

	q = BCON_NEW("g", BCON_INT32(2));
	ok(mongoc_collection_count_documents(coll, q, NULL, NULL, NULL, &e) == 50, "count_documents {g: 2} = 50 (%s)",
	   e.message);
	u = BCON_NEW("$inc", "{", "i", BCON_INT32(1000), "}", "$set", "{", "s", BCON_UTF8("y"), "}");
	res = mongoc_collection_update_many(coll, q, u, NULL, &reply, &e);
	ok(res, "update_many {g: 2}: %s", to_json(&reply));
	{
		bson_iter_t it;

		ok(bson_iter_init_find(&it, &reply, "modifiedCount") && bson_iter_as_int64(&it) == 50,
		   "50 documents modified");
	}
	bson_destroy(&reply);
	bson_destroy(u);
	bson_destroy(q);

	q = BCON_NEW("_id", BCON_INT32(1000));
	u = BCON_NEW("$set", "{", "s", BCON_UTF8("new"), "}");
	opts = BCON_NEW("upsert", BCON_BOOL(true));
	res = mongoc_collection_update_one(coll, q, u, opts, &reply, &e);
	ok(res && strstr(to_json(&reply), "upsertedId"),
	   "upsert: %s", to_json(&reply));
	bson_destroy(&reply);
	bson_destroy(opts);
	bson_destroy(u);
	bson_destroy(q);

	q = BCON_NEW("g", BCON_INT32(4));
	res = mongoc_collection_delete_many(coll, q, NULL, &reply, &e);
	ok(res && strstr(to_json(&reply), "\"deletedCount\" : 50"),
	   "delete_many {g: 4}: %s", to_json(&reply));
	bson_destroy(&reply);
	bson_destroy(q);

	pipeline = BCON_NEW("pipeline", "[", "{", "$match", "{", "g", "{", "$exists", BCON_BOOL(true), "}", "}", "}",
						"{", "$group", "{", "_id", "$g", "n", "{", "$sum", BCON_INT32(1), "}", "}", "}",
						"{", "$sort", "{", "_id", BCON_INT32(1), "}", "}", "]");
	cur = mongoc_collection_aggregate(coll, MONGOC_QUERY_NONE, pipeline, NULL, NULL);
	n = 0;
	while (mongoc_cursor_next(cur, &doc))
		n++;
	ok(n == 4 && !mongoc_cursor_error(cur, &e), "aggregate $group: %d groups (%s)", n, e.message);
	mongoc_cursor_destroy(cur);
	bson_destroy(pipeline);

	{
		mongoc_database_t *db = mongoc_client_get_database(client, "asp_test");

		names = mongoc_database_get_collection_names_with_opts(db, NULL, &e);
		found = false;
		for (i = 0; names && names[i]; i++)
			found = found || strcmp(names[i], "readings") == 0;
		ok(found, "listCollections has readings");
		bson_strfreev(names);
		ok(mongoc_collection_drop(coll, &e), "drop: %s", e.message);
		names = mongoc_database_get_collection_names_with_opts(db, NULL, &e);
		ok(names != NULL && names[0] == NULL, "no collection left");
		bson_strfreev(names);
		mongoc_database_destroy(db);
	}

	q = BCON_NEW("nosuchcommand", BCON_INT32(1));
	ok(!mongoc_client_command_simple(client, "admin", q, NULL, &reply, &e) && e.code == 59,
	   "unknown command: error document, code 59 (%s)", e.message);
	bson_destroy(&reply);
	bson_destroy(q);

	mongoc_collection_destroy(coll);
	mongoc_client_destroy(client);
}

int
main(void)
{
	test_kafka();
	test_mongo();
	test_mongo_server();
	return tap_done();
}
