/* api-routes-roles: /api/servers/:serverId/roles (seed 001): CRUD, assignment, with the permission
 * bitfield and hierarchy. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api-events.h"
#include "api-access.h"
#include "api-reply.h"
#include "api-router.h"
#include "api-server.h"
#include "hype-id.h"
#include "hype-json.h"

#define ROLE_POSITION_MAX 10000

/* clang-format off */
#define ROLE_COLUMNS                                                                        \
    "r.id, r.name, r.color, r.permissions, r.position, r.is_hoisted, r.is_mentionable, "     \
    "r.is_everyone, r.server_id"
/* clang-format on */

enum {
    S_LIST,
    S_GET,
    S_CREATE,
    S_UPDATE,
    S_DELETE,
    S_ASSIGN,
    S_UNASSIGN,
    S__COUNT,
};

static const DbStatement statements[] = {
    [S_LIST] = {"roles_list",
                "SELECT " ROLE_COLUMNS " FROM roles r WHERE r.server_id = $1"
                " ORDER BY r.position DESC, r.id",
                1},
    [S_GET] = {"roles_get",
               "SELECT " ROLE_COLUMNS " FROM roles r WHERE r.server_id = $1 AND r.id = $2", 2},
    [S_CREATE] =
        {"roles_create",
         "WITH r AS ("
         "  INSERT INTO roles (id, server_id, name, color, permissions, position, is_hoisted,"
         "                     is_mentionable)"
         "  VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING *"
         "),"
         " audit AS (INSERT INTO audit_logs (id, actor_id, action, target_type, target_id,"
         "   details) SELECT $9, $10, 'role.create', 'role', r.id,"
         "   json_build_object('serverId', r.server_id::text, 'name', r.name,"
         "   'permissions', r.permissions::text)::jsonb FROM r)"
         " SELECT " ROLE_COLUMNS " FROM r",
         10},
    /* Absent fields stay; @everyone keeps its name and its place at the bottom. */
    [S_UPDATE] =
        {"roles_update",
         "WITH r AS ("
         "  UPDATE roles x SET"
         "    name = CASE WHEN $3::bool AND NOT x.is_everyone THEN $4 ELSE x.name END,"
         "    color = CASE WHEN $5::bool THEN $6::int ELSE x.color END,"
         "    permissions = CASE WHEN $7::bool THEN $8::bigint ELSE x.permissions END,"
         "    position = CASE WHEN $9::bool AND NOT x.is_everyone THEN $10::int"
         "                    ELSE x.position END,"
         "    is_hoisted = CASE WHEN $11::bool THEN $12::bool ELSE x.is_hoisted END,"
         "    is_mentionable = CASE WHEN $13::bool THEN $14::bool ELSE x.is_mentionable END,"
         "    updated_at = now()"
         "  WHERE x.server_id = $1 AND x.id = $2 RETURNING *"
         "),"
         " audit AS (INSERT INTO audit_logs (id, actor_id, action, target_type, target_id,"
         "   details) SELECT $15, $16, 'role.update', 'role', r.id,"
         "   json_build_object('serverId', r.server_id::text, 'name', r.name,"
         "   'permissions', r.permissions::text)::jsonb FROM r)"
         " SELECT " ROLE_COLUMNS " FROM r",
         16},
    /* Its channel overwrites go with it: they would count against the channel's limit, and a
     * role made later can never have its id. */
    [S_DELETE] =
        {"roles_delete",
         "WITH d AS (DELETE FROM roles WHERE server_id = $1 AND id = $2 RETURNING id, name),"
         " o AS (DELETE FROM channel_overwrites WHERE target_type = 'role'"
         "   AND target_id IN (SELECT id FROM d)),"
         " audit AS (INSERT INTO audit_logs (id, actor_id, action, target_type, target_id,"
         "   details) SELECT $3, $4, 'role.delete', 'role', d.id,"
         "   json_build_object('serverId', $1::text, 'name', d.name)::jsonb FROM d)"
         " SELECT count(*) FROM d",
         4},
    /* The member must exist (the foreign key says so); assigning twice is one assignment. */
    [S_ASSIGN] =
        {"roles_assign",
         "WITH a AS (INSERT INTO member_roles (server_id, user_id, role_id) VALUES ($1, $2, $3)"
         "   ON CONFLICT DO NOTHING RETURNING user_id),"
         " audit AS (INSERT INTO audit_logs (id, actor_id, action, target_type, target_id,"
         "   details) SELECT $4, $5, 'role.assign', 'user', a.user_id,"
         "   json_build_object('serverId', $1::text, 'roleId', $3::text)::jsonb FROM a)"
         " SELECT count(*) FROM a",
         5},
    [S_UNASSIGN] =
        {"roles_unassign",
         "WITH a AS (DELETE FROM member_roles WHERE server_id = $1 AND user_id = $2"
         "   AND role_id = $3 RETURNING user_id),"
         " audit AS (INSERT INTO audit_logs (id, actor_id, action, target_type, target_id,"
         "   details) SELECT $4, $5, 'role.unassign', 'user', a.user_id,"
         "   json_build_object('serverId', $1::text, 'roleId', $3::text)::jsonb FROM a)"
         " SELECT count(*) FROM a",
         5},
};
_Static_assert(sizeof(statements) / sizeof(statements[0]) == S__COUNT, "one statement per S_ name");

static json_object *role_json(const DbResult *res, int i) {
    json_object *r = json_object_new_object();
    char color[8];
    snprintf(color, sizeof(color), "#%06X", (unsigned)atoi(db_value(res, i, 2)) & 0xFFFFFFu);
    json_object_object_add(r, "id", json_new_string_or_null(db_value(res, i, 0)));
    json_object_object_add(r, "name", json_new_string_or_null(db_value(res, i, 1)));
    json_object_object_add(r, "color", json_object_new_string(color));
    json_object_object_add(r, "permissions", json_new_string_or_null(db_value(res, i, 3)));
    json_object_object_add(r, "position", json_object_new_int(atoi(db_value(res, i, 4))));
    json_object_object_add(r, "isHoisted", json_object_new_boolean(db_value(res, i, 5)[0] == 't'));
    json_object_object_add(r, "isMentionable",
                           json_object_new_boolean(db_value(res, i, 6)[0] == 't'));
    json_object_object_add(r, "isEveryone", json_object_new_boolean(db_value(res, i, 7)[0] == 't'));
    json_object_object_add(r, "serverId", json_new_string_or_null(db_value(res, i, 8)));
    return r;
}

/* ---- input: permissions as a number or a decimal string, color as "#RRGGBB" or a number ---- */

typedef struct RoleInput {
    bool has_permissions, has_color, has_position;
    uint64_t permissions;
    int color, position;
} RoleInput;

static bool parse_color(json_object *v, int *ret) {
    if (json_object_is_type(v, json_type_int)) {
        int64_t c = json_object_get_int64(v);
        *ret = (int)c;
        return c >= 0 && c <= 0xFFFFFF;
    }
    const char *s = json_object_is_type(v, json_type_string) ? json_object_get_string(v) : "";
    if (s[0] != '#' || strlen(s) != 7 || strspn(s + 1, "0123456789abcdefABCDEF") != 6)
        return false;
    *ret = (int)strtol(s + 1, NULL, 16);
    return true;
}

/* Reads permissions, color and position; answers 400 on bad values. */
static bool read_input(ApiRequest *r, RoleInput *in) {
    json_object *details = NULL, *v;
    *in = (RoleInput){0};
    if ((v = json_get(r->body, "permissions"))) {
        in->has_permissions = true;
        if (perm_from_json(v, &in->permissions) < 0)
            validate_add_custom(&details, "permissions",
                                "Expected a permission bitfield (number or decimal string)");
    }
    if ((v = json_get(r->body, "color"))) {
        in->has_color = true;
        if (!parse_color(v, &in->color))
            validate_add_custom(&details, "color", "Expected \"#RRGGBB\" or 0-16777215");
    }
    if ((v = json_get(r->body, "position"))) {
        in->has_position = true;
        in->position = json_object_get_int(v);
    }
    if (details)
        api_reply_details(r, 400, "Validation failed", details);
    return !details;
}

/*
 * The one rule for managing a role: creating, editing, deleting, assigning or removing it. The
 * role sits strictly below the caller's highest role (@everyone, at the bottom of every
 * hierarchy, has no position to check) and carries no permission the caller lacks: nobody hands
 * out, takes away or gives themselves what they do not hold (the owner and administrators hold
 * everything). Checked on the role as stored (stored), and on the values a request writes.
 * Answers 403 itself.
 */
static bool may_manage(ApiServerAccess *a, const RoleInput *role, bool stored) {
    if (role->has_position && role->position >= api_access_top_position(a)) {
        api_reply_error(a->r, 403,
                        stored ? "You cannot manage a role at or above your highest role"
                               : "You cannot place a role at or above your highest role");
        return false;
    }
    if (role->has_permissions && (role->permissions & ~a->permissions)) {
        api_reply_error(a->r, 403,
                        stored ? "You cannot manage a role with permissions you do not have"
                               : "You cannot grant permissions you do not have");
        return false;
    }
    return true;
}

static bool require_manager(ApiServerAccess *a) {
    return api_access_require_member(a) && api_access_require(a, a->permissions, PERM_MANAGE_ROLES);
}

static const char *boolean(ApiRequest *r, const char *name) {
    json_object *v = json_get(r->body, name);
    return v && json_object_get_boolean(v) ? "true" : "false";
}

/* ---- list ---- */

static void on_list(const DbResult *res, void *userdata) {
    ApiServerAccess *a = userdata;
    if (api_reply_db_failed(a->r, res, "listing roles"))
        return;
    json_object *data = json_object_new_array();
    for (int i = 0; i < db_ntuples(res); i++)
        json_object_array_add(data, role_json(res, i));
    api_reply_data(a->r, 200, data);
}

static void on_list_access(ApiServerAccess *a) {
    if (!api_access_require_member(a))
        return;
    const char *params[1] = {api_id_str(a->r, a->server_id)};
    api_db_query(a->r, &statements[S_LIST], params, on_list, a, "listing roles");
}

static void handle_list(ApiRequest *r) {
    api_access_load(r, api_param(r, 0), on_list_access, NULL);
}

/* ---- create ---- */

static void on_role(const DbResult *res, void *userdata) {
    ApiServerAccess *a = userdata;
    if (res->error == -EIO && res->constraint &&
        strcmp(res->constraint, "roles_per_server_max") == 0) { /* sql/005_limits.sql */
        api_reply_error(a->r, 400,
                        arena_printf(a->r->arena, "A server can have at most %d roles",
                                     ACCESS_SERVER_ROLES_MAX));
        return;
    }
    if (!api_reply_one_row(a->r, res, "writing a role", 404, "Role not found"))
        return;
    json_object *data = role_json(res, 0);
    api_publish(a->r->api,
                a->r->route->method == HTTP_POST ? HYPE__API_SIGNAL__EVENT_KIND__EVENT_ROLE_CREATED
                                                 : HYPE__API_SIGNAL__EVENT_KIND__EVENT_ROLE_UPDATED,
                HYPE__API_SIGNAL__EVENT__TARGET_KIND__TARGET_SERVER, &a->server_id, 1, data, true);
    api_reply_data(a->r, a->r->route->method == HTTP_POST ? 201 : 200, data);
}

static void on_create_access(ApiServerAccess *a) {
    ApiRequest *r = a->r;
    RoleInput in;
    if (!require_manager(a) || !read_input(r, &in))
        return;
    if (!in.has_position) { /* right above @everyone, which stays at 0 */
        in.position = 1;
        in.has_position = true;
    }
    if (!may_manage(a, &in, false))
        return;
    const char *params[10] = {
        api_id_str(r, id_next(&r->api->ids)),
        api_id_str(r, a->server_id),
        validate_get_string(r->body, "name"),
        arena_printf(r->arena, "%d", in.color),
        arena_printf(r->arena, "%llu", (unsigned long long)in.permissions),
        arena_printf(r->arena, "%d", in.position),
        boolean(r, "isHoisted"),
        boolean(r, "isMentionable"),
        api_id_str(r, id_next(&r->api->ids)), /* the audit entry */
        api_id_str(r, r->auth.user_id),
    };
    api_db_query(r, &statements[S_CREATE], params, on_role, a, "creating a role");
}

static void handle_create(ApiRequest *r) {
    api_access_load(r, api_param(r, 0), on_create_access, NULL);
}

/* ---- update and delete: first read the target role ---- */

typedef struct Target {
    ApiServerAccess *a;
    uint64_t role_id, member_id;
    void (*next)(struct Target *t, const DbResult *role);
} Target;

static void on_target(const DbResult *res, void *userdata) {
    Target *t = userdata;
    ApiRequest *r = t->a->r;
    if (!api_reply_one_row(r, res, "reading a role", 404, "Role not found"))
        return;
    RoleInput stored = {
        .has_position = db_value(res, 0, 7)[0] != 't', /* not @everyone */
        .has_permissions = true,
        .permissions = strtoull(db_value(res, 0, 3), NULL, 10),
        .position = atoi(db_value(res, 0, 4)),
    };
    if (may_manage(t->a, &stored, true))
        t->next(t, res);
}

/* Loads the role named by the ":roleId" param (index param) and calls next when the caller may
 * manage it. */
static void load_target(ApiServerAccess *a, unsigned param,
                        void (*next)(Target *, const DbResult *)) {
    ApiRequest *r = a->r;
    Target *t = api_zalloc(r, sizeof(*t));
    if (!t)
        return;
    *t = (Target){.a = a, .next = next};
    if (id_parse(api_param(r, param), &t->role_id) < 0) {
        api_reply_error(r, 404, "Role not found");
        return;
    }
    const char *params[2] = {api_id_str(r, a->server_id), api_id_str(r, t->role_id)};
    api_db_query(r, &statements[S_GET], params, on_target, t, "reading a role");
}

static void update_role(Target *t, const DbResult *role) {
    ApiServerAccess *a = t->a;
    ApiRequest *r = a->r;
    RoleInput in;
    if (!read_input(r, &in) || !may_manage(a, &in, false))
        return;
    static const char *const flags[] = {"isHoisted", "isMentionable"};
    const char *params[16] = {
        api_id_str(r, a->server_id),
        api_id_str(r, t->role_id),
        validate_has(r->body, "name") ? "true" : "false",
        validate_get_string(r->body, "name"),
        in.has_color ? "true" : "false",
        arena_printf(r->arena, "%d", in.color),
        in.has_permissions ? "true" : "false",
        arena_printf(r->arena, "%llu", (unsigned long long)in.permissions),
        in.has_position ? "true" : "false",
        arena_printf(r->arena, "%d", in.position),
    };
    for (int i = 0; i < 2; i++) {
        params[10 + 2 * i] = validate_has(r->body, flags[i]) ? "true" : "false";
        params[11 + 2 * i] = boolean(r, flags[i]);
    }
    params[14] = api_id_str(r, id_next(&r->api->ids)); /* the audit entry */
    params[15] = api_id_str(r, r->auth.user_id);
    api_db_query(r, &statements[S_UPDATE], params, on_role, a, "updating a role");
}

static void on_update_access(ApiServerAccess *a) {
    if (require_manager(a))
        load_target(a, 1, update_role);
}

static void handle_update(ApiRequest *r) {
    api_access_load(r, api_param(r, 0), on_update_access, NULL);
}

/* Role deletions and assignments change permissions in the server: say so, live. */
static void publish_role_change(Target *t, Hype__ApiSignal__EventKind kind) {
    ApiRequest *r = t->a->r;
    json_object *data = json_object_new_object();
    json_object_object_add(data, "serverId",
                           json_object_new_string(api_id_str(r, t->a->server_id)));
    json_object_object_add(data, "roleId", json_object_new_string(api_id_str(r, t->role_id)));
    if (t->member_id)
        json_object_object_add(data, "userId", json_object_new_string(api_id_str(r, t->member_id)));
    api_publish(r->api, kind, HYPE__API_SIGNAL__EVENT__TARGET_KIND__TARGET_SERVER, &t->a->server_id,
                1, data, true);
    json_object_put(data);
}

static void on_no_content(const DbResult *res, void *userdata) {
    Target *t = userdata;
    if (api_reply_db_failed(t->a->r, res, "changing roles"))
        return;
    publish_role_change(t, t->member_id ? HYPE__API_SIGNAL__EVENT_KIND__EVENT_MEMBER_ROLES_UPDATED
                                        : HYPE__API_SIGNAL__EVENT_KIND__EVENT_ROLE_DELETED);
    api_reply_empty(t->a->r, 204);
}

static void delete_role(Target *t, const DbResult *role) {
    ApiRequest *r = t->a->r;
    if (db_value(role, 0, 7)[0] == 't') {
        api_reply_error(r, 400, "The @everyone role cannot be deleted");
        return;
    }
    const char *params[4] = {api_id_str(r, t->a->server_id), api_id_str(r, t->role_id),
                             api_id_str(r, id_next(&r->api->ids)), api_id_str(r, r->auth.user_id)};
    api_db_query(r, &statements[S_DELETE], params, on_no_content, t, "deleting a role");
}

static void on_delete_access(ApiServerAccess *a) {
    if (require_manager(a))
        load_target(a, 1, delete_role);
}

static void handle_delete(ApiRequest *r) {
    api_access_load(r, api_param(r, 0), on_delete_access, NULL);
}

/* ---- assignment ---- */

static void on_assigned(const DbResult *res, void *userdata) {
    Target *t = userdata;
    ApiRequest *r = t->a->r;
    if (res->error == -EIO && res->sqlstate && strcmp(res->sqlstate, "23503") == 0) {
        api_reply_error(r, 404, "Member not found");
        return;
    }
    if (api_reply_db_failed(r, res, "assigning a role"))
        return;
    publish_role_change(t, HYPE__API_SIGNAL__EVENT_KIND__EVENT_MEMBER_ROLES_UPDATED);
    json_object *body = json_object_new_object();
    json_object_object_add(body, "success", json_object_new_boolean(1));
    json_object_object_add(body, "message", json_object_new_string("Role assigned"));
    api_reply_json(r, 201, body);
}

static void write_assignment(void *userdata) {
    Target *t = userdata;
    ApiRequest *r = t->a->r;
    bool assign = r->route->method == HTTP_POST;
    const char *params[5] = {api_id_str(r, t->a->server_id), api_id_str(r, t->member_id),
                             api_id_str(r, t->role_id), api_id_str(r, id_next(&r->api->ids)),
                             api_id_str(r, r->auth.user_id)};
    int e = db_query(r->api->db, &statements[assign ? S_ASSIGN : S_UNASSIGN], params,
                     assign ? on_assigned : on_no_content, t);
    if (e < 0)
        api_reply_busy(r, e, "assigning a role");
}

/* The role may be managed (load_target); the member must be below the caller, or the caller. */
static void change_assignment(Target *t, const DbResult *role) {
    ApiRequest *r = t->a->r;
    if (db_value(role, 0, 7)[0] == 't') {
        api_reply_error(r, 400, "Every member has the @everyone role");
        return;
    }
    if (id_parse(api_param(r, 1), &t->member_id) < 0) {
        api_reply_error(r, 404, "Member not found");
        return;
    }
    api_access_require_above(t->a, t->member_id, write_assignment, t);
}

static void on_assign_access(ApiServerAccess *a) {
    if (require_manager(a))
        load_target(a, 2, change_assignment);
}

static void handle_assign(ApiRequest *r) {
    api_access_load(r, api_param(r, 0), on_assign_access, NULL);
}

/* ---- tables ---- */

/* Permissions and color are read by read_input (two JSON types each); position is bounded here. */
/* clang-format off */
#define ROLE_FIELDS(name_flags)                                                             \
    {"name", VALIDATE_STRING, name_flags, 1, 100, VALIDATE_ANY, NULL, NULL},                \
    {"position", VALIDATE_INT, 0, 1, ROLE_POSITION_MAX, VALIDATE_ANY, NULL, NULL},          \
    {"isHoisted", VALIDATE_BOOL, 0, 0, 0, VALIDATE_ANY, NULL, NULL},                        \
    {"isMentionable", VALIDATE_BOOL, 0, 0, 0, VALIDATE_ANY, NULL, NULL}
static const ValidateField create_fields[] = {ROLE_FIELDS(VALIDATE_REQUIRED)};
static const ValidateField update_fields[] = {ROLE_FIELDS(0)};
/* clang-format on */
static const ValidateSchema create_schema = VALIDATE_SCHEMA(create_fields);
static const ValidateSchema update_schema = VALIDATE_SCHEMA(update_fields);

static const ApiRoute routes[] = {
    {HTTP_GET, "/api/servers/:serverId/roles", handle_list, ROUTE_AUTH, NULL,
     "A server's roles, highest first (members only)"},
    {HTTP_POST, "/api/servers/:serverId/roles", handle_create, ROUTE_AUTH, &create_schema,
     "Create a role below yours (manage-roles; only permissions you hold; at most 250 a server)"},
    {HTTP_PATCH, "/api/servers/:serverId/roles/:roleId", handle_update, ROUTE_AUTH, &update_schema,
     "Update a role below yours (manage-roles; only permissions you hold)"},
    {HTTP_PUT, "/api/servers/:serverId/roles/:roleId", handle_update, ROUTE_AUTH, &update_schema,
     "Update a role below yours (manage-roles; only permissions you hold)"},
    {HTTP_DELETE, "/api/servers/:serverId/roles/:roleId", handle_delete, ROUTE_AUTH, NULL,
     "Delete a role below yours (manage-roles; only permissions you hold; not @everyone); 204"},
    {HTTP_POST, "/api/servers/:serverId/roles/members/:memberId/roles/:roleId", handle_assign,
     ROUTE_AUTH, NULL,
     "Give yourself or a member below you a role below yours (manage-roles; only permissions "
     "you hold); 201"},
    {HTTP_DELETE, "/api/servers/:serverId/roles/members/:memberId/roles/:roleId", handle_assign,
     ROUTE_AUTH, NULL,
     "Take a role below yours from yourself or a member below you (manage-roles; only "
     "permissions you hold); 204"},
};

const ApiModule api_module_roles = {
    .name = "roles",
    .routes = routes,
    .n_routes = sizeof(routes) / sizeof(routes[0]),
    .statements = statements,
    .n_statements = sizeof(statements) / sizeof(statements[0]),
};
