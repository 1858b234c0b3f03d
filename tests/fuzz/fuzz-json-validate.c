/* fuzz-json-validate: request-body parsing and validation against every route schema of hype-api.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "api-router.h"
#include "hype-json.h"
#include "hype-validate.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    json_object *body = NULL;
    const char *why = NULL;
    if (json_parse_strict((const char *)data, size, JSON_DEFAULT_MAX_DEPTH, &body, &why) < 0)
        return 0;
    /* The same object against every schema, as the router would for each route. */
    for (size_t i = 0; i < api_modules_count; i++)
        for (size_t j = 0; j < api_modules[i]->n_routes; j++) {
            const ValidateSchema *schema = api_modules[i]->routes[j].body;
            json_object *details = NULL;
            if (!schema)
                continue;
            if (validate_json(schema, body, &details) < 0) {
                size_t len;
                json_serialize(details, &len);
                json_object_put(details);
            } else {
                for (size_t k = 0; k < schema->n_fields; k++)
                    validate_get_string(body, schema->fields[k].name);
            }
        }
    json_object_put(body);
    return 0;
}
