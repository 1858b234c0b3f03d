/* api-access: what the caller may do in a server: loads ownership, membership and roles once, then
 * answers 404/403. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "api-db.h"
#include "api-permissions.h"
#include "api-router.h"

#define ACCESS_ROLES_MAX 64
#define ACCESS_OVERWRITES_MAX 128

typedef struct ApiServerAccess {
    ApiRequest *r;
    uint64_t server_id, owner_id;
    bool is_member, is_default;
    PermContext ctx; /* role arrays point into the fields below */
    uint64_t role_ids[ACCESS_ROLES_MAX], role_perms[ACCESS_ROLES_MAX];
    uint64_t permissions; /* in the server, before channel overwrites */
    void *userdata;       /* for the route's own state */
} ApiServerAccess;

typedef void (*api_access_cb)(ApiServerAccess *a);

/*
 * Loads the caller's access to the server whose id is the string server_id (a path param).
 * Answers by itself: 404 "Server not found" (unknown or malformed id), 403 "Server is blocked",
 * and database failures; cb runs only for a server the request may go on with. Anonymous
 * callers are treated as non-members (they get what @everyone gets).
 */
void api_access_load(ApiRequest *r, const char *server_id, api_access_cb cb, void *userdata);

/* The caller's permissions in a channel of that server, given its overwrites as
 * api-permissions' text form. */
uint64_t api_access_channel(const ApiServerAccess *a, const char *overwrites);

/* Answers 403 "Missing permissions" unless perms holds every bit of need. */
bool api_access_require(ApiServerAccess *a, uint64_t perms, uint64_t need);

/* SQL that renders a channel's overwrites in that text form, for a channel aliased "c". */
#define API_ACCESS_OVERWRITES_SQL                                                                  \
    "(SELECT string_agg(o.target_type || ':' || o.target_id || ':' || o.allow || ':' || o.deny, "  \
    "',') FROM channel_overwrites o WHERE o.channel_id = c.id)"

extern const ApiModule api_module_access;
