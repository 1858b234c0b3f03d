/* api-routes-overwrites: a channel's permission overwrites for roles and members (what makes
 * private channels), Discord's PUT/DELETE /channels/:id/permissions/:targetId under servers. */
#include <stdlib.h>
#include <string.h>

#include "api-access.h"
#include "api-events.h"
#include "api-permissions.h"
#include "api-reply.h"
#include "api-router.h"
#include "api-server.h"
#include "hype-id.h"
#include "hype-json.h"
#include "hype-macro.h"

enum {
    S_LIST,
    S_TARGET,
    S_PUT,
    S_DELETE,
    S__COUNT,
};

static const DbStatement statements[] = {
    [S_LIST] = {"overwrites_list",
                "SELECT target_type, target_id, allow, deny FROM channel_overwrites"
                " WHERE channel_id = $1 ORDER BY target_type DESC, target_id",
                1},
    /* What the rule for writing or removing overwrites needs to know of their target ($3): one
     * row a type ($4, or both when NULL), with the role of this server of that id (NULL for
     * none), whether that user is a member, and the overwrite there is (NULL for none). */
    [S_TARGET] = {"overwrites_target",
                  "SELECT t.type, r.position, r.is_everyone, m.user_id IS NOT NULL, o.allow, o.deny"
                  " FROM (VALUES ('role'), ('member')) t (type)"
                  " LEFT JOIN roles r"
                  "   ON t.type = 'role' AND r.id = $3::int8 AND r.server_id = $2::int8"
                  " LEFT JOIN server_members m"
                  "   ON t.type = 'member' AND m.server_id = $2::int8 AND m.user_id = $3::int8"
                  " LEFT JOIN channel_overwrites o ON o.channel_id = $1::int8"
                  "   AND o.target_type = t.type AND o.target_id = $3::int8"
                  " WHERE $4::text IS NULL OR t.type = $4::text",
                  4},
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
    return api_access_require_channel_of(a, api_param(a->r, 0)) && api_access_require_member(a) &&
           api_access_require(a, a->channel_permissions, PERM_VIEW_CHANNEL);
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

/* Writing or removing the overwrite of one target, once the caller may manage overwrites. */
typedef struct Change {
    ApiServerAccess *a;
    uint64_t target;
    const char *type;        /* "role", "member", or NULL: a removal of either */
    uint64_t allow, deny;    /* what a PUT writes */
    uint64_t held;           /* what the overwrites there now allow or deny */
    ApiChannelBefore before; /* those overwrites, for who could view the channel before */
    void (*next)(struct Change *c);
} Change;

/* Who may see the channel changed: live sessions re-check, clients refresh the channel; who
 * may view it no more hears it is gone. */
static void publish(Change *c, json_object *overwrite, const char *removed_id) {
    ApiServerAccess *a = c->a;
    json_object *data = json_object_new_object();
    json_object_object_add(data, "channelId",
                           json_object_new_string(api_id_str(a->r, a->channel_id)));
    json_object_object_add(data, "serverId",
                           json_object_new_string(api_id_str(a->r, a->server_id)));
    if (overwrite)
        json_object_object_add(data, "overwrite", json_object_get(overwrite));
    if (removed_id)
        json_object_object_add(data, "removedId", json_object_new_string(removed_id));
    api_publish_channel(a->r->api, HYPE__API_SIGNAL__EVENT_KIND__EVENT_CHANNEL_PERMISSIONS_UPDATED,
                        a->server_id, a->channel_id, data, true, &c->before);
    json_object_put(data);
}

static void require_held(void *userdata) {
    Change *c = userdata;
    /* As with roles: nobody takes away, by removing or rewriting an overwrite, permissions they
     * do not hold (the owner and administrators hold everything; other bits are nobody's). */
    if (c->held & PERM_ALL & ~c->a->channel_permissions) {
        api_reply_error(c->a->r, 403,
                        "You cannot manage an overwrite with permissions you do not have");
        return;
    }
    c->next(c);
}

static void on_target(const DbResult *res, void *userdata) {
    Change *c = userdata;
    ApiServerAccess *a = c->a;
    ApiRequest *r = a->r;
    bool removing = r->route->method == HTTP_DELETE, found = false, member = false;
    if (api_reply_db_failed(r, res, "reading a permission overwrite"))
        return;
    for (int i = 0; i < db_ntuples(res); i++) {
        const char *allow = db_value(res, i, 4), *position = db_value(res, i, 1);
        bool role = strcmp(db_value(res, i, 0), "role") == 0;
        PermTarget kind = role ? PERM_TARGET_ROLE : PERM_TARGET_MEMBER;
        c->before.types |= 1u << kind; /* one row a type the change writes or removes */
        if (allow) {
            uint64_t deny = strtoull(db_value(res, i, 5), NULL, 10);
            c->held |= strtoull(allow, NULL, 10) | deny;
            if (c->before.n_previous < ELEMENTSOF(c->before.previous))
                c->before.previous[c->before.n_previous++] =
                    (PermOverwrite){kind, c->target, strtoull(allow, NULL, 10), deny};
            found = true;
        } else if (removing) {
            continue;
        }
        if (role ? !position : db_value(res, i, 3)[0] != 't' && c->target != a->owner_id) {
            /* Written only for a role or a member there is; what outlived its role or the
             * membership of its member has nobody left to outrank, and may be removed. */
            if (removing)
                continue;
            api_reply_error(r, 404, "No such role or member in this server");
            return;
        }
        if (!role) {
            member = true;
        } else if (db_value(res, i, 2)[0] != 't' && atoi(position) >= api_access_top_position(a)) {
            /* @everyone, at the bottom of every hierarchy, is below everyone who gets here. */
            api_reply_error(
                r, 403, "You cannot manage the overwrite of a role at or above your highest role");
            return;
        }
    }
    if (removing && !found) {
        api_reply_error(r, 404, "Overwrite not found");
        return;
    }
    if (member)
        api_access_require_above(a, c->target, require_held, c);
    else
        require_held(c);
}

/*
 * The one rule for writing (PUT) and removing (DELETE) an overwrite, checked before either: the
 * hierarchy of its target, as for kicks and role assignments (a member below the caller, or the
 * caller itself, never the owner; a role strictly below the caller's highest role, or
 * @everyone), and no permission the caller lacks in what the overwrite there allows or denies
 * (PUT checks what it writes). Answers 404/403 itself; calls c->next otherwise.
 */
static void require_rule(Change *c) {
    ApiRequest *r = c->a->r;
    const char *params[4] = {api_id_str(r, c->a->channel_id), api_id_str(r, c->a->server_id),
                             api_id_str(r, c->target), c->type};
    api_db_query(r, &statements[S_TARGET], params, on_target, c, "reading a permission overwrite");
}

static Change *change_new(ApiServerAccess *a, uint64_t target, const char *type,
                          void (*next)(Change *c)) {
    Change *c = api_zalloc(a->r, sizeof(*c));
    if (!c)
        return NULL;
    *c = (Change){.a = a, .target = target, .type = type, .before.target_id = target, .next = next};
    return c;
}

static void on_put(const DbResult *res, void *userdata) {
    Change *c = userdata;
    ApiServerAccess *a = c->a;
    if (res->error == -EIO && res->constraint &&
        strcmp(res->constraint, "channel_overwrites_max") == 0) { /* sql/005_limits.sql */
        api_reply_error(a->r, 400,
                        arena_printf(a->r->arena,
                                     "A channel can have at most %d permission overwrites",
                                     ACCESS_CHANNEL_OVERWRITES_MAX));
        return;
    }
    if (!api_reply_one_row(a->r, res, "writing a permission overwrite", 404,
                           "No such role or member in this server"))
        return;
    json_object *data = overwrite_json(res, 0);
    publish(c, data, NULL);
    api_reply_data(a->r, 200, data);
}

static void write_overwrite(Change *c) {
    ApiRequest *r = c->a->r;
    const char *params[6] = {api_id_str(r, c->a->channel_id),
                             c->type,
                             api_id_str(r, c->target),
                             arena_printf(r->arena, "%llu", (unsigned long long)c->allow),
                             arena_printf(r->arena, "%llu", (unsigned long long)c->deny),
                             api_id_str(r, c->a->server_id)};
    api_db_query(r, &statements[S_PUT], params, on_put, c, "writing a permission overwrite");
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
    Change *c = change_new(a, target, validate_get_string(r->body, "type"), write_overwrite);
    if (!c)
        return;
    c->allow = allow;
    c->deny = deny;
    require_rule(c);
}

static void handle_put(ApiRequest *r) {
    api_access_load_channel(r, api_param(r, 1), on_put_access, NULL);
}

static void on_deleted(const DbResult *res, void *userdata) {
    Change *c = userdata;
    ApiServerAccess *a = c->a;
    if (api_reply_db_failed(a->r, res, "removing a permission overwrite"))
        return;
    if (atoi(PQcmdTuples(res->res)) == 0) {
        api_reply_error(a->r, 404, "Overwrite not found");
        return;
    }
    publish(c, NULL, api_param(a->r, 2));
    api_reply_empty(a->r, 204);
}

static void remove_overwrite(Change *c) {
    ApiRequest *r = c->a->r;
    const char *params[3] = {api_id_str(r, c->a->channel_id), api_id_str(r, c->target), c->type};
    api_db_query(r, &statements[S_DELETE], params, on_deleted, c,
                 "removing a permission overwrite");
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
    Change *c = change_new(a, target, type, remove_overwrite);
    if (c)
        require_rule(c);
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
     "Set the overwrite of a role or member {type: role|member, allow, deny} (manage-roles, a "
     "target below you, permissions you hold in it before and after; at most 500 a channel)"},
    {HTTP_DELETE, "/api/servers/:serverId/channels/:channelId/permissions/:targetId", handle_delete,
     ROUTE_AUTH, NULL,
     "Remove an overwrite (?type=role|member; manage-roles, a target below you, permissions you "
     "hold in it), 204"},
};

const ApiModule api_module_overwrites = {
    .name = "channel permissions",
    .routes = routes,
    .n_routes = sizeof(routes) / sizeof(routes[0]),
    .statements = statements,
    .n_statements = sizeof(statements) / sizeof(statements[0]),
};
