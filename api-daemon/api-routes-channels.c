/* api-routes-channels: /api/servers/:serverId/channels (seeds 000 and 001): list, get, create,
 * update, delete. */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "api-access.h"
#include "api-auth.h"
#include "api-events.h"
#include "api-reply.h"
#include "api-router.h"
#include "api-server.h"
#include "hype-id.h"
#include "hype-json.h"
#include "hype-time.h"

/* A channel "c" of server "s"; the last column is its overwrites for api_access_channel(). */
#define CHANNEL_COLUMNS                                                                            \
    "c.id, c.name, c.type, c.topic, c.position, c.server_id, c.user_limit, c.bitrate, s.name, "    \
    "c.created_by, cu.username, "                                                                  \
    "c.message_count, "                                                                            \
    "(SELECT count(*) FROM voice_states vs WHERE vs.channel_id = c.id), "                          \
    "floor(extract(epoch FROM c.created_at) * 1000)::int8, "                                       \
    "floor(extract(epoch FROM c.updated_at) * 1000)::int8, " API_ACCESS_OVERWRITES_SQL
#define CHANNEL_FROM                                                                               \
    " FROM channels c JOIN servers s ON s.id = c.server_id LEFT JOIN users cu ON cu.id = "         \
    "c.created_by"
/* After "WITH c AS (INSERT/UPDATE ... RETURNING *)": the statement's own snapshot predates the
 * change, so the new row is only visible through the CTE. */
#define CHANNEL_FROM_CTE                                                                           \
    " FROM c JOIN servers s ON s.id = c.server_id LEFT JOIN users cu ON cu.id = c.created_by"
#define COL_OVERWRITES 15

enum {
    S_LIST,
    S_GET,
    S_CREATE,
    S_UPDATE,
    S_DELETE,
    S_DEFAULT_SERVER,
    S__COUNT,
};

static const DbStatement statements[] = {
    [S_LIST] = {"channels_list",
                "SELECT " CHANNEL_COLUMNS CHANNEL_FROM
                " WHERE c.server_id = $1 ORDER BY c.position, c.id",
                1},
    [S_GET] = {"channels_get",
               "SELECT " CHANNEL_COLUMNS CHANNEL_FROM " WHERE c.server_id = $1 AND c.id = $2", 2},
    /* Without a position, a new channel goes last. */
    [S_CREATE] = {"channels_create",
                  "WITH c AS ("
                  "  INSERT INTO channels (id, server_id, name, type, topic, position, user_limit,"
                  "                        bitrate, created_by)"
                  "  SELECT $1::bigint, $2::bigint, $3, $4, $5,"
                  "    COALESCE($6::int, (SELECT COALESCE(max(position) + 1, 0) FROM channels"
                  "                       WHERE server_id = $2)), $7::int, $8::int, $9::bigint"
                  "  RETURNING *"
                  ") SELECT " CHANNEL_COLUMNS CHANNEL_FROM_CTE,
                  9},
    [S_UPDATE] = {"channels_update",
                  "WITH c AS ("
                  "  UPDATE channels x SET"
                  "    name = CASE WHEN $3::bool THEN $4 ELSE x.name END,"
                  "    topic = CASE WHEN $5::bool THEN $6 ELSE x.topic END,"
                  "    position = CASE WHEN $7::bool THEN $8::int ELSE x.position END,"
                  "    user_limit = CASE WHEN $9::bool THEN $10::int ELSE x.user_limit END,"
                  "    bitrate = CASE WHEN $11::bool THEN $12::int ELSE x.bitrate END,"
                  "    updated_at = now()"
                  "  WHERE x.server_id = $1 AND x.id = $2 RETURNING *"
                  ") SELECT " CHANNEL_COLUMNS CHANNEL_FROM_CTE,
                  12},
    /* Its overwrites as it had them: who could view it hears it is gone. */
    [S_DELETE] = {"channels_delete",
                  "DELETE FROM channels c WHERE c.server_id = $1 AND c.id = $2"
                  " RETURNING " API_ACCESS_OVERWRITES_SQL,
                  2},
    [S_DEFAULT_SERVER] = {"channels_default_server", "SELECT id FROM servers WHERE is_default", 0},
};
_Static_assert(sizeof(statements) / sizeof(statements[0]) == S__COUNT, "one statement per S_ name");

static json_object *int_or_null(const DbResult *res, int i, int col) {
    const char *v = db_value(res, i, col);
    return v ? json_object_new_int64(atoll(v)) : NULL;
}

static json_object *channel_json(const DbResult *res, int i) {
    json_object *c = json_object_new_object(), *server = json_object_new_object(),
                *count = json_object_new_object();
    json_object_object_add(c, "id", json_new_string_or_null(db_value(res, i, 0)));
    json_object_object_add(c, "name", json_new_string_or_null(db_value(res, i, 1)));
    json_object_object_add(c, "type", json_new_string_or_null(db_value(res, i, 2)));
    json_object_object_add(c, "topic", json_new_string_or_null(db_value(res, i, 3)));
    json_object_object_add(c, "position", int_or_null(res, i, 4));
    json_object_object_add(c, "serverId", json_new_string_or_null(db_value(res, i, 5)));
    json_object_object_add(c, "userLimit", int_or_null(res, i, 6));
    json_object_object_add(c, "bitrate", int_or_null(res, i, 7));
    json_object_object_add(server, "id", json_new_string_or_null(db_value(res, i, 5)));
    json_object_object_add(server, "name", json_new_string_or_null(db_value(res, i, 8)));
    json_object_object_add(c, "server", server);
    json_object *creator = NULL;
    if (db_value(res, i, 9)) {
        creator = json_object_new_object();
        json_object_object_add(creator, "id", json_new_string_or_null(db_value(res, i, 9)));
        json_object_object_add(creator, "username", json_new_string_or_null(db_value(res, i, 10)));
    }
    json_object_object_add(c, "createdBy", creator);
    json_object_object_add(count, "messages", json_object_new_int64(atoll(db_value(res, i, 11))));
    json_object_object_add(count, "voiceStates",
                           json_object_new_int64(atoll(db_value(res, i, 12))));
    json_object_object_add(c, "_count", count);
    json_object_object_add(c, "createdAt", json_new_time_ms(atoll(db_value(res, i, 13))));
    json_object_object_add(c, "updatedAt", json_new_time_ms(atoll(db_value(res, i, 14))));
    return c;
}

static bool can_view(const ApiServerAccess *a, const DbResult *res, int i) {
    return api_access_channel(a, db_value(res, i, COL_OVERWRITES)) & PERM_VIEW_CHANNEL;
}

/* Changing a server's channels: its members with manage-channels. Non-members are refused
 * whatever @everyone holds (their a->permissions are @everyone's). */
static bool may_manage(ApiServerAccess *a) {
    return api_access_require_member(a) &&
           api_access_require(a, a->permissions, PERM_MANAGE_CHANNELS);
}

/* ---- list and get ---- */

static void on_list(const DbResult *res, void *userdata) {
    ApiServerAccess *a = userdata;
    if (api_reply_db_failed(a->r, res, "listing channels"))
        return;
    json_object *data = json_object_new_array();
    for (int i = 0; i < db_ntuples(res); i++)
        if (can_view(a, res, i)) /* private channels stay invisible to who may not view them */
            json_object_array_add(data, channel_json(res, i));
    api_reply_data(a->r, 200, data);
}

static void on_list_access(ApiServerAccess *a) {
    if (!api_access_require_member_or_default(a))
        return;
    const char *params[1] = {api_id_str(a->r, a->server_id)};
    api_db_query(a->r, &statements[S_LIST], params, on_list, a, "listing channels");
}

static void handle_list(ApiRequest *r) {
    api_access_load(r, api_param(r, 0), on_list_access, NULL);
}

/* One channel after a get, create or update: 404 when absent, 403 when not viewable. */
static void on_channel(const DbResult *res, void *userdata) {
    ApiServerAccess *a = userdata;
    if (!api_reply_one_row(a->r, res, "reading a channel", 404, "Channel not found"))
        return;
    if (!api_access_require(a, can_view(a, res, 0) ? PERM_VIEW_CHANNEL : 0, PERM_VIEW_CHANNEL))
        return;
    json_object *data = channel_json(res, 0);
    HttpMethod m = a->r->route->method;
    /* An update may change the channel's overwrites: who may see it. Only who may view the
     * channel hears of it. */
    if (m != HTTP_GET)
        api_publish_channel(a->r->api,
                            m == HTTP_POST ? HYPE__API_SIGNAL__EVENT_KIND__EVENT_CHANNEL_CREATED
                                           : HYPE__API_SIGNAL__EVENT_KIND__EVENT_CHANNEL_UPDATED,
                            a->server_id, strtoull(db_value(res, 0, 0), NULL, 10), data,
                            m != HTTP_POST, NULL);
    api_reply_data(a->r, m == HTTP_POST ? 201 : 200, data);
}

/* The channel param, or 0 after answering 404. */
static uint64_t channel_param(ApiServerAccess *a) {
    uint64_t id = 0;
    if (a->channel_id) /* /api/channels/:id: loaded through the channel */
        return a->channel_id;
    if (id_parse(api_param(a->r, 1), &id) < 0)
        api_reply_error(a->r, 404, "Channel not found");
    return id;
}

static void on_get_access(ApiServerAccess *a) {
    if (!api_access_require_member_or_default(a))
        return;
    uint64_t id = channel_param(a);
    if (!id)
        return;
    const char *params[2] = {api_id_str(a->r, a->server_id), api_id_str(a->r, id)};
    api_db_query(a->r, &statements[S_GET], params, on_channel, a, "reading a channel");
}

static void handle_get(ApiRequest *r) {
    api_access_load(r, api_param(r, 0), on_get_access, NULL);
}

/* ---- create ---- */

/* "text", "Voice"... are accepted; the API speaks upper case. */
static const char *channel_type(ApiRequest *r) {
    const char *t = validate_get_string(r->body, "type");
    char *up = arena_strdup(r->arena, t ? t : "TEXT");
    for (char *p = up; p && *p; p++)
        *p = (char)toupper((unsigned char)*p);
    return up;
}

static const char *int_param(ApiRequest *r, const char *name) {
    json_object *v = json_get(r->body, name);
    return v ? arena_printf(r->arena, "%lld", (long long)json_object_get_int64(v)) : NULL;
}

static void on_create_access(ApiServerAccess *a) {
    ApiRequest *r = a->r;
    if (!may_manage(a))
        return;
    const char *type = channel_type(r);
    bool voice = strcmp(type, "VOICE") == 0;
    const char *bitrate = int_param(r, "bitrate");
    const char *params[9] = {
        api_id_str(r, id_next(&r->api->ids)),     api_id_str(r, a->server_id),
        validate_get_string(r->body, "name"),     type,
        validate_get_string(r->body, "topic"),    int_param(r, "position"),
        voice ? int_param(r, "userLimit") : NULL, voice ? (bitrate ? bitrate : "64") : NULL,
        api_id_str(r, r->auth.user_id),
    };
    api_db_query(r, &statements[S_CREATE], params, on_channel, a, "creating a channel");
}

static void handle_create(ApiRequest *r) {
    api_access_load(r, api_param(r, 0), on_create_access, NULL);
}

/* ---- update and delete ---- */

/*
 * Changing one channel: decided on the caller's permissions in that channel, before anything is
 * written (an overwrite may deny manage-channels, or the view of it, to who holds it server-wide).
 * Both route forms load the channel itself; under /api/servers/:serverId it must be one of that
 * server's.
 */
static bool may_manage_channel(ApiServerAccess *a) {
    bool nested = strncmp(a->r->route->path, "/api/servers/", 13) == 0;
    return (!nested || api_access_require_channel_of(a, api_param(a->r, 0))) &&
           api_access_require_member(a) &&
           api_access_require(a, a->channel_permissions, PERM_VIEW_CHANNEL | PERM_MANAGE_CHANNELS);
}

static void on_update_access(ApiServerAccess *a) {
    ApiRequest *r = a->r;
    if (!may_manage_channel(a))
        return;
    uint64_t id = a->channel_id;
    static const char *const fields[] = {"name", "topic", "position", "userLimit", "bitrate"};
    const char *params[12] = {api_id_str(r, a->server_id), api_id_str(r, id)};
    for (size_t i = 0; i < 5; i++) {
        params[2 + 2 * i] = validate_has(r->body, fields[i]) ? "true" : "false";
        params[3 + 2 * i] =
            i < 2 ? validate_get_string(r->body, fields[i]) : int_param(r, fields[i]);
    }
    api_db_query(r, &statements[S_UPDATE], params, on_channel, a, "updating a channel");
}

static void handle_update(ApiRequest *r) {
    api_access_load_channel(r, api_param(r, 1), on_update_access, NULL);
}

static void on_deleted(const DbResult *res, void *userdata) {
    ApiServerAccess *a = userdata;
    if (!api_reply_one_row(a->r, res, "deleting a channel", 404, "Channel not found"))
        return;
    json_object *data = json_object_new_object();
    json_object_object_add(data, "id", json_object_new_string(api_id_str(a->r, a->channel_id)));
    json_object_object_add(data, "serverId",
                           json_object_new_string(api_id_str(a->r, a->server_id)));
    /* To who could view it, as its overwrites were. */
    ApiChannelBefore before = {.deleted = true, .overwrites = db_value(res, 0, 0)};
    api_publish_channel(a->r->api, HYPE__API_SIGNAL__EVENT_KIND__EVENT_CHANNEL_DELETED,
                        a->server_id, a->channel_id, data, false, &before);
    json_object_put(data);
    api_reply_empty(a->r, 204);
}

static void on_delete_access(ApiServerAccess *a) {
    ApiRequest *r = a->r;
    if (!may_manage_channel(a))
        return;
    const char *params[2] = {api_id_str(r, a->server_id), api_id_str(r, a->channel_id)};
    api_db_query(r, &statements[S_DELETE], params, on_deleted, a, "deleting a channel");
}

static void handle_delete(ApiRequest *r) {
    api_access_load_channel(r, api_param(r, 1), on_delete_access, NULL);
}

/* ---- seed 000's flat routes: /api/channels[/:id], the server found through the channel ---- */

static void on_default_server(const DbResult *res, void *userdata) {
    ApiRequest *r = userdata;
    if (!api_reply_one_row(r, res, "finding the default server", 404,
                           "Server not found (give serverId; there is no default server)"))
        return;
    const char *id = arena_strdup(r->arena, db_value(res, 0, 0));
    api_access_load(r, id, r->route->method == HTTP_GET ? on_list_access : on_create_access, NULL);
}

/* GET and POST /api/channels act on serverId (query or body), else on the default server. */
static void with_flat_server(ApiRequest *r, const char *server_id) {
    if (server_id) {
        api_access_load(r, server_id,
                        r->route->method == HTTP_GET ? on_list_access : on_create_access, NULL);
        return;
    }
    api_db_query(r, &statements[S_DEFAULT_SERVER], NULL, on_default_server, r,
                 "finding the default server");
}

static void handle_flat_list(ApiRequest *r) {
    with_flat_server(r, api_query(r, "serverId"));
}

static void handle_flat_create(ApiRequest *r) {
    with_flat_server(r, validate_get_string(r->body, "serverId"));
}

static void handle_flat_one(ApiRequest *r) {
    api_access_cb next = r->route->method == HTTP_GET      ? on_get_access
                         : r->route->method == HTTP_DELETE ? on_delete_access
                                                           : on_update_access;
    api_access_load_channel(r, api_param(r, 0), next, NULL);
}

/* ---- tables ---- */

static const char *const types[] = {"TEXT",         "VOICE", "ANNOUNCEMENT", "text", "voice",
                                    "announcement", NULL};

/* clang-format off */
#define CHANNEL_FIELDS(name_flags)                                                          \
    {"name", VALIDATE_STRING, name_flags, 1, 100, VALIDATE_ANY, NULL, NULL},                \
    {"topic", VALIDATE_STRING, VALIDATE_NULLABLE, 0, 1024, VALIDATE_ANY, NULL, NULL},       \
    {"position", VALIDATE_INT, 0, 0, 10000, VALIDATE_ANY, NULL, NULL},                      \
    {"userLimit", VALIDATE_INT, VALIDATE_NULLABLE, 0, 99, VALIDATE_ANY, NULL, NULL},        \
    {"bitrate", VALIDATE_INT, VALIDATE_NULLABLE, 8, 384, VALIDATE_ANY, NULL, NULL}
/* clang-format on */

static const ValidateField create_fields[] = {
    CHANNEL_FIELDS(VALIDATE_REQUIRED),
    {"serverId", VALIDATE_STRING, 0, 1, 20, VALIDATE_ID, NULL, NULL}, /* /api/channels only */
    {"type", VALIDATE_ENUM, 0, 0, 0, VALIDATE_ANY, types, NULL},
};
static const ValidateSchema create_schema = VALIDATE_SCHEMA(create_fields);
static const ValidateField update_fields[] = {CHANNEL_FIELDS(0)};
static const ValidateSchema update_schema = VALIDATE_SCHEMA(update_fields);

static const ApiRoute routes[] = {
    {HTTP_GET, "/api/servers/:serverId/channels", handle_list, ROUTE_AUTH_OPTIONAL, NULL,
     "The server's channels you may view, by position"},
    {HTTP_POST, "/api/servers/:serverId/channels", handle_create, ROUTE_AUTH, &create_schema,
     "Create a channel (manage-channels permission)"},
    {HTTP_GET, "/api/servers/:serverId/channels/:channelId", handle_get, ROUTE_AUTH_OPTIONAL, NULL,
     "One channel you may view"},
    {HTTP_PUT, "/api/servers/:serverId/channels/:channelId", handle_update, ROUTE_AUTH,
     &update_schema, "Update a channel (manage-channels permission)"},
    {HTTP_PATCH, "/api/servers/:serverId/channels/:channelId", handle_update, ROUTE_AUTH,
     &update_schema, "Update a channel (manage-channels permission)"},
    {HTTP_DELETE, "/api/servers/:serverId/channels/:channelId", handle_delete, ROUTE_AUTH, NULL,
     "Delete a channel (manage-channels permission); 204"},
};

/* ---- what the caller may do in a channel ---- */

static void on_access(ApiServerAccess *a) {
    ApiRequest *r = a->r;
    /* The same rule as reading its messages: members with the view permission. */
    if (!api_access_require_member(a) ||
        !api_access_require(a, a->channel_permissions, PERM_VIEW_CHANNEL))
        return;
    json_object *data = json_object_new_object();
    json_object_object_add(data, "channelId", json_object_new_string(api_id_str(r, a->channel_id)));
    json_object_object_add(data, "serverId", json_object_new_string(api_id_str(r, a->server_id)));
    json_object_object_add(data, "type", json_object_new_string(a->channel_type));
    json_object_object_add(data, "permissions",
                           json_object_new_string(arena_printf(
                               r->arena, "%llu", (unsigned long long)a->channel_permissions)));
    api_reply_data(r, 200, data);
}

static void handle_access(ApiRequest *r) {
    api_access_load_channel(r, api_param(r, 0), on_access, NULL);
}

/* hype-signal asks the same for a session that subscribes to a channel (or holds a subscription
 * while permissions change): as on_access decides it, the login session alive first. */
static void on_signal_access(ApiServerAccess *a, int error, const DbResult *res, void *userdata) {
    ApiSignalCall *call = userdata;
    if (error == -ENOENT)
        api_signal_reply_error(call, HYPE__ERROR__CODE__CODE_NOT_FOUND, "Channel not found");
    else if (error == -EACCES)
        api_signal_reply_error(call, HYPE__ERROR__CODE__CODE_FORBIDDEN, "Server is blocked");
    else if (error == -ENOMEM)
        api_signal_reply_error(call, HYPE__ERROR__CODE__CODE_UNAVAILABLE, "Out of memory");
    else if (error < 0)
        api_signal_reply_db_failed(call, res, "loading server access");
    else if (!api_access_is_member(a))
        api_signal_reply_error(call, HYPE__ERROR__CODE__CODE_FORBIDDEN, API_ACCESS_NOT_MEMBER);
    else if (!(a->channel_permissions & PERM_VIEW_CHANNEL))
        api_signal_reply_error(call, HYPE__ERROR__CODE__CODE_FORBIDDEN,
                               API_ACCESS_MISSING_PERMISSIONS);
    else {
        Hype__ApiSignal__ChannelAccessResult c = HYPE__API_SIGNAL__CHANNEL_ACCESS_RESULT__INIT;
        c.server_id = a->server_id;
        c.channel_type = (char *)a->channel_type;
        c.permissions = a->channel_permissions;
        Hype__ApiSignal__Envelope env = HYPE__API_SIGNAL__ENVELOPE__INIT;
        env.body_case = HYPE__API_SIGNAL__ENVELOPE__BODY_CHANNEL_ACCESS_RESULT;
        env.channel_access_result = &c;
        api_signal_reply(call, &env);
    }
}

static void serve_channel_access(Api *api, ApiSignalCall *call,
                                 const Hype__ApiSignal__Envelope *env) {
    const Hype__ApiSignal__ChannelAccess *q = env->channel_access;
    if (revocations_contains(api->revoked, q->session_id, time_wall_ms())) {
        api_signal_reply_error(call, HYPE__ERROR__CODE__CODE_UNAUTHENTICATED,
                               api_auth_error_message(-EKEYREVOKED));
        return;
    }
    int r = api_access_load_channel_as(api, api_signal_call_arena(call), q->user_id, q->channel_id,
                                       on_signal_access, call);
    if (r < 0) {
        DbResult failed = {.error = r};
        api_signal_reply_db_failed(call, &failed, "loading server access");
    }
}

static const ApiSignalHandler signal_handlers[] = {
    {HYPE__API_SIGNAL__ENVELOPE__BODY_CHANNEL_ACCESS, serve_channel_access},
};

static const ApiRoute flat_routes[] = {
    {HTTP_GET, "/api/channels", handle_flat_list, ROUTE_AUTH_OPTIONAL, NULL,
     "Channels of serverId (default: the default server) you may view"},
    {HTTP_POST, "/api/channels", handle_flat_create, ROUTE_AUTH, &create_schema,
     "Create a channel in serverId (default: the default server)"},
    {HTTP_GET, "/api/channels/:id", handle_flat_one, ROUTE_AUTH_OPTIONAL, NULL, "One channel"},
    {HTTP_GET, "/api/channels/:id/access", handle_access, ROUTE_AUTH, NULL,
     "Your permissions in a channel (decimal string); 403 unless a member who may view it"},
    {HTTP_PUT, "/api/channels/:id", handle_flat_one, ROUTE_AUTH, &update_schema,
     "Update a channel"},
    {HTTP_PATCH, "/api/channels/:id", handle_flat_one, ROUTE_AUTH, &update_schema,
     "Update a channel"},
    {HTTP_DELETE, "/api/channels/:id", handle_flat_one, ROUTE_AUTH, NULL, "Delete a channel; 204"},
};

const ApiModule api_module_channels_flat = {
    .name = "channels (flat)",
    .routes = flat_routes,
    .n_routes = sizeof(flat_routes) / sizeof(flat_routes[0]),
    .signal_handlers = signal_handlers,
    .n_signal_handlers = sizeof(signal_handlers) / sizeof(signal_handlers[0]),
};

const ApiModule api_module_channels = {
    .name = "channels",
    .routes = routes,
    .n_routes = sizeof(routes) / sizeof(routes[0]),
    .statements = statements,
    .n_statements = sizeof(statements) / sizeof(statements[0]),
};
