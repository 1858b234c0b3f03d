/* api-access: what the caller may do in a server: loads ownership, membership and roles once, then
 * answers 404/403 (REST routes) or tells (hype-signal's questions). */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "api-db.h"
#include "api-permissions.h"
#include "api-router.h"

/* What users may create, enforced by the database where the rows are written (the triggers of
 * sql/005_limits.sql hold the same numbers; here they are for the messages). Nothing below has
 * a limit of its own: the caller's roles and a channel's overwrites are sized by what the
 * database returns. */
#define ACCESS_SERVER_ROLES_MAX 250       /* roles per server, @everyone not counted */
#define ACCESS_CHANNEL_OVERWRITES_MAX 500 /* permission overwrites per channel */

typedef struct ApiServerAccess {
    ApiRequest *r;    /* the REST request; NULL when loaded by api_access_load_channel_as */
    Arena *arena;     /* r's, or the caller's: everything below lives there */
    uint64_t user_id; /* who asks; 0: anonymous */
    uint64_t server_id, owner_id;
    bool is_member, is_default;
    PermContext ctx;      /* its role arrays are in the arena */
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

/*
 * The same load of the channel with that id for a caller that is no HTTP request (hype-signal's
 * ChannelAccess), as user_id (0: anonymous), everything in arena. done runs once, never from
 * inside this call, with error 0 and a filled; -ENOENT (no such channel), -EACCES (its server is
 * blocked), -ENOMEM, or the database's error (res then says what, for the log). Returns 0, or
 * db_query's error (done then never runs).
 */
typedef void (*api_access_done_cb)(ApiServerAccess *a, int error, const DbResult *res,
                                   void *userdata);
int api_access_load_channel_as(Api *api, Arena *arena, uint64_t user_id, uint64_t channel_id,
                               api_access_done_cb done, void *userdata);

/* What the refusals below say, whoever is told. */
#define API_ACCESS_NOT_MEMBER "You are not a member of this server"
#define API_ACCESS_MISSING_PERMISSIONS "Missing permissions"

/* Whether the caller is a member of the server, or its owner. */
bool api_access_is_member(const ApiServerAccess *a);
/* Answers 401 to anonymous callers and 403 API_ACCESS_NOT_MEMBER to others unless the caller is
 * a member (api_access_is_member); returns whether it is. */
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

/*
 * Discord's hierarchy for acting on another member (kick, nickname, role changes): calls
 * cb(userdata) when user_id is the caller itself, or when the caller outranks that member: the
 * owner outranks everyone and nobody outranks the owner; otherwise the caller's highest role
 * must be strictly above the member's (loaded here, one query). Answers by itself otherwise:
 * 404 "Member not found" for a user who is not a member, 403, and database failures.
 */
void api_access_require_above(ApiServerAccess *a, uint64_t user_id, void (*cb)(void *userdata),
                              void *userdata);

/* For a channel loaded by id under /api/servers/:serverId/...: answers 404 "Channel not found"
 * unless it is a channel of that server. */
bool api_access_require_channel_of(ApiServerAccess *a, const char *server_id);

/* Answers 403 API_ACCESS_MISSING_PERMISSIONS (401 anonymous) unless perms holds every bit of
 * need. */
bool api_access_require(ApiServerAccess *a, uint64_t perms, uint64_t need);

/* SQL that renders a channel's overwrites in that text form, for a channel aliased "c". */
#define API_ACCESS_OVERWRITES_SQL                                                                  \
    "(SELECT string_agg(o.target_type || ':' || o.target_id || ':' || o.allow || ':' || o.deny, "  \
    "',') FROM channel_overwrites o WHERE o.channel_id = c.id)"

extern const ApiModule api_module_access;
