/* asp--0.1.0.sql: MongoDB Atlas Stream Processing inside PostgreSQL */

\echo Use "CREATE EXTENSION asp" to load this file. \quit

CREATE FUNCTION asp.process(pipeline json, options json DEFAULT '{}')
RETURNS TABLE(kind text, doc json)
AS 'MODULE_PATHNAME', 'asp_process'
LANGUAGE C VOLATILE PARALLEL RESTRICTED;

COMMENT ON FUNCTION asp.process(json, json) IS
'run a stream processing pipeline ephemerally and return its output and dead letter queue documents';
