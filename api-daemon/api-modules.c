/* api-modules: the modules hype-api serves (routes, and requests of hype-signal), in the order
 * GET /api lists their routes. */
#include "api-router.h"

extern const ApiModule api_module_meta, api_module_auth, api_module_users, api_module_servers,
    api_module_channels, api_module_messages, api_module_invites, api_module_members,
    api_module_roles, api_module_friends, api_module_admin, api_module_channels_flat,
    api_module_voice, api_module_overwrites, api_module_gateway, api_module_access,
    api_module_events, api_module_calls;

/* clang-format off */
const ApiModule *const api_modules[] = {
    &api_module_meta,
    &api_module_auth,
    &api_module_users,
    &api_module_servers,
    &api_module_channels,
    &api_module_channels_flat,
    &api_module_overwrites,
    &api_module_messages,
    &api_module_invites,
    &api_module_members,
    &api_module_roles,
    &api_module_friends,
    &api_module_admin,
    &api_module_voice,
    &api_module_calls,
    &api_module_gateway, /* hype-signal's requests only */
    &api_module_access, /* statements only */
    &api_module_events, /* statements only */
};
/* clang-format on */
const size_t api_modules_count = sizeof(api_modules) / sizeof(api_modules[0]);
