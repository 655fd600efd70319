/*-------------------------------------------------------------------------
 *
 * conn_check.c
 *	  Connection configs of the registry: validation, secret masking and
 *	  reachability probes for the "kafka" and "mongodb" types.
 *
 * Plain C over libbson, librdkafka and libmongoc (see conn_check.h): no
 * PostgreSQL headers, so nothing here can palloc or ereport, and the
 * callbacks librdkafka runs are served on the caller's thread (log.queue,
 * rd_kafka_poll) and only write into a struct on the caller's stack.
 * librdkafka's own threads start with every signal blocked.
 *
 * Kafka config:
 *	 bootstrapServers  string, required
 *	 security          {protocol: PLAINTEXT|SSL|SASL_PLAINTEXT|SASL_SSL,
 *	                    mechanism: PLAIN|SCRAM-SHA-256|SCRAM-SHA-512,
 *	                    username, password (secret)}
 *	 config            {librdkafka property: string|number|bool}, each set
 *	                   with rd_kafka_conf_set, which reports bad names and
 *	                   values; properties holding secrets are secrets
 *
 * MongoDB config:
 *	 uri               string, required (mongoc_uri_new_with_error); its
 *	                   userinfo password is masked in place
 *	 username, password (secret), authSource, tls (bool), tlsCAFile,
 *	 tlsCertificateKeyFile, tlsCertificateKeyFilePassword (secret),
 *	 tlsAllowInvalidCertificates (bool)
 *
 * Validation builds exactly what a probe uses (an rd_kafka_conf_t, a
 * mongoc_uri_t) and frees it, so a config that validates is one the
 * libraries accept.  Every message that quotes a library has the values
 * of the config's secrets replaced by ASP_SECRET_MASK first.
 *
 *-------------------------------------------------------------------------
 */
#include <ctype.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <bson/bson.h>
#include <librdkafka/rdkafka.h>
#include <mongoc/mongoc.h>

#include "conn_check.h"

/* secret values of one config, to scrub from library messages */
#define CONN_MAX_SECRETS 32

typedef struct conn_secrets
{
	int			n;
	char	   *v[CONN_MAX_SECRETS];
} conn_secrets;

/* ---------------------------------------------------------------------
 * Shared helpers
 * ---------------------------------------------------------------------
 */

/* conn_type_name: the MongoDB name of a BSON type, for messages */
static const char *
conn_type_name(bson_type_t t)
{
	switch (t)
	{
		case BSON_TYPE_DOUBLE:
			return "double";
		case BSON_TYPE_UTF8:
			return "string";
		case BSON_TYPE_DOCUMENT:
			return "object";
		case BSON_TYPE_ARRAY:
			return "array";
		case BSON_TYPE_BINARY:
			return "binData";
		case BSON_TYPE_OID:
			return "objectId";
		case BSON_TYPE_BOOL:
			return "bool";
		case BSON_TYPE_DATE_TIME:
			return "date";
		case BSON_TYPE_NULL:
			return "null";
		case BSON_TYPE_REGEX:
			return "regex";
		case BSON_TYPE_INT32:
			return "int";
		case BSON_TYPE_TIMESTAMP:
			return "timestamp";
		case BSON_TYPE_INT64:
			return "long";
		case BSON_TYPE_DECIMAL128:
			return "decimal";
		default:
			return "other";
	}
}

/* secrets_add: remember a secret value (copied) to scrub from messages */
static void
secrets_add(conn_secrets *sec, const char *value)
{
	if (value == NULL || value[0] == '\0' || sec->n >= CONN_MAX_SECRETS)
		return;
	sec->v[sec->n++] = bson_strdup(value);
}

/* secrets_free: release the copies */
static void
secrets_free(conn_secrets *sec)
{
	int			i;

	for (i = 0; i < sec->n; i++)
	{
		bson_zero_free(sec->v[i], strlen(sec->v[i]));
		sec->v[i] = NULL;
	}
	sec->n = 0;
}

/*
 * scrub: copy msg into out (size outlen) with every occurrence of every
 * secret value replaced by ASP_SECRET_MASK.  Library messages may quote
 * a value they refused ("Invalid value \"...\" for ..."); this keeps a
 * password out of errors and results whatever the library prints.
 */
static void
scrub(const char *msg, const conn_secrets *sec, char *out, size_t outlen)
{
	size_t		o = 0;
	const char *p = msg;

	if (outlen == 0)
		return;
	while (*p && o + 1 < outlen)
	{
		size_t		best = 0;
		int			i;

		for (i = 0; sec && i < sec->n; i++)
		{
			size_t		l = strlen(sec->v[i]);

			if (l > best && strncmp(p, sec->v[i], l) == 0)
				best = l;
		}
		if (best > 0)
		{
			size_t		m = strlen(ASP_SECRET_MASK);

			if (o + m >= outlen)
				break;
			memcpy(out + o, ASP_SECRET_MASK, m);
			o += m;
			p += best;
		}
		else
			out[o++] = *p++;
	}
	out[o] = '\0';
}

/* conn_now_ms: monotonic milliseconds */
static double
conn_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* conn_fail: an ASP_ERR_INVALID error at a dotted key path, with a hint */
static bool
conn_fail(asp_error *err, const char *path, const char *hint, const char *fmt,...)
			__attribute__((format(printf, 4, 5)));

static bool
conn_fail(asp_error *err, const char *path, const char *hint, const char *fmt,...)
{
	va_list		ap;
	char		msg[ASP_ERROR_MSG_LEN];

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	asp_error_set(err, ASP_ERR_INVALID, "%s", msg);
	if (err != NULL)
	{
		if (path != NULL)
			snprintf(err->path, sizeof(err->path), "%s", path);
		if (hint != NULL)
			asp_error_hint(err, "%s", hint);
	}
	return false;
}

/* conn_wrong_type: "<key>" must be <what>, not <type> */
static bool
conn_wrong_type(asp_error *err, const char *path, const char *what,
				const bson_iter_t *it, const char *hint)
{
	return conn_fail(err, path, hint, "connection config key \"%s\" must be %s, not %s",
					 path, what, conn_type_name(bson_iter_type(it)));
}

/* conn_unknown_key: an unknown key, the hint lists the accepted ones */
static bool
conn_unknown_key(asp_error *err, const char *type, const char *path, const char *accepted)
{
	char		hint[ASP_ERROR_MSG_LEN];

	snprintf(hint, sizeof(hint), "the keys accepted here are %s", accepted);
	return conn_fail(err, path, hint, "unknown key \"%s\" in %s connection config",
					 path, type);
}

/* conn_string: the string at it, or fail naming path */
static bool
conn_string(const bson_iter_t *it, const char *path, const char **out,
			asp_error *err, const char *hint)
{
	if (!BSON_ITER_HOLDS_UTF8(it))
		return conn_wrong_type(err, path, "a string", it,
							   hint ? hint : "give a string (in double quotes)");
	*out = bson_iter_utf8(it, NULL);
	if (strlen(*out) != bson_iter_utf8_len_unsafe(it))
		return conn_fail(err, path, hint, "connection config key \"%s\" contains a NUL character", path);
	return true;
}

/* conn_bool: the boolean at it, or fail naming path */
static bool
conn_bool(const bson_iter_t *it, const char *path, bool *out, asp_error *err)
{
	if (!BSON_ITER_HOLDS_BOOL(it))
		return conn_wrong_type(err, path, "a boolean", it, "use true or false");
	*out = bson_iter_bool(it);
	return true;
}

/* ---------------------------------------------------------------------
 * Secrets
 * ---------------------------------------------------------------------
 */

/* name_has: does name contain word, ignoring case? */
static bool
name_has(const char *name, const char *word)
{
	size_t		wl = strlen(word);

	for (; *name; name++)
		if (strncasecmp(name, word, wl) == 0)
			return true;
	return false;
}

/*
 * kafka_property_is_secret: librdkafka properties holding secrets: every
 * "*password*" and "*secret*" (sasl.password, ssl.key.password,
 * ssl.keystore.password, sasl.oauthbearer.client.secret), the private key
 * in PEM and the OAUTHBEARER config string (it may carry credentials).
 */
static bool
kafka_property_is_secret(const char *name)
{
	return name_has(name, "password") || name_has(name, "secret") ||
		strcmp(name, "ssl.key.pem") == 0 || strcmp(name, "ssl_key") == 0 ||
		strcmp(name, "sasl.oauthbearer.config") == 0;
}

/* asp_conn_is_secret: does this dotted key of a config of this type hold a secret? */
bool
asp_conn_is_secret(const char *type, const char *dotted_key)
{
	if (type == NULL || dotted_key == NULL)
		return false;
	if (strcmp(type, "kafka") == 0)
	{
		if (strcmp(dotted_key, "security.password") == 0)
			return true;
		if (strncmp(dotted_key, "config.", 7) == 0)
			return kafka_property_is_secret(dotted_key + 7);
		return false;
	}
	if (strcmp(type, "mongodb") == 0)
		return strcmp(dotted_key, "password") == 0 ||
			strcmp(dotted_key, "tlsCertificateKeyFilePassword") == 0;
	/* unknown types: anything named like a secret */
	return name_has(dotted_key, "password") || name_has(dotted_key, "secret");
}

/* uri_option_is_secret: URI options whose value is a secret */
static bool
uri_option_is_secret(const char *name, size_t len)
{
	static const char *const secret_opts[] = {
		"tlsCertificateKeyFilePassword", "sslClientCertificateKeyPassword",
		"sslCertificateKeyFilePassword", "authMechanismProperties"
	};
	size_t		i;

	for (i = 0; i < sizeof(secret_opts) / sizeof(secret_opts[0]); i++)
		if (strlen(secret_opts[i]) == len && strncasecmp(name, secret_opts[i], len) == 0)
			return true;
	return false;
}

/*
 * uri_mask: a copy (bson_malloc'd) of a MongoDB URI with the password of
 * its userinfo and the values of secret options replaced by the mask;
 * with sec, also remember those raw (percent-encoded) values, to scrub
 * messages about a URI libmongoc refused (its own parse is then missing).
 *
 * The userinfo ends at the last '@' before the first '?' (libmongoc wants
 * '@', ':', '/' and '?' of a password percent-encoded); if there is none
 * there, at the last '@' of the whole string, so that a password with an
 * unescaped '?' is masked too (over-masking a query option is harmless,
 * showing part of a password is not).
 */
static char *
uri_mask(const char *uri, conn_secrets *sec)
{
	const char *scheme_end = strstr(uri, "://");
	const char *auth = scheme_end ? scheme_end + 3 : uri;
	const char *q = strchr(auth, '?');
	const char *at = NULL;
	const char *p;
	size_t		cap = strlen(uri) + 64;
	char	   *out;
	size_t		o = 0;
	const char *rest;

	for (p = auth; *p && (q == NULL || p < q); p++)
		if (*p == '@')
			at = p;
	if (at == NULL)
		at = strrchr(auth, '@');

	/* every secret is replaced by the mask at most once per option: room enough */
	for (p = uri; *p; p++)
		if (*p == '=' || *p == ':')
			cap += strlen(ASP_SECRET_MASK);
	out = bson_malloc(cap);
	out[0] = '\0';

	/* scheme and userinfo */
	rest = uri;
	if (at != NULL)
	{
		const char *colon = memchr(auth, ':', at - auth);

		if (colon != NULL)
		{
			o += snprintf(out + o, cap - o, "%.*s%s", (int) (colon + 1 - uri), uri, ASP_SECRET_MASK);
			if (sec != NULL)
			{
				char	   *v = bson_strndup(colon + 1, at - colon - 1);

				secrets_add(sec, v);
				bson_free(v);
			}
			rest = at;
		}
	}

	/* hosts and path as they are, then the options, masking secret values */
	q = strchr(rest, '?');
	if (q == NULL)
	{
		snprintf(out + o, cap - o, "%s", rest);
		return out;
	}
	o += snprintf(out + o, cap - o, "%.*s", (int) (q + 1 - rest), rest);
	p = q + 1;
	while (*p)
	{
		size_t		len = strcspn(p, "&;");
		const char *eq = memchr(p, '=', len);

		if (eq != NULL && uri_option_is_secret(p, eq - p))
		{
			o += snprintf(out + o, cap - o, "%.*s%s", (int) (eq + 1 - p), p, ASP_SECRET_MASK);
			if (sec != NULL)
			{
				char	   *v = bson_strndup(eq + 1, len - (eq + 1 - p));

				secrets_add(sec, v);
				bson_free(v);
			}
		}
		else
			o += snprintf(out + o, cap - o, "%.*s", (int) len, p);
		p += len;
		if (*p)
			o += snprintf(out + o, cap - o, "%c", *p++);
	}
	return out;
}

/* mask_doc: copy a (sub)document, masking secrets by dotted path */
static void
mask_doc(const char *type, bson_iter_t *it, const char *prefix, bson_t *out)
{
	while (bson_iter_next(it))
	{
		const char *key = bson_iter_key(it);
		char		path[512];

		snprintf(path, sizeof(path), "%s%s%s", prefix, prefix[0] ? "." : "", key);
		if (asp_conn_is_secret(type, path))
			BSON_APPEND_UTF8(out, key, ASP_SECRET_MASK);
		else if (BSON_ITER_HOLDS_DOCUMENT(it))
		{
			bson_iter_t child;
			bson_t		sub;

			bson_iter_recurse(it, &child);
			bson_append_document_begin(out, key, -1, &sub);
			mask_doc(type, &child, path, &sub);
			bson_append_document_end(out, &sub);
		}
		else if (type != NULL && strcmp(type, "mongodb") == 0 && prefix[0] == '\0' &&
				 strcmp(key, "uri") == 0 && BSON_ITER_HOLDS_UTF8(it))
		{
			char	   *m = uri_mask(bson_iter_utf8(it, NULL), NULL);

			BSON_APPEND_UTF8(out, key, m);
			bson_free(m);
		}
		else
			bson_append_iter(out, key, -1, it);
	}
}

/*
 * asp_conn_mask: copy config into out (initialised by the caller) with
 * every secret replaced by ASP_SECRET_MASK, and the password inside a
 * MongoDB URI masked in place.
 */
void
asp_conn_mask(const char *type, const bson_t *config, bson_t *out)
{
	bson_iter_t it;

	if (!bson_iter_init(&it, config))
		return;
	mask_doc(type, &it, "", out);
}

/* name_ends: does name end with suffix? */
static bool
name_ends(const char *name, const char *suffix)
{
	size_t		n = strlen(name),
				l = strlen(suffix);

	return n >= l && strcasecmp(name + n - l, suffix) == 0;
}

/*
 * asp_conn_server_file: does the config name a file of the database
 * server?  librdkafka: the properties "*.location" (ssl.ca.location,
 * ssl.certificate.location, ssl.key.location, ssl.keystore.location,
 * ssl.crl.location), "*.keytab" and any "*file*" or "*path*"; libmongoc:
 * tlsCAFile, tlsCertificateKeyFile and URI options named "*file*" (but
 * not "*password").
 */
bool
asp_conn_server_file(const char *type, const bson_t *config, char *key, size_t keylen)
{
	bson_iter_t it;

	if (type == NULL || !bson_iter_init(&it, config))
		return false;
	while (bson_iter_next(&it))
	{
		const char *k = bson_iter_key(&it);

		if (strcmp(type, "kafka") == 0 && strcmp(k, "config") == 0 &&
			BSON_ITER_HOLDS_DOCUMENT(&it))
		{
			bson_iter_t c;

			bson_iter_recurse(&it, &c);
			while (bson_iter_next(&c))
			{
				const char *name = bson_iter_key(&c);

				if (name_ends(name, ".location") || name_ends(name, ".keytab") ||
					name_has(name, "file") || name_has(name, "path"))
				{
					snprintf(key, keylen, "config.%s", name);
					return true;
				}
			}
		}
		else if (strcmp(type, "mongodb") == 0 &&
				 (strcmp(k, "tlsCAFile") == 0 || strcmp(k, "tlsCertificateKeyFile") == 0))
		{
			snprintf(key, keylen, "%s", k);
			return true;
		}
		else if (strcmp(type, "mongodb") == 0 && strcmp(k, "uri") == 0 &&
				 BSON_ITER_HOLDS_UTF8(&it))
		{
			const char *q = strchr(bson_iter_utf8(&it, NULL), '?');

			while (q != NULL && *q)
			{
				size_t		len;
				char		opt[128];
				const char *eq;

				q++;
				len = strcspn(q, "&;");
				eq = memchr(q, '=', len);
				snprintf(opt, sizeof(opt), "%.*s", (int) (eq ? eq - q : (long) len), q);
				if (name_has(opt, "file") && !name_ends(opt, "password"))
				{
					snprintf(key, keylen, "uri");
					return true;
				}
				q += len;
			}
		}
	}
	return false;
}

/* ---------------------------------------------------------------------
 * Kafka
 * ---------------------------------------------------------------------
 */

#define KAFKA_TOP_KEYS "bootstrapServers, security and config"
#define KAFKA_SECURITY_KEYS "protocol, mechanism, username and password"
#define KAFKA_PROTOCOLS "PLAINTEXT, SSL, SASL_PLAINTEXT or SASL_SSL"
#define KAFKA_MECHANISMS "PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512"

/*
 * Properties a connection may not set: they load code or run a command
 * in the database server's process.
 */
static const char *const kafka_forbidden[] = {
	"plugin.library.paths", "sasl.kerberos.kinit.cmd", "ssl.engine.location",
	"ssl.providers", "ssl.engine.id", "interceptors"
};

/* properties the top-level keys set: config may not set them again */
static const char *const kafka_bootstrap_props[] = {
	"bootstrap.servers", "metadata.broker.list"
};
static const char *const kafka_security_props[] = {
	"security.protocol", "sasl.mechanisms", "sasl.mechanism", "sasl.username",
	"sasl.password"
};

/* in_list: is name one of the n strings of list? */
static bool
in_list(const char *name, const char *const *list, size_t n)
{
	size_t		i;

	for (i = 0; i < n; i++)
		if (strcmp(name, list[i]) == 0)
			return true;
	return false;
}

/* kafka_set: rd_kafka_conf_set, reporting librdkafka's message at path */
static bool
kafka_set(rd_kafka_conf_t *conf, const char *name, const char *value,
		  const char *path, const conn_secrets *sec, asp_error *err)
{
	char		errstr[512];
	char		clean[512];

	if (rd_kafka_conf_set(conf, name, value, errstr, sizeof(errstr)) == RD_KAFKA_CONF_OK)
		return true;
	scrub(errstr, sec, clean, sizeof(clean));
	if (strncmp(path, "config.", 7) != 0)
		return conn_fail(err, path, "librdkafka refused the value of this key",
						 "invalid value for \"%s\": %s", path, clean);
	return conn_fail(err, path,
					 "\"config\" takes librdkafka properties (CONFIGURATION.md of librdkafka) "
					 "with string, number or boolean values",
					 "invalid kafka property \"%s\": %s", path, clean);
}

/*
 * kafka_value: the string librdkafka gets for a property value: a string
 * as it is (*out points into the config: PEM values may be long), a
 * number or boolean written into buf
 */
static bool
kafka_value(const bson_iter_t *it, const char *path, const char **out,
			char *buf, size_t len, asp_error *err)
{
	*out = buf;
	switch (bson_iter_type(it))
	{
		case BSON_TYPE_UTF8:
			return conn_string(it, path, out, err, NULL);
		case BSON_TYPE_INT32:
			snprintf(buf, len, "%d", bson_iter_int32(it));
			return true;
		case BSON_TYPE_INT64:
			snprintf(buf, len, "%lld", (long long) bson_iter_int64(it));
			return true;
		case BSON_TYPE_DOUBLE:
			{
				double		d = bson_iter_double(it);

				if (!isfinite(d))
					return conn_fail(err, path, "give a finite number",
									 "connection config key \"%s\" must be a finite number", path);
				if (d > -1e18 && d < 1e18 && d == (double) (long long) d)
					snprintf(buf, len, "%lld", (long long) d);
				else
					snprintf(buf, len, "%.17g", d);
				return true;
			}
		case BSON_TYPE_BOOL:
			snprintf(buf, len, "%s", bson_iter_bool(it) ? "true" : "false");
			return true;
		default:
			return conn_wrong_type(err, path, "a string, a number or a boolean", it,
								   "librdkafka properties take strings, numbers or booleans");
	}
}

/*
 * kafka_build_conf: check a kafka config and build the rd_kafka_conf_t it
 * describes.  On success *confp is set (the caller destroys it, or gives
 * it to rd_kafka_new) and sec holds the secret values; on failure nothing
 * is left allocated but sec (which the caller frees in any case).
 */
static bool
kafka_build_conf(const bson_t *config, rd_kafka_conf_t **confp,
				 conn_secrets *sec, asp_error *err)
{
	bson_iter_t it;
	bson_iter_t bootstrap_it,
				security_it,
				config_it;
	bool		has_bootstrap = false,
				has_security = false,
				has_config = false;
	const char *bootstrap = NULL;
	const char *protocol = NULL,
			   *mechanism = NULL,
			   *username = NULL,
			   *password = NULL;
	const char *protocol_key = NULL;
	rd_kafka_conf_t *conf = NULL;
	char		errstr[256];

	*confp = NULL;
	if (!bson_iter_init(&it, config))
		return conn_fail(err, NULL, NULL, "kafka connection config is not a valid document");
	while (bson_iter_next(&it))
	{
		const char *key = bson_iter_key(&it);

		if (strcmp(key, "bootstrapServers") == 0)
		{
			bootstrap_it = it;
			has_bootstrap = true;
		}
		else if (strcmp(key, "security") == 0)
		{
			security_it = it;
			has_security = true;
		}
		else if (strcmp(key, "config") == 0)
		{
			config_it = it;
			has_config = true;
		}
		else
			return conn_unknown_key(err, "kafka", key, KAFKA_TOP_KEYS);
	}

	/* bootstrapServers */
	if (!has_bootstrap)
		return conn_fail(err, "bootstrapServers",
						 "give the brokers as \"host:port[,host:port...]\" in \"bootstrapServers\"",
						 "kafka connection config needs \"bootstrapServers\"");
	if (!conn_string(&bootstrap_it, "bootstrapServers", &bootstrap, err,
					 "give the brokers as \"host:port[,host:port...]\""))
		return false;
	if (bootstrap[0] == '\0')
		return conn_fail(err, "bootstrapServers",
						 "give the brokers as \"host:port[,host:port...]\"",
						 "kafka connection config key \"bootstrapServers\" is empty");

	/* security: check the keys first, the secrets are known before any message */
	if (has_security)
	{
		bson_iter_t s;

		if (!BSON_ITER_HOLDS_DOCUMENT(&security_it))
			return conn_wrong_type(err, "security", "an object", &security_it,
								   "\"security\" is an object with " KAFKA_SECURITY_KEYS);
		bson_iter_recurse(&security_it, &s);
		while (bson_iter_next(&s))
		{
			const char *key = bson_iter_key(&s);

			if (strcmp(key, "password") == 0)
			{
				if (!BSON_ITER_HOLDS_UTF8(&s))
					return conn_wrong_type(err, "security.password", "a string", &s,
										   "give a string (in double quotes)");
				password = bson_iter_utf8(&s, NULL);
				secrets_add(sec, password);
			}
		}
		bson_iter_recurse(&security_it, &s);
		while (bson_iter_next(&s))
		{
			const char *key = bson_iter_key(&s);
			char		path[300];

			snprintf(path, sizeof(path), "security.%s", key);
			if (strcmp(key, "protocol") == 0)
			{
				static const char *const protocols[] = {"PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"};
				size_t		i;

				if (!conn_string(&s, path, &protocol, err, "use " KAFKA_PROTOCOLS))
					return false;
				for (i = 0; i < 4; i++)
					if (strcasecmp(protocol, protocols[i]) == 0)
						break;
				if (i == 4)
					return conn_fail(err, path, "use " KAFKA_PROTOCOLS,
									 "invalid value \"%s\" for \"security.protocol\"", protocol);
				protocol = protocols[i];
				protocol_key = "security.protocol";
			}
			else if (strcmp(key, "mechanism") == 0)
			{
				static const char *const mechanisms[] = {"PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"};
				size_t		i;

				if (!conn_string(&s, path, &mechanism, err, "use " KAFKA_MECHANISMS))
					return false;
				for (i = 0; i < 3; i++)
					if (strcasecmp(mechanism, mechanisms[i]) == 0)
						break;
				if (i == 3)
					return conn_fail(err, path, "use " KAFKA_MECHANISMS,
									 "invalid value \"%s\" for \"security.mechanism\"", mechanism);
				mechanism = mechanisms[i];
			}
			else if (strcmp(key, "username") == 0)
			{
				if (!conn_string(&s, path, &username, err, NULL))
					return false;
			}
			else if (strcmp(key, "password") == 0)
			{
				if (!conn_string(&s, path, &password, err, NULL))
					return false;
			}
			else
				return conn_unknown_key(err, "kafka", path, KAFKA_SECURITY_KEYS);
		}
		if (protocol == NULL && (mechanism || username || password))
			return conn_fail(err, "security.protocol",
							 "set \"security.protocol\" to SASL_SSL or SASL_PLAINTEXT",
							 "kafka connection config needs \"security.protocol\" with \"security.%s\"",
							 mechanism ? "mechanism" : username ? "username" : "password");
		if (protocol != NULL && strncmp(protocol, "SASL_", 5) == 0)
		{
			if (username == NULL || password == NULL)
				return conn_fail(err, username ? "security.password" : "security.username",
								 "SASL needs \"security.username\" and \"security.password\"",
								 "kafka connection config needs \"%s\" with protocol %s",
								 username ? "security.password" : "security.username", protocol);
			if (mechanism == NULL)
				mechanism = "PLAIN";
		}
		else if (protocol != NULL && (mechanism || username || password))
			return conn_fail(err,
							 mechanism ? "security.mechanism" : username ? "security.username" : "security.password",
							 "use protocol SASL_SSL or SASL_PLAINTEXT to authenticate with a username and password",
							 "\"security.%s\" needs a SASL protocol, not %s",
							 mechanism ? "mechanism" : username ? "username" : "password", protocol);
	}

	/* the secrets among the librdkafka properties */
	if (has_config)
	{
		bson_iter_t c;

		if (!BSON_ITER_HOLDS_DOCUMENT(&config_it))
			return conn_wrong_type(err, "config", "an object", &config_it,
								   "\"config\" is an object of librdkafka properties, "
								   "e.g. {\"client.id\": \"asp\"}");
		bson_iter_recurse(&config_it, &c);
		while (bson_iter_next(&c))
		{
			char		buf[64];
			const char *v;

			if (kafka_property_is_secret(bson_iter_key(&c)) &&
				kafka_value(&c, "config", &v, buf, sizeof(buf), NULL))
				secrets_add(sec, v);
		}
	}

	conf = rd_kafka_conf_new();
	if (!kafka_set(conf, "bootstrap.servers", bootstrap, "bootstrapServers", sec, err))
		goto fail;
	if (protocol != NULL)
	{
		char		lower[32];
		size_t		i;

		for (i = 0; protocol[i] && i < sizeof(lower) - 1; i++)
			lower[i] = tolower((unsigned char) protocol[i]);
		lower[i] = '\0';
		if (!kafka_set(conf, "security.protocol", lower, protocol_key, sec, err))
			goto fail;
	}
	if (mechanism != NULL &&
		!kafka_set(conf, "sasl.mechanisms", mechanism, "security.mechanism", sec, err))
		goto fail;
	if (username != NULL &&
		!kafka_set(conf, "sasl.username", username, "security.username", sec, err))
		goto fail;
	if (password != NULL &&
		!kafka_set(conf, "sasl.password", password, "security.password", sec, err))
		goto fail;

	if (has_config)
	{
		bson_iter_t c;

		bson_iter_recurse(&config_it, &c);
		while (bson_iter_next(&c))
		{
			const char *name = bson_iter_key(&c);
			char		path[300];
			char		buf[64];
			const char *v;

			snprintf(path, sizeof(path), "config.%s", name);
			if (in_list(name, kafka_forbidden, sizeof(kafka_forbidden) / sizeof(kafka_forbidden[0])))
			{
				conn_fail(err, path, "remove it: connections cannot load code or run commands in the database server",
						  "kafka property \"%s\" is not allowed", path);
				goto fail;
			}
			if (in_list(name, kafka_bootstrap_props, 2))
			{
				conn_fail(err, path, "give the brokers in \"bootstrapServers\" only",
						  "kafka property \"%s\" conflicts with \"bootstrapServers\"", path);
				goto fail;
			}
			if (has_security && in_list(name, kafka_security_props, 5))
			{
				conn_fail(err, path, "set it in \"security\" or in \"config\", not both",
						  "kafka property \"%s\" conflicts with \"security\"", path);
				goto fail;
			}
			if (strcmp(name, "log.queue") == 0)
			{
				conn_fail(err, path, "remove it: asp serves librdkafka's logs itself",
						  "kafka property \"%s\" is not allowed", path);
				goto fail;
			}
			if (!kafka_value(&c, path, &v, buf, sizeof(buf), err))
				goto fail;
			if (!kafka_set(conf, name, v, path, sec, err))
				goto fail;
		}
	}

	/* our own: logs and errors queued for the caller's thread */
	if (rd_kafka_conf_set(conf, "log.queue", "true", errstr, sizeof(errstr)) != RD_KAFKA_CONF_OK)
	{
		asp_error_set(err, ASP_ERR_INTERNAL, "librdkafka refused log.queue: %s", errstr);
		goto fail;
	}
	*confp = conf;
	return true;

fail:
	if (conf != NULL)
		rd_kafka_conf_destroy(conf);
	return false;
}

/* what the librdkafka callbacks of one probe collect, on the caller's thread */
typedef struct kafka_probe
{
	int			nerrors;
	bool		all_down;		/* every broker refused or is unreachable */
	char		first_error[512];	/* first error_cb reason other than "all brokers down" */
	char		any_error[512]; /* the first of any */
} kafka_probe;

/* kafka_error_cb: served by rd_kafka_poll on the caller's thread */
static void
kafka_error_cb(rd_kafka_t *rk, int error, const char *reason, void *opaque)
{
	kafka_probe *probe = opaque;

	(void) rk;
	probe->nerrors++;
	if (error == RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN)
		probe->all_down = true;
	if (probe->any_error[0] == '\0')
		snprintf(probe->any_error, sizeof(probe->any_error), "%s", reason);
	if (probe->first_error[0] == '\0' && error != RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN)
		snprintf(probe->first_error, sizeof(probe->first_error), "%s", reason);
}

/* kafka_log_cb: librdkafka's log lines are dropped (errors come through error_cb) */
static void
kafka_log_cb(const rd_kafka_t *rk, int level, const char *fac, const char *buf)
{
	(void) rk;
	(void) level;
	(void) fac;
	(void) buf;
}

/* kafka_test: metadata of the whole cluster within timeout_ms */
static bool
kafka_test(const bson_t *config, int timeout_ms, bson_t *result, asp_error *err)
{
	conn_secrets sec = {0};
	rd_kafka_conf_t *conf;
	rd_kafka_t *rk;
	kafka_probe probe;
	char		errstr[512];
	char		msg[1100];
	char		clean[1100];
	const struct rd_kafka_metadata *md = NULL;
	rd_kafka_resp_err_t rerr;
	double		deadline;
	int			slice;
	sigset_t	all_signals,
				old_signals;

	if (!kafka_build_conf(config, &conf, &sec, err))
	{
		secrets_free(&sec);
		return false;
	}
	memset(&probe, 0, sizeof(probe));
	rd_kafka_conf_set_opaque(conf, &probe);
	rd_kafka_conf_set_error_cb(conf, kafka_error_cb);
	rd_kafka_conf_set_log_cb(conf, kafka_log_cb);

	/*
	 * librdkafka's threads inherit the signal mask of the thread that
	 * creates them: every signal is blocked while they start, so that the
	 * process's handlers (PostgreSQL's, in a backend) only ever run on
	 * the caller's thread.  librdkafka 2.0 does this itself in
	 * rd_kafka_new; doing it here too keeps it true of any version.
	 */
	sigfillset(&all_signals);
	pthread_sigmask(SIG_SETMASK, &all_signals, &old_signals);
	rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof(errstr));
	pthread_sigmask(SIG_SETMASK, &old_signals, NULL);
	if (rk == NULL)
	{
		/* the conf is still ours when rd_kafka_new fails */
		rd_kafka_conf_destroy(conf);
		scrub(errstr, &sec, clean, sizeof(clean));
		BSON_APPEND_BOOL(result, "ok", false);
		BSON_APPEND_UTF8(result, "type", "kafka");
		BSON_APPEND_UTF8(result, "error", clean);
		secrets_free(&sec);
		return true;
	}
	/* logs to the main queue, served (and dropped) by rd_kafka_poll below */
	rd_kafka_set_log_queue(rk, NULL);

	/*
	 * Metadata requests in growing slices of the time, so that a cluster
	 * whose every broker is down (refused, unresolvable) fails at once
	 * rather than when the time is up; librdkafka keeps reconnecting
	 * between the slices, and a slow cluster gets longer ones.
	 */
	deadline = conn_now_ms() + timeout_ms;
	for (slice = 100;; slice *= 2)
	{
		double		left = deadline - conn_now_ms();
		double		t0 = conn_now_ms();
		int			wait = left < slice ? (int) left : slice;

		rerr = rd_kafka_metadata(rk, 1, NULL, &md, wait > 0 ? wait : 1);
		rd_kafka_poll(rk, 0);
		if (rerr == RD_KAFKA_RESP_ERR_NO_ERROR || probe.all_down || conn_now_ms() >= deadline)
			break;
		/* an early failure: wait a little before asking again */
		if (conn_now_ms() - t0 < wait / 2)
		{
			left = deadline - conn_now_ms();
			rd_kafka_poll(rk, left < 100 ? (int) left : 100);
			if (probe.all_down)
				break;
		}
	}

	BSON_APPEND_BOOL(result, "ok", rerr == RD_KAFKA_RESP_ERR_NO_ERROR);
	BSON_APPEND_UTF8(result, "type", "kafka");
	if (rerr == RD_KAFKA_RESP_ERR_NO_ERROR)
	{
		BSON_APPEND_INT32(result, "brokers", md->broker_cnt);
		BSON_APPEND_INT32(result, "topics", md->topic_cnt);
		rd_kafka_metadata_destroy(md);
	}
	else
	{
		const char *why = probe.first_error[0] ? probe.first_error : probe.any_error;

		if (why[0])
			snprintf(msg, sizeof(msg), "%s: %s", rd_kafka_err2str(rerr), why);
		else
			snprintf(msg, sizeof(msg), "%s: no answer from the brokers within %d ms",
					 rd_kafka_err2str(rerr), timeout_ms);
		scrub(msg, &sec, clean, sizeof(clean));
		BSON_APPEND_UTF8(result, "error", clean);
	}
	rd_kafka_destroy(rk);
	secrets_free(&sec);
	return true;
}

/* ---------------------------------------------------------------------
 * MongoDB
 * ---------------------------------------------------------------------
 */

#define MONGO_KEYS "uri, username, password, authSource, tls, tlsCAFile, " \
	"tlsCertificateKeyFile, tlsCertificateKeyFilePassword and tlsAllowInvalidCertificates"

static pthread_once_t mongo_once = PTHREAD_ONCE_INIT;

/*
 * mongo_log: libmongoc's log handler: warnings and critical messages go
 * to its default handler (standard error, the server log in a backend);
 * its errors do not (they repeat what it returns in a bson_error_t, which
 * we report), nor its debug and info lines ("Authentication failed" while
 * probing).
 */
static void
mongo_log(mongoc_log_level_t level, const char *domain, const char *message,
		  void *data)
{
	if (level == MONGOC_LOG_LEVEL_WARNING || level == MONGOC_LOG_LEVEL_CRITICAL)
		mongoc_log_default_handler(level, domain, message, data);
}

/* mongo_init: mongoc_init and the log handler, once per process */
static void
mongo_init(void)
{
	mongoc_init();
	mongoc_log_set_handler(mongo_log, NULL);
}

/*
 * mongo_build_uri: check a mongodb config and build the mongoc_uri_t it
 * describes (the caller destroys it); sec gets the secret values.
 */
static bool
mongo_build_uri(const bson_t *config, mongoc_uri_t **urip, conn_secrets *sec,
				asp_error *err)
{
	bson_iter_t it;
	const char *uri_str = NULL;
	const char *username = NULL,
			   *password = NULL,
			   *auth_source = NULL,
			   *ca_file = NULL,
			   *key_file = NULL,
			   *key_password = NULL;
	bool		has_tls = false,
				tls = false,
				has_invalid = false,
				allow_invalid = false;
	mongoc_uri_t *uri;
	bson_error_t berr;
	char		clean[ASP_ERROR_MSG_LEN];

	*urip = NULL;
	pthread_once(&mongo_once, mongo_init);
	if (!bson_iter_init(&it, config))
		return conn_fail(err, NULL, NULL, "mongodb connection config is not a valid document");

	/* the secrets first, so that no message below can show one */
	while (bson_iter_next(&it))
	{
		const char *key = bson_iter_key(&it);

		if (BSON_ITER_HOLDS_UTF8(&it) &&
			(strcmp(key, "password") == 0 || strcmp(key, "tlsCertificateKeyFilePassword") == 0))
			secrets_add(sec, bson_iter_utf8(&it, NULL));
		if (BSON_ITER_HOLDS_UTF8(&it) && strcmp(key, "uri") == 0)
			bson_free(uri_mask(bson_iter_utf8(&it, NULL), sec));
	}

	bson_iter_init(&it, config);
	while (bson_iter_next(&it))
	{
		const char *key = bson_iter_key(&it);

		if (strcmp(key, "uri") == 0)
		{
			if (!conn_string(&it, key, &uri_str, err,
							 "give a connection string, e.g. \"mongodb://host:27017\""))
				return false;
		}
		else if (strcmp(key, "username") == 0)
		{
			if (!conn_string(&it, key, &username, err, NULL))
				return false;
		}
		else if (strcmp(key, "password") == 0)
		{
			if (!conn_string(&it, key, &password, err, NULL))
				return false;
		}
		else if (strcmp(key, "authSource") == 0)
		{
			if (!conn_string(&it, key, &auth_source, err, "the database holding the user, e.g. \"admin\""))
				return false;
		}
		else if (strcmp(key, "tls") == 0)
		{
			if (!conn_bool(&it, key, &tls, err))
				return false;
			has_tls = true;
		}
		else if (strcmp(key, "tlsCAFile") == 0)
		{
			if (!conn_string(&it, key, &ca_file, err, "the path of a PEM file"))
				return false;
		}
		else if (strcmp(key, "tlsCertificateKeyFile") == 0)
		{
			if (!conn_string(&it, key, &key_file, err, "the path of a PEM file"))
				return false;
		}
		else if (strcmp(key, "tlsCertificateKeyFilePassword") == 0)
		{
			if (!conn_string(&it, key, &key_password, err, NULL))
				return false;
		}
		else if (strcmp(key, "tlsAllowInvalidCertificates") == 0)
		{
			if (!conn_bool(&it, key, &allow_invalid, err))
				return false;
			has_invalid = true;
		}
		else
			return conn_unknown_key(err, "mongodb", key, MONGO_KEYS);
	}
	if (uri_str == NULL)
		return conn_fail(err, "uri", "give a connection string, e.g. \"mongodb://host:27017\"",
						 "mongodb connection config needs \"uri\"");

	uri = mongoc_uri_new_with_error(uri_str, &berr);
	if (uri == NULL)
	{
		scrub(berr.message, sec, clean, sizeof(clean));
		return conn_fail(err, "uri",
						 "give a connection string, e.g. \"mongodb://user@host:27017/?authSource=admin\"",
						 "invalid MongoDB URI in \"uri\": %s", clean);
	}
	if (mongoc_uri_get_password(uri) != NULL)
		secrets_add(sec, mongoc_uri_get_password(uri));

	if (username != NULL)
	{
		if (mongoc_uri_get_username(uri) != NULL)
		{
			conn_fail(err, "username", "give the user in \"uri\" or in \"username\", not both",
					  "mongodb connection config key \"username\" conflicts with the user in \"uri\"");
			goto fail;
		}
		if (!mongoc_uri_set_username(uri, username))
		{
			conn_fail(err, "username", NULL, "mongodb connection config key \"username\" is not valid UTF-8");
			goto fail;
		}
	}
	if (password != NULL)
	{
		if (mongoc_uri_get_password(uri) != NULL)
		{
			conn_fail(err, "password", "give the password in \"uri\" or in \"password\", not both",
					  "mongodb connection config key \"password\" conflicts with the password in \"uri\"");
			goto fail;
		}
		if (mongoc_uri_get_username(uri) == NULL)
		{
			conn_fail(err, "password", "add \"username\"",
					  "mongodb connection config has \"password\" without a user name");
			goto fail;
		}
		if (!mongoc_uri_set_password(uri, password))
		{
			conn_fail(err, "password", NULL, "mongodb connection config key \"password\" is not valid UTF-8");
			goto fail;
		}
	}
	if (auth_source != NULL && !mongoc_uri_set_auth_source(uri, auth_source))
	{
		conn_fail(err, "authSource", NULL, "mongodb connection config key \"authSource\" is not valid");
		goto fail;
	}
	if (has_tls)
		mongoc_uri_set_option_as_bool(uri, MONGOC_URI_TLS, tls);
	if ((ca_file || key_file || key_password || has_invalid) && !mongoc_uri_get_tls(uri))
	{
		if (has_tls)
		{
			const char *k = ca_file ? "tlsCAFile" : key_file ? "tlsCertificateKeyFile" :
				key_password ? "tlsCertificateKeyFilePassword" : "tlsAllowInvalidCertificates";

			conn_fail(err, k, "remove it or set \"tls\" to true",
					  "mongodb connection config key \"%s\" needs \"tls\": true", k);
			goto fail;
		}
		mongoc_uri_set_option_as_bool(uri, MONGOC_URI_TLS, true);
	}
	if (ca_file && !mongoc_uri_set_option_as_utf8(uri, MONGOC_URI_TLSCAFILE, ca_file))
	{
		conn_fail(err, "tlsCAFile", NULL, "mongodb connection config key \"tlsCAFile\" is not valid");
		goto fail;
	}
	if (key_file && !mongoc_uri_set_option_as_utf8(uri, MONGOC_URI_TLSCERTIFICATEKEYFILE, key_file))
	{
		conn_fail(err, "tlsCertificateKeyFile", NULL,
				  "mongodb connection config key \"tlsCertificateKeyFile\" is not valid");
		goto fail;
	}
	if (key_password &&
		!mongoc_uri_set_option_as_utf8(uri, MONGOC_URI_TLSCERTIFICATEKEYFILEPASSWORD, key_password))
	{
		conn_fail(err, "tlsCertificateKeyFilePassword", NULL,
				  "mongodb connection config key \"tlsCertificateKeyFilePassword\" is not valid");
		goto fail;
	}
	if (has_invalid &&
		!mongoc_uri_set_option_as_bool(uri, MONGOC_URI_TLSALLOWINVALIDCERTIFICATES, allow_invalid))
	{
		conn_fail(err, "tlsAllowInvalidCertificates", NULL,
				  "mongodb connection config key \"tlsAllowInvalidCertificates\" is not valid");
		goto fail;
	}
	*urip = uri;
	return true;

fail:
	mongoc_uri_destroy(uri);
	return false;
}

/* mongo_result_error: {ok: false, type: "mongodb", error} */
static void
mongo_result_error(bson_t *result, const char *message, const conn_secrets *sec)
{
	char		clean[1100];

	scrub(message, sec, clean, sizeof(clean));
	BSON_APPEND_BOOL(result, "ok", false);
	BSON_APPEND_UTF8(result, "type", "mongodb");
	BSON_APPEND_UTF8(result, "error", clean);
}

/* mongo_bound: set an int32 URI option to at most limit */
static void
mongo_bound(mongoc_uri_t *uri, const char *option, int32_t dflt, int32_t limit)
{
	int32_t		v = mongoc_uri_get_option_as_int32(uri, option, dflt);

	if (v <= 0 || v > limit)
		v = limit;
	mongoc_uri_set_option_as_int32(uri, option, v);
}

/* mongo_test: "ping" on admin within timeout_ms, then the server version */
static bool
mongo_test(const bson_t *config, int timeout_ms, bson_t *result, asp_error *err)
{
	conn_secrets sec = {0};
	mongoc_uri_t *uri;
	mongoc_client_t *client;
	bson_error_t berr;
	bson_t		cmd = BSON_INITIALIZER;
	bson_t		reply;
	bson_iter_t it;

	if (!mongo_build_uri(config, &uri, &sec, err))
	{
		secrets_free(&sec);
		return false;
	}
	mongoc_uri_set_option_as_int32(uri, MONGOC_URI_SERVERSELECTIONTIMEOUTMS, timeout_ms);
	mongo_bound(uri, MONGOC_URI_CONNECTTIMEOUTMS, 10000, timeout_ms);
	mongo_bound(uri, MONGOC_URI_SOCKETTIMEOUTMS, 0, timeout_ms);
	mongoc_uri_set_option_as_bool(uri, MONGOC_URI_SERVERSELECTIONTRYONCE, true);
	if (mongoc_uri_get_appname(uri) == NULL)
		mongoc_uri_set_appname(uri, "asp");

	client = mongoc_client_new_from_uri_with_error(uri, &berr);
	mongoc_uri_destroy(uri);
	if (client == NULL)
	{
		mongo_result_error(result, berr.message, &sec);
		secrets_free(&sec);
		return true;
	}
	mongoc_client_set_error_api(client, MONGOC_ERROR_API_VERSION_2);

	BSON_APPEND_INT32(&cmd, "ping", 1);
	if (!mongoc_client_command_simple(client, "admin", &cmd, NULL, &reply, &berr))
	{
		mongo_result_error(result, berr.message, &sec);
		bson_destroy(&reply);
		bson_destroy(&cmd);
		mongoc_client_destroy(client);
		secrets_free(&sec);
		return true;
	}
	bson_destroy(&reply);
	bson_reinit(&cmd);

	BSON_APPEND_BOOL(result, "ok", true);
	BSON_APPEND_UTF8(result, "type", "mongodb");
	/* the version is a fact worth showing, its absence not an error */
	BSON_APPEND_INT32(&cmd, "buildInfo", 1);
	if (mongoc_client_command_simple(client, "admin", &cmd, NULL, &reply, &berr) &&
		bson_iter_init_find(&it, &reply, "version") && BSON_ITER_HOLDS_UTF8(&it))
		BSON_APPEND_UTF8(result, "serverVersion", bson_iter_utf8(&it, NULL));
	bson_destroy(&reply);
	bson_destroy(&cmd);
	mongoc_client_destroy(client);
	secrets_free(&sec);
	return true;
}

/* ---------------------------------------------------------------------
 * The interface
 * ---------------------------------------------------------------------
 */

/* conn_unknown_type: the error for a type that is neither kafka nor mongodb */
static bool
conn_unknown_type(const char *type, asp_error *err)
{
	return conn_fail(err, NULL, "the connection types are \"kafka\" and \"mongodb\"",
					 "unknown connection type \"%s\"", type ? type : "(null)");
}

/* asp_conn_validate: check a config of the given type (conn_check.h) */
bool
asp_conn_validate(const char *type, const bson_t *config, asp_error *err)
{
	conn_secrets sec = {0};
	bool		ok;

	if (type != NULL && strcmp(type, "kafka") == 0)
	{
		rd_kafka_conf_t *conf;

		ok = kafka_build_conf(config, &conf, &sec, err);
		if (ok)
			rd_kafka_conf_destroy(conf);
	}
	else if (type != NULL && strcmp(type, "mongodb") == 0)
	{
		mongoc_uri_t *uri;

		ok = mongo_build_uri(config, &uri, &sec, err);
		if (ok)
			mongoc_uri_destroy(uri);
	}
	else
		ok = conn_unknown_type(type, err);
	secrets_free(&sec);
	if (ok && err != NULL)
		asp_error_init(err);
	return ok;
}

/* asp_conn_test: probe a connection within timeout_ms (conn_check.h) */
bool
asp_conn_test(const char *type, const bson_t *config, int timeout_ms,
			  bson_t *result, asp_error *err)
{
	if (timeout_ms <= 0)
		return asp_error_set(err, ASP_ERR_INVALID, "connection test timeout must be positive, not %d ms",
							 timeout_ms);
	if (type != NULL && strcmp(type, "kafka") == 0)
		return kafka_test(config, timeout_ms, result, err);
	if (type != NULL && strcmp(type, "mongodb") == 0)
		return mongo_test(config, timeout_ms, result, err);
	return conn_unknown_type(type, err);
}
