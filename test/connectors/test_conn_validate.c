/*-------------------------------------------------------------------------
 *
 * test_conn_validate.c
 *	  TAP tests of src/connectors/conn_check.c without any server:
 *	  validation of kafka and mongodb configs (the dotted key of every
 *	  error, the library's message where a library checks), secrets
 *	  (asp_conn_is_secret, asp_conn_mask) and that no message ever shows a
 *	  secret's value.
 *
 * Built and run by `make check-connectors` (test/connectors_test.sh).
 *
 *-------------------------------------------------------------------------
 */
#include "conn_util.h"

#include "connectors/conn_check.h"

/* the secret values the configs below use: none may appear in a message */
static const char *const secret_values[] = {
	"hunter2-kafka", "sasl-pw-42", "keypass-7", "PEMSECRET", "mongo-pw-9",
	"uripass", "tlskey-pw", "clientsecret-x"
};

/* leaks_secret: does any part of err show one of the secret values? */
static bool
leaks_secret(const asp_error *err)
{
	size_t		i;

	for (i = 0; i < sizeof(secret_values) / sizeof(secret_values[0]); i++)
		if (strstr(err->message, secret_values[i]) || strstr(err->detail, secret_values[i]) ||
			strstr(err->hint, secret_values[i]) || strstr(err->path, secret_values[i]))
			return true;
	return false;
}

/* valid: the config validates */
static void
valid(const char *type, const char *json)
{
	bson_t	   *c = cfg(json);
	asp_error	err;

	asp_error_init(&err);
	if (!ok(asp_conn_validate(type, c, &err), "%s valid: %s", type, json))
		diag("error: %s (path %s)", err.message, err.path);
	bson_destroy(c);
}

/*
 * invalid: the config fails at path, with a message containing msg and a
 * hint, and shows no secret
 */
static void
invalid(const char *type, const char *json, const char *path, const char *msg)
{
	bson_t	   *c = cfg(json);
	asp_error	err;
	bool		res;

	asp_error_init(&err);
	res = asp_conn_validate(type, c, &err);
	if (!ok(!res && err.code == ASP_ERR_INVALID && strcmp(err.path, path) == 0 &&
			strstr(err.message, msg) != NULL && err.hint[0] != '\0' && !leaks_secret(&err),
			"%s invalid at \"%s\": %s", type, path, json))
		diag("got %s: message [%s] path [%s] hint [%s]", res ? "valid" : "invalid",
			 err.message, err.path, err.hint);
	bson_destroy(c);
}

/* masked: asp_conn_mask gives the expected relaxed JSON */
static void
masked(const char *type, const char *json, const char *expected)
{
	bson_t	   *c = cfg(json);
	bson_t		out = BSON_INITIALIZER;
	bson_t	   *e = cfg(expected);
	char		want[4096];

	asp_conn_mask(type, c, &out);
	snprintf(want, sizeof(want), "%s", to_json(e));
	if (!ok(strcmp(to_json(&out), want) == 0, "%s mask: %s", type, json))
		diag("got %s, want %s", to_json(&out), want);
	bson_destroy(&out);
	bson_destroy(e);
	bson_destroy(c);
}

static void
test_kafka(void)
{
	valid("kafka", "{\"bootstrapServers\": \"localhost:9092\"}");
	valid("kafka", "{\"bootstrapServers\": \"a:1,b:2\", \"security\": {\"protocol\": \"SSL\"}}");
	valid("kafka", "{\"bootstrapServers\": \"a:1\", \"security\": {\"protocol\": \"SASL_SSL\", "
		  "\"mechanism\": \"SCRAM-SHA-256\", \"username\": \"u\", \"password\": \"hunter2-kafka\"}}");
	valid("kafka", "{\"bootstrapServers\": \"a:1\", \"security\": {\"protocol\": \"sasl_plaintext\", "
		  "\"username\": \"u\", \"password\": \"hunter2-kafka\"}}");
	valid("kafka", "{\"bootstrapServers\": \"a:1\", \"config\": {\"client.id\": \"asp\", "
		  "\"socket.timeout.ms\": 5000, \"enable.idempotence\": true, \"linger.ms\": 5.0, "
		  "\"acks\": \"all\", \"message.max.bytes\": {\"$numberLong\": \"2000000\"}}}");
	valid("kafka", "{\"bootstrapServers\": \"a:1\", \"config\": {\"security.protocol\": \"sasl_ssl\", "
		  "\"sasl.mechanisms\": \"PLAIN\", \"sasl.username\": \"u\", \"sasl.password\": \"sasl-pw-42\"}}");
	valid("kafka", "{\"bootstrapServers\": \"a:1\", \"security\": {}}");
	{
		/* a long PEM value (certificate chains are tens of KB) */
		size_t		n = 40000;
		char	   *json = malloc(n + 200);
		int			o = sprintf(json, "{\"bootstrapServers\": \"a:1\", \"config\": {\"ssl.ca.pem\": \"");

		memset(json + o, 'A', n);
		sprintf(json + o + n, "\"}}");
		{
			bson_t	   *c = cfg(json);
			asp_error	err;

			asp_error_init(&err);
			ok(asp_conn_validate("kafka", c, &err), "kafka valid: ssl.ca.pem of 40000 bytes (%s)", err.message);
			bson_destroy(c);
		}
		free(json);
	}
	invalid("kafka", "{\"bootstrapServers\": \"a:1\", \"config\": {\"linger.ms\": {\"$numberDouble\": \"NaN\"}}}",
			"config.linger.ms", "must be a finite number");

	invalid("kafka", "{}", "bootstrapServers", "needs \"bootstrapServers\"");
	invalid("kafka", "{\"bootstrapServers\": 9092}", "bootstrapServers", "must be a string, not int");
	invalid("kafka", "{\"bootstrapServers\": \"\"}", "bootstrapServers", "is empty");
	invalid("kafka", "{\"bootstrapServers\": \"a:1\", \"brokers\": \"b\"}", "brokers", "unknown key \"brokers\"");
	invalid("kafka", "{\"bootstrapServers\": \"a:1\", \"security\": \"SSL\"}", "security",
			"\"security\" must be an object, not string");
	invalid("kafka", "{\"bootstrapServers\": \"a:1\", \"security\": {\"protocol\": \"TLS\"}}",
			"security.protocol", "invalid value \"TLS\"");
	invalid("kafka", "{\"bootstrapServers\": \"a:1\", \"security\": {\"protocol\": 1}}",
			"security.protocol", "must be a string, not int");
	invalid("kafka", "{\"bootstrapServers\": \"a:1\", \"security\": {\"protocol\": \"SASL_SSL\", "
			"\"mechanism\": \"GSSAPI\", \"username\": \"u\", \"password\": \"hunter2-kafka\"}}",
			"security.mechanism", "invalid value \"GSSAPI\"");
	invalid("kafka", "{\"bootstrapServers\": \"a:1\", \"security\": {\"protocol\": \"SASL_SSL\", "
			"\"username\": \"u\"}}", "security.password", "needs \"security.password\"");
	invalid("kafka", "{\"bootstrapServers\": \"a:1\", \"security\": {\"protocol\": \"SASL_SSL\", "
			"\"password\": \"hunter2-kafka\"}}", "security.username", "needs \"security.username\"");
	invalid("kafka", "{\"bootstrapServers\": \"a:1\", \"security\": {\"username\": \"u\", "
			"\"password\": \"hunter2-kafka\"}}", "security.protocol", "needs \"security.protocol\"");
	invalid("kafka", "{\"bootstrapServers\": \"a:1\", \"security\": {\"protocol\": \"SSL\", "
			"\"username\": \"u\", \"password\": \"hunter2-kafka\"}}", "security.username",
			"needs a SASL protocol");
	invalid("kafka", "{\"bootstrapServers\": \"a:1\", \"security\": {\"protocol\": \"SASL_SSL\", "
			"\"username\": \"u\", \"password\": 42}}", "security.password", "must be a string, not int");
	invalid("kafka", "{\"bootstrapServers\": \"a:1\", \"security\": {\"protocol\": \"SSL\", \"ca\": \"x\"}}",
			"security.ca", "unknown key \"security.ca\"");
	invalid("kafka", "{\"bootstrapServers\": \"a:1\", \"config\": [1]}", "config",
			"\"config\" must be an object, not array");
	/* librdkafka's own checks, its message quoted */
	invalid("kafka", "{\"bootstrapServers\": \"a:1\", \"config\": {\"no.such.property\": \"1\"}}",
			"config.no.such.property", "No such configuration property");
	invalid("kafka", "{\"bootstrapServers\": \"a:1\", \"config\": {\"acks\": \"sometimes\"}}",
			"config.acks", "Invalid value");
	invalid("kafka", "{\"bootstrapServers\": \"a:1\", \"config\": {\"socket.timeout.ms\": -5}}",
			"config.socket.timeout.ms", "socket.timeout.ms");
	invalid("kafka", "{\"bootstrapServers\": \"a:1\", \"config\": {\"compression.codec\": \"zip\"}}",
			"config.compression.codec", "Invalid value \"zip\" for configuration property \"compression.codec\"");
	invalid("kafka", "{\"bootstrapServers\": \"a:1\", \"config\": {\"client.id\": {\"a\": 1}}}",
			"config.client.id", "must be a string, a number or a boolean, not object");
	invalid("kafka", "{\"bootstrapServers\": \"a:1\", \"config\": {\"client.id\": null}}",
			"config.client.id", "not null");
	/* a secret property with a value librdkafka refuses: its message, masked */
	invalid("kafka", "{\"bootstrapServers\": \"a:1\", \"config\": {\"ssl.key.password\": \"keypass-7\", "
			"\"compression.codec\": \"keypass-7\"}}",
			"config.compression.codec", "Invalid value \"******\" for configuration property");
	invalid("kafka", "{\"bootstrapServers\": \"a:1\", \"security\": {\"protocol\": \"SASL_SSL\", "
			"\"username\": \"u\", \"password\": \"hunter2-kafka\"}, \"config\": {\"acks\": \"hunter2-kafka\"}}",
			"config.acks", "Invalid value");
	invalid("kafka", "{\"bootstrapServers\": \"a:1\", \"config\": {\"bootstrap.servers\": \"b:2\"}}",
			"config.bootstrap.servers", "conflicts with \"bootstrapServers\"");
	invalid("kafka", "{\"bootstrapServers\": \"a:1\", \"security\": {\"protocol\": \"SSL\"}, "
			"\"config\": {\"security.protocol\": \"plaintext\"}}",
			"config.security.protocol", "conflicts with \"security\"");
	invalid("kafka", "{\"bootstrapServers\": \"a:1\", \"config\": {\"plugin.library.paths\": \"/tmp/x.so\"}}",
			"config.plugin.library.paths", "is not allowed");
	invalid("kafka", "{\"bootstrapServers\": \"a:1\", \"config\": {\"sasl.kerberos.kinit.cmd\": \"rm -rf /\"}}",
			"config.sasl.kerberos.kinit.cmd", "is not allowed");
	invalid("kafka", "{\"bootstrapServers\": \"a:1\", \"config\": {\"log.queue\": false}}",
			"config.log.queue", "is not allowed");
	invalid("kafka", "{\"bootstrapServers\": \"a:1\", \"config\": {\"dr_cb\": \"x\"}}",
			"config.dr_cb", "invalid kafka property");
}

static void
test_mongodb(void)
{
	valid("mongodb", "{\"uri\": \"mongodb://localhost:27017\"}");
	valid("mongodb", "{\"uri\": \"mongodb://h1:1,h2:2/db?replicaSet=rs0\", \"username\": \"u\", "
		  "\"password\": \"mongo-pw-9\", \"authSource\": \"admin\"}");
	valid("mongodb", "{\"uri\": \"mongodb://u:uripass@localhost/?authSource=admin\"}");
	valid("mongodb", "{\"uri\": \"mongodb://localhost\", \"tls\": true, \"tlsCAFile\": \"/etc/ssl/ca.pem\", "
		  "\"tlsCertificateKeyFile\": \"/etc/ssl/me.pem\", \"tlsCertificateKeyFilePassword\": \"tlskey-pw\", "
		  "\"tlsAllowInvalidCertificates\": false}");
	valid("mongodb", "{\"uri\": \"mongodb://localhost\", \"tlsCAFile\": \"/etc/ssl/ca.pem\"}");
	valid("mongodb", "{\"uri\": \"mongodb://localhost\", \"tls\": false}");

	invalid("mongodb", "{}", "uri", "needs \"uri\"");
	invalid("mongodb", "{\"uri\": 5}", "uri", "must be a string, not int");
	invalid("mongodb", "{\"uri\": \"http://localhost\"}", "uri", "Invalid URI Schema");
	invalid("mongodb", "{\"uri\": \"mongodb://\"}", "uri", "invalid MongoDB URI");
	invalid("mongodb", "{\"uri\": \"mongodb://u:uripass@/db\"}", "uri", "invalid MongoDB URI");
	invalid("mongodb", "{\"uri\": \"mongo://u:uripass@host\"}", "uri", "Invalid URI Schema");
	invalid("mongodb", "{\"uri\": \"mongodb://localhost\", \"user\": \"u\"}", "user", "unknown key \"user\"");
	invalid("mongodb", "{\"uri\": \"mongodb://localhost\", \"username\": 1}", "username",
			"must be a string, not int");
	invalid("mongodb", "{\"uri\": \"mongodb://localhost\", \"password\": \"mongo-pw-9\"}", "password",
			"without a user name");
	invalid("mongodb", "{\"uri\": \"mongodb://localhost\", \"password\": [\"mongo-pw-9\"]}", "password",
			"must be a string, not array");
	invalid("mongodb", "{\"uri\": \"mongodb://a@localhost\", \"username\": \"b\"}", "username",
			"conflicts with the user in \"uri\"");
	invalid("mongodb", "{\"uri\": \"mongodb://a:uripass@localhost\", \"password\": \"mongo-pw-9\"}",
			"password", "conflicts with the password in \"uri\"");
	invalid("mongodb", "{\"uri\": \"mongodb://localhost\", \"tls\": \"yes\"}", "tls",
			"must be a boolean, not string");
	invalid("mongodb", "{\"uri\": \"mongodb://localhost\", \"tlsAllowInvalidCertificates\": 1}",
			"tlsAllowInvalidCertificates", "must be a boolean, not int");
	invalid("mongodb", "{\"uri\": \"mongodb://localhost\", \"tls\": false, \"tlsCAFile\": \"/x\"}",
			"tlsCAFile", "needs \"tls\": true");
	invalid("mongodb", "{\"uri\": \"mongodb://localhost\", \"authSource\": {}}", "authSource",
			"must be a string, not object");
}

static void
test_errors(void)
{
	bson_t	   *c = cfg("{}");
	bson_t		r = BSON_INITIALIZER;
	asp_error	err;

	asp_error_init(&err);
	ok(!asp_conn_validate("postgres", c, &err) && strstr(err.message, "unknown connection type \"postgres\"")
	   && strstr(err.hint, "kafka"), "unknown type refused: %s", err.message);
	asp_error_init(&err);
	ok(!asp_conn_validate(NULL, c, &err) && err.code == ASP_ERR_INVALID, "NULL type refused");
	asp_error_init(&err);
	ok(!asp_conn_test("s3", c, 1000, &r, &err) && bson_empty(&r), "test of unknown type refused");
	asp_error_init(&err);
	ok(!asp_conn_test("kafka", c, 0, &r, &err) && strstr(err.message, "timeout"), "timeout 0 refused");
	asp_error_init(&err);
	ok(!asp_conn_test("kafka", c, 1000, &r, &err) && strcmp(err.path, "bootstrapServers") == 0 &&
	   bson_empty(&r), "test of an invalid kafka config: validation error, no result");
	asp_error_init(&err);
	ok(!asp_conn_test("mongodb", c, 1000, &r, &err) && strcmp(err.path, "uri") == 0 &&
	   bson_empty(&r), "test of an invalid mongodb config: validation error, no result");
	bson_destroy(c);
	c = cfg("{\"bootstrapServers\": \"x:1\"}");
	ok(asp_conn_validate("kafka", c, NULL), "validate with err NULL");
	bson_destroy(&r);
	bson_destroy(c);
}

static void
test_secrets(void)
{
	ok(asp_conn_is_secret("kafka", "security.password"), "kafka security.password is a secret");
	ok(!asp_conn_is_secret("kafka", "security.username"), "kafka security.username is not");
	ok(!asp_conn_is_secret("kafka", "bootstrapServers"), "kafka bootstrapServers is not");
	ok(asp_conn_is_secret("kafka", "config.sasl.password"), "kafka config.sasl.password is");
	ok(asp_conn_is_secret("kafka", "config.ssl.key.password"), "kafka config.ssl.key.password is");
	ok(asp_conn_is_secret("kafka", "config.ssl.keystore.password"), "kafka config.ssl.keystore.password is");
	ok(asp_conn_is_secret("kafka", "config.ssl.key.pem"), "kafka config.ssl.key.pem is");
	ok(asp_conn_is_secret("kafka", "config.sasl.oauthbearer.client.secret"),
	   "kafka config.sasl.oauthbearer.client.secret is");
	ok(asp_conn_is_secret("kafka", "config.sasl.oauthbearer.config"), "kafka config.sasl.oauthbearer.config is");
	ok(!asp_conn_is_secret("kafka", "config.ssl.certificate.pem"), "kafka config.ssl.certificate.pem is not");
	ok(!asp_conn_is_secret("kafka", "config.client.id"), "kafka config.client.id is not");
	ok(!asp_conn_is_secret("kafka", "password"), "kafka top-level password is not a kafka key");
	ok(asp_conn_is_secret("mongodb", "password"), "mongodb password is a secret");
	ok(asp_conn_is_secret("mongodb", "tlsCertificateKeyFilePassword"), "mongodb tlsCertificateKeyFilePassword is");
	ok(!asp_conn_is_secret("mongodb", "uri"), "mongodb uri is not (its password is masked inside)");
	ok(!asp_conn_is_secret("mongodb", "username"), "mongodb username is not");
	ok(asp_conn_is_secret("other", "a.password"), "unknown type: *password* is a secret");
	ok(!asp_conn_is_secret(NULL, "password") && !asp_conn_is_secret("kafka", NULL), "NULL arguments");

	masked("kafka",
		   "{\"bootstrapServers\": \"a:1\", \"security\": {\"protocol\": \"SASL_SSL\", \"username\": \"u\", "
		   "\"password\": \"hunter2-kafka\"}, \"config\": {\"client.id\": \"c\", \"sasl.password\": \"x\", "
		   "\"ssl.key.pem\": \"PEMSECRET\", \"sasl.oauthbearer.client.secret\": \"clientsecret-x\", \"linger.ms\": 5}}",
		   "{\"bootstrapServers\": \"a:1\", \"security\": {\"protocol\": \"SASL_SSL\", \"username\": \"u\", "
		   "\"password\": \"******\"}, \"config\": {\"client.id\": \"c\", \"sasl.password\": \"******\", "
		   "\"ssl.key.pem\": \"******\", \"sasl.oauthbearer.client.secret\": \"******\", \"linger.ms\": 5}}");
	masked("kafka", "{\"bootstrapServers\": \"a:1\", \"security\": {\"password\": 12345}}",
		   "{\"bootstrapServers\": \"a:1\", \"security\": {\"password\": \"******\"}}");
	masked("kafka", "{\"bootstrapServers\": \"a:1\"}", "{\"bootstrapServers\": \"a:1\"}");
	masked("mongodb",
		   "{\"uri\": \"mongodb://u:uripass@h1:1,h2:2/db?authSource=admin\", \"username\": \"x\", "
		   "\"password\": \"mongo-pw-9\", \"tlsCertificateKeyFilePassword\": \"tlskey-pw\", \"tls\": true}",
		   "{\"uri\": \"mongodb://u:******@h1:1,h2:2/db?authSource=admin\", \"username\": \"x\", "
		   "\"password\": \"******\", \"tlsCertificateKeyFilePassword\": \"******\", \"tls\": true}");
	masked("mongodb", "{\"uri\": \"mongodb://u@h/?tls=true&tlsCertificateKeyFilePassword=tlskey-pw&appname=a\"}",
		   "{\"uri\": \"mongodb://u@h/?tls=true&tlsCertificateKeyFilePassword=******&appname=a\"}");
	masked("mongodb", "{\"uri\": \"mongodb+srv://u:p%40ss@cluster0.example.net/?retryWrites=true\"}",
		   "{\"uri\": \"mongodb+srv://u:******@cluster0.example.net/?retryWrites=true\"}");
	/* unescaped '@', '/', '?' in a password: all of it masked all the same */
	masked("mongodb", "{\"uri\": \"mongodb://u:p@ss@h\"}", "{\"uri\": \"mongodb://u:******@h\"}");
	masked("mongodb", "{\"uri\": \"mongodb://u:pa?ss@h/?appname=x\"}", "{\"uri\": \"mongodb://u:******@h/?appname=x\"}");
	masked("mongodb", "{\"uri\": \"mongodb://u:pa/ss@h\"}", "{\"uri\": \"mongodb://u:******@h\"}");
	masked("mongodb", "{\"uri\": \"mongodb://h:27017\"}", "{\"uri\": \"mongodb://h:27017\"}");
	masked("mongodb", "{\"uri\": \"not a uri:x@y\"}", "{\"uri\": \"not a uri:******@y\"}");
	masked("mongodb", "{\"uri\": 7, \"password\": 7}", "{\"uri\": 7, \"password\": \"******\"}");
	masked("other", "{\"apiPassword\": \"x\", \"n\": {\"clientSecret\": 1}}",
		   "{\"apiPassword\": \"******\", \"n\": {\"clientSecret\": \"******\"}}");

	/* the URI's password in librdkafka/libmongoc messages: masked */
	{
		bson_t	   *c = cfg("{\"uri\": \"mongodb://u:uripass@h:99999\"}");
		asp_error	err;

		asp_error_init(&err);
		ok(!asp_conn_validate("mongodb", c, &err) && strcmp(err.path, "uri") == 0 && !leaks_secret(&err),
		   "bad port in a URI with a password: refused, password not shown (%s)", err.message);
		bson_destroy(c);
	}
}

/* server_file: asp_conn_server_file gives want ("" for none) */
static void
server_file(const char *type, const char *json, const char *want)
{
	bson_t	   *c = cfg(json);
	char		key[256] = "";
	bool		res = asp_conn_server_file(type, c, key, sizeof(key));

	ok(want[0] ? res && strcmp(key, want) == 0 : !res, "%s server file \"%s\": %s (got %s)",
	   type, want, json, res ? key : "none");
	bson_destroy(c);
}

static void
test_server_files(void)
{
	server_file("kafka", "{\"bootstrapServers\": \"a:1\", \"config\": {\"client.id\": \"x\", "
				"\"ssl.ca.location\": \"/etc/ca.pem\"}}", "config.ssl.ca.location");
	server_file("kafka", "{\"bootstrapServers\": \"a:1\", \"config\": {\"sasl.kerberos.keytab\": \"/k\"}}",
				"config.sasl.kerberos.keytab");
	server_file("kafka", "{\"bootstrapServers\": \"a:1\", \"config\": {\"ssl.key.pem\": \"---\", "
				"\"ssl.ca.pem\": \"---\"}}", "");
	server_file("kafka", "{\"bootstrapServers\": \"a:1\"}", "");
	server_file("mongodb", "{\"uri\": \"mongodb://h\", \"tlsCAFile\": \"/ca\"}", "tlsCAFile");
	server_file("mongodb", "{\"uri\": \"mongodb://h\", \"tlsCertificateKeyFile\": \"/k\"}", "tlsCertificateKeyFile");
	server_file("mongodb", "{\"uri\": \"mongodb://h/?tls=true&tlsCAFile=/ca.pem\"}", "uri");
	server_file("mongodb", "{\"uri\": \"mongodb://h/?tls=true&tlsCertificateKeyFilePassword=x\"}", "");
	server_file("mongodb", "{\"uri\": \"mongodb://h/?appname=file\", \"tls\": true}", "");
}

int
main(void)
{
	test_kafka();
	test_mongodb();
	test_errors();
	test_secrets();
	test_server_files();
	return tap_done();
}
