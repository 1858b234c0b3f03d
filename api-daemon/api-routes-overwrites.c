/* api-routes-overwrites: a channel's permission overwrites for roles and members (what makes
 * private channels), Discord's PUT/DELETE /channels/:id/permissions/:targetId under servers. */
#include <stdlib.h>
#include <string.h>

#include "api-access.h"
#include "api-events.h"
#include "api-permissions.h"
#include "api-reply.h"
#include "api-server.h"
#include "hype-id.h"
#include "hype-json.h"

enum {
    S_LIST,
    S_PUT,
    S_DELETE,
    S__COUNT,
};

static const DbStatement statements[] = {
    [S_LIST] = {"overwrites_list",
                "SELECT target_type, target_id, allow, deny FROM channel_overwrites"
                " WHERE channel_id = $1 ORDER BY target_type DESC, target_id",
                1},
    /* Only for a role of this server, or one of its members; one row when written. At most
     * ACCESS_CHANNEL_OVERWRITES_MAX per channel (a trigger, sql/005_limits.sql). */
    [S_PUT] = {"overwrites_put",
               "INSERT INTO channel_overwrites (channel_id, target_type, target_id, allow, deny)"
               " SELECT $1::int8, $2::text, $3::int8, $4::int8, $5::int8"
               " WHERE CASE WHEN $2::text = 'role'"
               "   THEN EXISTS (SELECT 1 FROM roles WHERE id = $3::int8 AND server_id = $6::int8)"
               "   ELSE EXISTS (SELECT 1 FROM server_members"
               "                WHERE user_id = $3::int8 AND server_id = $6::int8) END"
               " ON CONFLICT (channel_id, target_type, target_id)"
               " DO UPDATE SET allow = EXCLUDED.allow, deny = EXCLUDED.deny"
               " RETURNING target_type, target_id, allow, deny",
               6},
    [S_DELETE] = {"overwrites_delete",
                  "DELETE FROM channel_overwrites WHERE channel_id = $1 AND target_id = $2"
                  " AND ($3::text IS NULL OR target_type = $3::text)",
                  3},
};
_Static_assert(sizeof(statements) / sizeof(statements[0]) == S__COUNT, "one statement per S_");

static json_object *overwrite_json(const DbResult *res, int i) {
    json_object *o = json_object_new_object();
    json_object_object_add(o, "id", json_new_string_or_null(db_value(res, i, 1)));
    json_object_object_add(o, "type", json_new_string_or_null(db_value(res, i, 0)));
    json_object_object_add(o, "allow", json_new_string_or_null(db_value(res, i, 2)));
    json_object_object_add(o, "deny", json_new_string_or_null(db_value(res, i, 3)));
    return o;
}

/* The channel must be the one of the server in the path; members only. */
static bool channel_in_server(ApiServerAccess *a) {
    uint64_t server = 0;
    if (id_parse(api_param(a->r, 0), &server) < 0 || server != a->server_id) {
        api_reply_error(a->r, 404, "Channel not found");
        return false;
    }
    return api_access_require_member(a) &&
           api_access_require(a, a->channel_permissions, PERM_VIEW_CHANNEL);
}

/* Who may see the channel changed: live sessions re-check, clients refresh the channel. */
static void publish(ApiServerAccess *a, json_object *overwrite, const char *removed_id) {
    json_object *data = json_object_new_object();
    json_object_object_add(data, "channelId",
                           json_object_new_string(api_id_str(a->r, a->channel_id)));
    json_object_object_add(data, "serverId",
                           json_object_new_string(api_id_str(a->r, a->server_id)));
    if (overwrite)
        json_object_object_add(data, "overwrite", json_object_get(overwrite));
    if (removed_id)
        json_object_object_add(data, "removedId", json_object_new_string(removed_id));
    api_publish(a->r->api, "channel_permissions_updated", HYPE__EVENT__TARGET_KIND__TARGET_SERVER,
                &a->server_id, 1, data, true);
    json_object_put(data);
}

/* ---- list ---- */

static void on_list(const DbResult *res, void *userdata) {
    ApiServerAccess *a = userdata;
    if (api_reply_db_failed(a->r, res, "listing permission overwrites"))
        return;
    json_object *data = json_object_new_array();
    for (int i = 0; i < db_ntuples(res); i++)
        json_object_array_add(data, overwrite_json(res, i));
    api_reply_data(a->r, 200, data);
}

static void on_list_access(ApiServerAccess *a) {
    if (!channel_in_server(a))
        return;
    const char *params[1] = {api_id_str(a->r, a->channel_id)};
    api_db_query(a->r, &statements[S_LIST], params, on_list, a, "listing permission overwrites");
}

static void handle_list(ApiRequest *r) {
    api_access_load_channel(r, api_param(r, 1), on_list_access, NULL);
}

/* ---- put and delete ---- */

static bool may_manage(ApiServerAccess *a) {
    return channel_in_server(a) && api_access_require(a, a->channel_permissions, PERM_MANAGE_ROLES);
}

static void on_put(const DbResult *res, void *userdata) {
    ApiServerAccess *a = userdata;
    if (res->error == -EIO && res->constraint &&
        strcmp(res->constraint, "channel_overwrites_max") == 0) { /* sql/005_limits.sql */
        api_reply_error(a->r, 400,
                        arena_printf(a->r->arena,
                                     "A channel can have at most %d permission overwrites",
                                     ACCESS_CHANNEL_OVERWRITES_MAX));
        return;
    }
    if (api_reply_db_failed(a->r, res, "writing a permission overwrite"))
        return;
    if (db_ntuples(res) != 1) {
        api_reply_error(a->r, 404, "No such role or member in this server");
        return;
    }
    json_object *data = overwrite_json(res, 0);
    publish(a, data, NULL);
    api_reply_data(a->r, 200, data);
}

static void on_put_access(ApiServerAccess *a) {
    ApiRequest *r = a->r;
    if (!may_manage(a))
        return;
    uint64_t target, allow = 0, deny = 0;
    json_object *details = NULL;
    if (id_parse(api_param(r, 2), &target) < 0) {
        api_reply_error(r, 404, "No such role or member in this server");
        return;
    }
    json_object *v;
    if ((v = json_get(r->body, "allow")) && perm_from_json(v, &allow) < 0)
        validate_add_custom(&details, "allow", "Expected a permission bitfield");
    if ((v = json_get(r->body, "deny")) && perm_from_json(v, &deny) < 0)
        validate_add_custom(&details, "deny", "Expected a permission bitfield");
    if (details) {
        api_reply_details(r, 400, "Validation failed", details);
        return;
    }
    if (allow & deny) {
        api_reply_error(r, 400, "A permission cannot be both allowed and denied");
        return;
    }
    /* As with roles: nobody hands out (or takes away) permissions they do not hold. */
    if ((allow | deny) & ~a->channel_permissions) {
        api_reply_error(r, 403, "You cannot grant permissions you do not have");
        return;
    }
    const char *params[6] = {api_id_str(r, a->channel_id),
                             validate_get_string(r->body, "type"),
                             api_id_str(r, target),
                             arena_printf(r->arena, "%llu", (unsigned long long)allow),
                             arena_printf(r->arena, "%llu", (unsigned long long)deny),
                             api_id_str(r, a->server_id)};
    api_db_query(r, &statements[S_PUT], params, on_put, a, "writing a permission overwrite");
}

static void handle_put(ApiRequest *r) {
    api_access_load_channel(r, api_param(r, 1), on_put_access, NULL);
}

static void on_deleted(const DbResult *res, void *userdata) {
    ApiServerAccess *a = userdata;
    if (api_reply_db_failed(a->r, res, "removing a permission overwrite"))
        return;
    if (atoi(PQcmdTuples(res->res)) == 0) {
        api_reply_error(a->r, 404, "Overwrite not found");
        return;
    }
    publish(a, NULL, api_param(a->r, 2));
    api_reply_empty(a->r, 204);
}

static void on_delete_access(ApiServerAccess *a) {
    ApiRequest *r = a->r;
    if (!may_manage(a))
        return;
    uint64_t target;
    const char *type = api_query(r, "type");
    if (id_parse(api_param(r, 2), &target) < 0) {
        api_reply_error(r, 404, "Overwrite not found");
        return;
    }
    if (type && strcmp(type, "role") != 0 && strcmp(type, "member") != 0) {
        json_object *details = NULL;
        validate_add_custom(&details, "type", "Expected role or member");
        api_reply_details(r, 400, "Validation failed", details);
        return;
    }
    const char *params[3] = {api_id_str(r, a->channel_id), api_id_str(r, target), type};
    api_db_query(r, &statements[S_DELETE], params, on_deleted, a,
                 "removing a permission overwrite");
}

static void handle_delete(ApiRequest *r) {
    api_access_load_channel(r, api_param(r, 1), on_delete_access, NULL);
}

/* clang-format off */
static const char *const target_types[] = {"role", "member", NULL};
static const ValidateField put_fields[] = {
    {"type", VALIDATE_ENUM, VALIDATE_REQUIRED, 0, 0, VALIDATE_ANY, target_types, NULL},
};
static const ValidateSchema put_schema = VALIDATE_SCHEMA(put_fields);
/* clang-format on */

static const ApiRoute routes[] = {
    {HTTP_GET, "/api/servers/:serverId/channels/:channelId/permissions", handle_list, ROUTE_AUTH,
     NULL, "The channel's permission overwrites (members who may view it)"},
    {HTTP_PUT, "/api/servers/:serverId/channels/:channelId/permissions/:targetId", handle_put,
     ROUTE_AUTH, &put_schema,
     "Set the overwrite of a role or member {type: role|member, allow, deny} (manage-roles; at "
     "most 500 a channel)"},
    {HTTP_DELETE, "/api/servers/:serverId/channels/:channelId/permissions/:targetId", handle_delete,
     ROUTE_AUTH, NULL, "Remove an overwrite (?type=role|member), 204"},
};

const ApiModule api_module_overwrites = {
    "channel permissions",
    routes,
    sizeof(routes) / sizeof(routes[0]),
    statements,
    sizeof(statements) / sizeof(statements[0]),
};
