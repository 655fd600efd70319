/*-------------------------------------------------------------------------
 *
 * conn_check.h
 *	  Connection configs of the registry: validation, secret masking and
 *	  reachability probes for the "kafka" and "mongodb" types.
 *
 * Plain C over libbson, librdkafka and libmongoc: no PostgreSQL headers,
 * errors returned as values (asp_error), so the SQL layer decides how to
 * report them and the checks can be tested alone.  The SQL layer
 * (src/sql/connections.c) stores configs and calls these.
 *
 * A config is the whole document given to asp.create_connection (secrets
 * included).  Secrets are named by dotted key paths, e.g.
 * "security.password"; a MongoDB URI's userinfo password is a secret
 * inside the "uri" string.
 *
 *-------------------------------------------------------------------------
 */
#ifndef ASP_CONNECTORS_CONN_CHECK_H
#define ASP_CONNECTORS_CONN_CHECK_H

#include <stdbool.h>
#include <bson/bson.h>

#include "engine/error.h"

/* What list_connections, errors and logs show in place of a secret */
#define ASP_SECRET_MASK "******"

/*
 * asp_conn_validate: check a config for a connection of the given type
 * ("kafka" or "mongodb").  An unknown key, a missing required key or a
 * value of the wrong type fails with err->path set to the dotted key and a
 * message and hint naming it.  Kafka "config" properties are checked by
 * librdkafka itself (rd_kafka_conf_set); a MongoDB "uri" by
 * mongoc_uri_new_with_error.  Messages never contain a secret's value.
 */
extern bool asp_conn_validate(const char *type, const bson_t *config, asp_error *err);

/* asp_conn_is_secret: does this dotted key of a config of this type hold a secret? */
extern bool asp_conn_is_secret(const char *type, const char *dotted_key);

/*
 * asp_conn_mask: copy config into out (initialised by the caller) with
 * every secret replaced by ASP_SECRET_MASK, and the password inside a
 * MongoDB URI masked in place.
 */
extern void asp_conn_mask(const char *type, const bson_t *config, bson_t *out);

/*
 * asp_conn_test: probe a connection within timeout_ms: Kafka cluster
 * metadata, MongoDB "ping".  Fills result (initialised by the caller) with
 * {ok: bool, type, ...facts such as brokers or server version..., error:
 * the library's message when ok is false}.  A probe that fails is not an
 * error: the function returns false only when it could not run at all.
 * Every librdkafka/libmongoc handle is released on every path.
 */
extern bool asp_conn_test(const char *type, const bson_t *config, int timeout_ms,
						  bson_t *result, asp_error *err);

/*
 * asp_conn_server_file: does the config make librdkafka or libmongoc read
 * a file of the database server (a CA, certificate, key or keytab)?  If
 * so, copies the first such dotted key into key (keylen bytes), e.g.
 * "config.ssl.ca.location", "tlsCAFile", or "uri" for an option inside
 * the URI, and returns true.  The registry may keep such configs to roles
 * allowed to read server files.
 */
extern bool asp_conn_server_file(const char *type, const bson_t *config,
								 char *key, size_t keylen);

#endif							/* ASP_CONNECTORS_CONN_CHECK_H */
