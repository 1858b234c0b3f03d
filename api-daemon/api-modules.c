/* api-modules: the route modules hype-api serves, in the order GET /api lists them. */
#include "api-router.h"

extern const ApiModule api_module_meta, api_module_auth, api_module_users, api_module_access,
    api_module_servers, api_module_channels, api_module_messages;

const ApiModule *const api_modules[] = {
    &api_module_meta,     &api_module_auth,     &api_module_users,  &api_module_servers,
    &api_module_channels, &api_module_messages, &api_module_access, /* statements only */
};
const size_t api_modules_count = sizeof(api_modules) / sizeof(api_modules[0]);
