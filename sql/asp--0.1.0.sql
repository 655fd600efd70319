/* asp--0.1.0.sql: MongoDB Atlas Stream Processing inside PostgreSQL */

\echo Use "CREATE EXTENSION asp" to load this file. \quit

CREATE FUNCTION asp.process(pipeline json, options json DEFAULT '{}')
RETURNS TABLE(kind text, doc json)
AS 'MODULE_PATHNAME', 'asp_process'
LANGUAGE C VOLATILE PARALLEL RESTRICTED;

COMMENT ON FUNCTION asp.process(json, json) IS
'run a stream processing pipeline ephemerally and return its output and dead letter queue documents';

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
  owner oid NOT NULL,              -- role oid (regrole in list output)
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

CREATE FUNCTION asp.create_processor(name text, pipeline json, options json DEFAULT '{}')
RETURNS void
AS 'MODULE_PATHNAME', 'asp_create_processor'
LANGUAGE C VOLATILE
SET search_path = pg_catalog, pg_temp;

COMMENT ON FUNCTION asp.create_processor(text, json, json) IS
'create a stream processor owned by the calling role, like sp.createStreamProcessor';

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
