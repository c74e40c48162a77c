/* json-c helpers with the strictness network input needs: real types,
 * bounded depth, and wiping of objects that held secrets. */
#ifndef DT_JSON_H
#define DT_JSON_H

#include <json-c/json.h>
#include <stddef.h>

/* Parses `len` bytes that must be exactly one JSON object (nothing after
 * it). NULL if not. */
json_object *dt_json_parse_object(const char *text, size_t len);

/* The string value of `name`, or NULL if absent or not a string. */
const char *dt_json_string(json_object *obj, const char *name);

/* A non-negative integer of `name` up to `max`; -1 if absent or another type. */
int dt_json_uint(json_object *obj, const char *name, unsigned max, unsigned *out);

/* Wipes every string inside `obj` and json-c's serialization buffer, then
 * releases it. For objects that held tokens, codes or secrets. */
void dt_json_wipe_put(json_object *obj);

#endif
