/*-------------------------------------------------------------------------
 *
 * bson_jsonb.h
 *	  BSON values as jsonb values (JsonbValue trees), for the $merge sink.
 *
 *-------------------------------------------------------------------------
 */
#ifndef ASP_CONNECTORS_BSON_JSONB_H
#define ASP_CONNECTORS_BSON_JSONB_H

#include <bson/bson.h>

#include "utils/jsonb.h"

/*
 * asp_bson_value_to_jbv: the value at it as a JsonbValue into *out.
 * scalarize: for a column that is not of a json type, dates, ObjectIds and
 * decimals become the scalars its input function reads.  *bad is set (and
 * a null given) for values PostgreSQL cannot store (a string holding NUL).
 */
extern void asp_bson_value_to_jbv(const bson_iter_t *it, bool scalarize, const char **bad,
								  JsonbValue *out);

/* asp_bson_doc_to_jbv: a BSON document (or array) as a jsonb object (or array) */
extern void asp_bson_doc_to_jbv(const uint8_t *data, uint32_t len, bool is_array,
								const char **bad, JsonbValue *out);

/*
 * asp_jbv_sort_pairs: an object's pairs in jsonb's key order, equal keys
 * reduced to the last one given (pair.order tells which)
 */
extern void asp_jbv_sort_pairs(JsonbValue *obj);

#endif							/* ASP_CONNECTORS_BSON_JSONB_H */
