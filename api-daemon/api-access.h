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
    int top_position;     /* of the caller's highest role; 0 with none */
    /* Loaded by channel or message id: */
    uint64_t channel_id;
    const char *channel_type;     /* "TEXT", "VOICE", "ANNOUNCEMENT" */
    uint64_t channel_permissions; /* after the channel's overwrites */
    /* Loaded by message id: */
    uint64_t message_id, message_author_id;
    void *userdata; /* for the route's own state */
} ApiServerAccess;

typedef void (*api_access_cb)(ApiServerAccess *a);

/*
 * Loads the caller's access to the server whose id is the string server_id (a path param).
 * Answers by itself: 404 "Server not found" (unknown or malformed id), 403 "Server is blocked",
 * and database failures; cb runs only for a server the request may go on with. Anonymous
 * callers are treated as non-members (they get what @everyone gets).
 */
void api_access_load(ApiRequest *r, const char *server_id, api_access_cb cb, void *userdata);

/* The same, for the channel (404 "Channel not found") or the live message (404 "Message not
 * found") with that id, filling the channel and message fields too. Membership is not
 * required here: routes decide (api_access_require_member). */
void api_access_load_channel(ApiRequest *r, const char *channel_id, api_access_cb cb,
                             void *userdata);
void api_access_load_message(ApiRequest *r, const char *message_id, api_access_cb cb,
                             void *userdata);

/* Answers 401 to anonymous callers and 403 "You are not a member of this server" to others
 * unless the caller is a member; returns whether it is. */
bool api_access_require_member(ApiServerAccess *a);

/* For reading a server's channels: members (and the owner) pass, and so does anyone for the
 * default server, whose non-members see what @everyone may view; otherwise as
 * api_access_require_member. */
bool api_access_require_member_or_default(ApiServerAccess *a);

/* The role hierarchy: the caller manages only roles strictly below this (INT_MAX for the
 * owner). */
int api_access_top_position(const ApiServerAccess *a);

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
