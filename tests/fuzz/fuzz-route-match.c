/* fuzz-route-match: path splitting, aliases, route matching and path-parameter decoding of
 * hype-api. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "api-router.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size == 0)
        return 0;
    /* First byte: the method; the rest: the path as the HTTP parser hands it over. */
    HttpMethod method = (HttpMethod)(data[0] % (HTTP_OPTIONS + 1));
    char *path = malloc(size);
    memcpy(path, data + 1, size - 1);
    path[size - 1] = '\0';
    size_t cap = strlen(path) + API_MAX_PARAMS + 1;
    char *buf = malloc(cap);
    ApiRouteMatch m;
    if (api_router_match(path, method, buf, cap, &m) == 0 && m.route)
        for (size_t i = 0; i < API_MAX_PARAMS && m.params[i]; i++)
            if (strlen(m.params[i]) >= cap) /* decoded params stay inside the buffer */
                abort();
    free(buf);
    free(path);
    return 0;
}
