/* asp--0.1.0.sql: MongoDB Atlas Stream Processing inside PostgreSQL */

\echo Use "CREATE EXTENSION asp" to load this file. \quit

CREATE FUNCTION asp.process(pipeline json, options json DEFAULT '{}')
RETURNS TABLE(kind text, doc json)
AS 'MODULE_PATHNAME', 'asp_process'
LANGUAGE C VOLATILE PARALLEL RESTRICTED;

COMMENT ON FUNCTION asp.process(json, json) IS
'run a stream processing pipeline ephemerally and return its output and dead letter queue documents';

/*
 * Roles, mirroring Atlas Stream Processing's project roles.  Roles are
 * cluster-wide: they are created only if missing (another database's
 * CREATE EXTENSION asp may have created them) and DROP EXTENSION leaves
 * them.  The functions check membership (src/sql/privileges.c):
 *   asp_admin      connections, their grants, and every processor
 *   asp_developer  its own processors; the connections granted to it
 *   asp_monitor    list processors and connections, stats, sample, audit log
 */
DO $roles$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = 'asp_admin') THEN
    CREATE ROLE asp_admin NOLOGIN;
  END IF;
  IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = 'asp_developer') THEN
    CREATE ROLE asp_developer NOLOGIN;
  END IF;
  IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = 'asp_monitor') THEN
    CREATE ROLE asp_monitor NOLOGIN;
  END IF;
END
$roles$;

GRANT USAGE ON SCHEMA asp TO asp_admin, asp_developer, asp_monitor;

/*
 * The connection registry.  config is the text given to
 * asp.create_connection, secrets included: the table is readable only by
 * its owner (the extension's owner, a superuser) and superusers; the
 * functions read and write it as its owner once they have checked the
 * calling role, and show configs with every secret masked.
 * Built-in connections (builtin = true) are created here and cannot be
 * altered or dropped.
 */
CREATE TABLE asp.connections (
  name text PRIMARY KEY CHECK (name ~ '^[A-Za-z0-9_-]{1,64}$'),
  type text NOT NULL CHECK (type IN ('kafka', 'mongodb', 'postgres', 'sample')),
  config text NOT NULL DEFAULT '{}',   -- as given (key order kept), secrets included
  owner regrole NOT NULL,              -- the role that created it
  builtin boolean NOT NULL DEFAULT false,
  created timestamptz NOT NULL DEFAULT now(),
  last_modified timestamptz NOT NULL DEFAULT now()
);
REVOKE ALL ON asp.connections FROM PUBLIC;
INSERT INTO asp.connections (name, type, owner, builtin) VALUES
  ('sample_stream_solar', 'sample', (SELECT oid FROM pg_catalog.pg_roles WHERE rolname = current_user), true),
  ('local', 'postgres', (SELECT oid FROM pg_catalog.pg_roles WHERE rolname = current_user), true);

COMMENT ON TABLE asp.connections IS
'connections of stream processors, secrets included (readable by superusers only); managed with asp.create_connection, asp.alter_connection and asp.drop_connection';

/*
 * Who may use which connection (asp.grant_connection): a role may use a
 * connection granted to it or to a role whose privileges it has; members
 * of asp_admin and superusers may use every connection.  By default
 * asp_developer may use the built-in connections (an admin can revoke it).
 */
CREATE TABLE asp.connection_grants (
  connection text NOT NULL REFERENCES asp.connections(name) ON DELETE CASCADE,
  grantee regrole NOT NULL,
  granted_by regrole NOT NULL,
  granted timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (connection, grantee)
);
REVOKE ALL ON asp.connection_grants FROM PUBLIC;
INSERT INTO asp.connection_grants (connection, grantee, granted_by)
SELECT c, r.oid, (SELECT oid FROM pg_catalog.pg_roles WHERE rolname = current_user)
FROM pg_catalog.pg_roles r, (VALUES ('sample_stream_solar'), ('local')) v(c)
WHERE r.rolname = 'asp_developer';

COMMENT ON TABLE asp.connection_grants IS
'the roles that may use each connection; managed with asp.grant_connection and asp.revoke_connection';

/*
 * The audit log: every management action, successful or refused.
 * Successful actions are written in the action's transaction; refused
 * ones by a short-lived background worker, so that the row survives the
 * error's rollback (src/sql/audit.c).  Readable by asp_admin and
 * asp_monitor, written only by the extension.
 */
CREATE TABLE asp.audit_log (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  at timestamptz NOT NULL DEFAULT clock_timestamp(),
  role text NOT NULL,                  -- current_user of the action
  action text NOT NULL,                -- e.g. connection.create, processor.start
  target text,                         -- the connection or processor
  success boolean NOT NULL,
  detail text                          -- secrets masked; the error when refused
);
REVOKE ALL ON asp.audit_log FROM PUBLIC;
GRANT SELECT ON asp.audit_log TO asp_admin, asp_monitor;

COMMENT ON TABLE asp.audit_log IS
'management actions on connections and stream processors, successful and refused; written only by asp';

-- pg_dump keeps the connections (secrets included: only a superuser can
-- dump them), their grants and the audit log; not the built-ins, which
-- CREATE EXTENSION makes
SELECT pg_catalog.pg_extension_config_dump('asp.connections', 'WHERE NOT builtin');
SELECT pg_catalog.pg_extension_config_dump('asp.connection_grants',
  'WHERE connection NOT IN (''sample_stream_solar'', ''local'')');
SELECT pg_catalog.pg_extension_config_dump('asp.audit_log', '');
SELECT pg_catalog.pg_extension_config_dump('asp.audit_log_id_seq', '');

CREATE FUNCTION asp.create_connection(name text, type text, config json)
RETURNS void
AS 'MODULE_PATHNAME', 'asp_create_connection'
LANGUAGE C VOLATILE
SET search_path = pg_catalog, pg_temp;

COMMENT ON FUNCTION asp.create_connection(text, text, json) IS
'register a Kafka or MongoDB connection (asp_admin); its secrets are readable by superusers only';

CREATE FUNCTION asp.alter_connection(name text, config json)
RETURNS void
AS 'MODULE_PATHNAME', 'asp_alter_connection'
LANGUAGE C VOLATILE
SET search_path = pg_catalog, pg_temp;

COMMENT ON FUNCTION asp.alter_connection(text, json) IS
'replace the config of a connection (asp_admin); a secret given as ****** keeps its current value';

CREATE FUNCTION asp.drop_connection(name text)
RETURNS void
AS 'MODULE_PATHNAME', 'asp_drop_connection'
LANGUAGE C VOLATILE
SET search_path = pg_catalog, pg_temp;

COMMENT ON FUNCTION asp.drop_connection(text) IS
'drop a connection no stream processor uses (asp_admin)';

CREATE FUNCTION asp.list_connections()
RETURNS TABLE(name text, type text, owner regrole, config json, grantees regrole[])
AS 'MODULE_PATHNAME', 'asp_list_connections'
LANGUAGE C STABLE
SET search_path = pg_catalog, pg_temp;

COMMENT ON FUNCTION asp.list_connections() IS
'the connections the calling role may see, with every secret masked';

CREATE FUNCTION asp.test_connection(name text, timeout_ms integer DEFAULT 5000)
RETURNS json
AS 'MODULE_PATHNAME', 'asp_test_connection'
LANGUAGE C VOLATILE
SET search_path = pg_catalog, pg_temp;

COMMENT ON FUNCTION asp.test_connection(text, integer) IS
'probe a connection (Kafka metadata, MongoDB ping): {"ok": true, ...} or {"ok": false, "error": ...}';

CREATE FUNCTION asp.grant_connection(connection text, role text)
RETURNS void
AS 'MODULE_PATHNAME', 'asp_grant_connection'
LANGUAGE C VOLATILE
SET search_path = pg_catalog, pg_temp;

COMMENT ON FUNCTION asp.grant_connection(text, text) IS
'let a role (and its members) use a connection in pipelines (asp_admin)';

CREATE FUNCTION asp.revoke_connection(connection text, role text)
RETURNS void
AS 'MODULE_PATHNAME', 'asp_revoke_connection'
LANGUAGE C VOLATILE
SET search_path = pg_catalog, pg_temp;

COMMENT ON FUNCTION asp.revoke_connection(text, text) IS
'take back a role''s use of a connection (asp_admin); its processors fail at their next start';

/*
 * Stream processors: the catalog.  A processor is a named pipeline kept
 * here, like sp.createStreamProcessor() in mongosh.  The table is read and
 * written only through the functions below, which act as the table's owner
 * once they have checked the calling role (see src/sql/processors.c).
 */
CREATE TABLE asp.processors (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  name text NOT NULL UNIQUE CHECK (name ~ '^[A-Za-z0-9_-]{1,64}$'),
  state text NOT NULL DEFAULT 'CREATED' CHECK (state IN ('CREATED', 'STARTED', 'STOPPED', 'FAILED')),
  error_msg text,
  pipeline text NOT NULL,          -- the text as given (key order matters; never jsonb)
  options text NOT NULL DEFAULT '{}',
  owner regrole NOT NULL,          -- by name in pg_dump output
  created timestamptz NOT NULL DEFAULT now(),
  last_modified timestamptz NOT NULL DEFAULT now(),
  last_state_change timestamptz NOT NULL DEFAULT now(),
  resume_from_checkpoint boolean NOT NULL DEFAULT true
);
REVOKE ALL ON asp.processors FROM PUBLIC;
-- pg_dump keeps the processors, and where their ids stand
SELECT pg_catalog.pg_extension_config_dump('asp.processors', '');
SELECT pg_catalog.pg_extension_config_dump('asp.processors_id_seq', '');

COMMENT ON TABLE asp.processors IS
'stream processors: named pipelines; managed with asp.create_processor, asp.modify_processor and asp.drop_processor';

/*
 * Checkpoints: the last committed state of each processor's worker,
 * written in the same transaction as the output it has produced (see
 * src/runtime/worker.c).  position is the number of source documents
 * consumed; state holds the engine's state and the source's parameters.
 */
CREATE TABLE asp.checkpoints (
  processor_id bigint PRIMARY KEY REFERENCES asp.processors(id) ON DELETE CASCADE,
  position bigint NOT NULL,
  state bytea NOT NULL,
  created timestamptz NOT NULL DEFAULT now()
);
REVOKE ALL ON asp.checkpoints FROM PUBLIC;

COMMENT ON TABLE asp.checkpoints IS
'stream processor checkpoints: where each processor resumes; written by its worker';

CREATE FUNCTION asp.create_processor(name text, pipeline json, options json DEFAULT '{}',
                                     owner regrole DEFAULT NULL)
RETURNS void
AS 'MODULE_PATHNAME', 'asp_create_processor'
LANGUAGE C VOLATILE
SET search_path = pg_catalog, pg_temp;

COMMENT ON FUNCTION asp.create_processor(text, json, json, regrole) IS
'create a stream processor owned by the calling role (or, for superusers, by owner), like sp.createStreamProcessor';

CREATE FUNCTION asp.modify_processor(name text, pipeline json DEFAULT NULL, options json DEFAULT NULL,
                                     resume_from_checkpoint boolean DEFAULT true)
RETURNS void
AS 'MODULE_PATHNAME', 'asp_modify_processor'
LANGUAGE C VOLATILE
SET search_path = pg_catalog, pg_temp;

COMMENT ON FUNCTION asp.modify_processor(text, json, json, boolean) IS
'change the pipeline or options of a stream processor that is not running; NULL keeps the current value';

CREATE FUNCTION asp.drop_processor(name text)
RETURNS void
AS 'MODULE_PATHNAME', 'asp_drop_processor'
LANGUAGE C VOLATILE
SET search_path = pg_catalog, pg_temp;

COMMENT ON FUNCTION asp.drop_processor(text) IS
'drop a stream processor, stopping it first if it runs';

CREATE FUNCTION asp.list_processors()
RETURNS TABLE(id bigint, name text, state text, error_msg text, pipeline json, options json,
              owner regrole, created timestamptz, last_modified timestamptz,
              last_state_change timestamptz)
AS 'MODULE_PATHNAME', 'asp_list_processors'
LANGUAGE C STABLE
SET search_path = pg_catalog, pg_temp;

COMMENT ON FUNCTION asp.list_processors() IS
'every stream processor with its state, pipeline and options, like sp.listStreamProcessors';

/*
 * Running stream processors (asp must be in shared_preload_libraries; the
 * launcher runs the processors of the database named by asp.database_name).
 */
CREATE FUNCTION asp.start_processor(name text)
RETURNS void
AS 'MODULE_PATHNAME', 'asp_start_processor'
LANGUAGE C VOLATILE
SET search_path = pg_catalog, pg_temp;

COMMENT ON FUNCTION asp.start_processor(text) IS
'start a stream processor in a background worker, like sp.<name>.start()';

CREATE FUNCTION asp.stop_processor(name text)
RETURNS void
AS 'MODULE_PATHNAME', 'asp_stop_processor'
LANGUAGE C VOLATILE
SET search_path = pg_catalog, pg_temp;

COMMENT ON FUNCTION asp.stop_processor(text) IS
'stop a running stream processor, waiting up to 10 seconds for its worker, like sp.<name>.stop()';

CREATE FUNCTION asp.stats(name text, verbose boolean DEFAULT false)
RETURNS json
AS 'MODULE_PATHNAME', 'asp_stats'
LANGUAGE C VOLATILE
SET search_path = pg_catalog, pg_temp;

COMMENT ON FUNCTION asp.stats(text, boolean) IS
'statistics of a stream processor''s current run, like sp.<name>.stats()';

CREATE FUNCTION asp.sample(name text, max_docs integer DEFAULT 10)
RETURNS SETOF json
AS 'MODULE_PATHNAME', 'asp_sample'
LANGUAGE C VOLATILE
SET search_path = pg_catalog, pg_temp;

COMMENT ON FUNCTION asp.sample(text, integer) IS
'the most recent output documents of a running stream processor, newest last, like sp.<name>.sample()';
