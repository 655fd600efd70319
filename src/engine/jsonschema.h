/*-------------------------------------------------------------------------
 *
 * jsonschema.h
 *	  The $jsonSchema query operator: MongoDB's subset of JSON Schema
 *	  draft 4, compiled once and checked against BSON values.
 *
 * Keywords: bsonType, type (object, array, number, boolean, string, null;
 * "integer" is not supported, as in MongoDB), required, properties,
 * patternProperties, additionalProperties, minProperties, maxProperties,
 * enum, minimum, maximum, exclusiveMinimum, exclusiveMaximum (booleans,
 * draft 4), multipleOf, minLength, maxLength (code points), pattern,
 * items (a schema or an array of schemas), additionalItems, minItems,
 * maxItems, uniqueItems, allOf, anyOf, oneOf, not, dependencies, and the
 * annotations title and description.  Unknown keywords are rejected.
 *
 * As in JSON Schema, a keyword only restricts values of the type it is
 * about (minimum ignores strings, required ignores non-objects), a
 * property's schema applies only when the property is present, and
 * arrays are values: there is no implicit array traversal.  enum and
 * uniqueItems compare documents without regard to field order.
 *
 *-------------------------------------------------------------------------
 */
#ifndef ASP_ENGINE_JSONSCHEMA_H
#define ASP_ENGINE_JSONSCHEMA_H

#include <stdbool.h>
#include <stddef.h>
#include <bson/bson.h>

#include "error.h"

typedef struct asp_jschema asp_jschema;

/*
 * asp_jschema_compile: compile a schema document (raw BSON; copied, so the
 * caller's bytes need not outlive the result).  On error returns NULL with
 * err set (ASP_ERR_INVALID, message naming the keyword, err->path the
 * keyword's location such as "$jsonSchema.properties.age.minimum").
 */
extern asp_jschema *asp_jschema_compile(const uint8_t *schema, uint32_t len,
										asp_error *err);

/*
 * asp_jschema_validate: true if v satisfies the schema.  When it does not
 * and reason is not NULL, a one-line reason is written there, e.g.
 * "property 'name' is required" or "property 'age' must be >= 18 (found 16)".
 * No allocation.
 */
extern bool asp_jschema_validate(const asp_jschema *s, const bson_value_t *v,
								 char *reason, size_t reason_size);

extern void asp_jschema_free(asp_jschema *s);

#endif							/* ASP_ENGINE_JSONSCHEMA_H */
