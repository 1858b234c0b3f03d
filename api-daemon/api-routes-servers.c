/* api-routes-servers: /api/servers listing, creation, update and deletion (seeds 000 and 001). */
#include <stdlib.h>
#include <string.h>

#include "api-access.h"
#include "api-page.h"
#include "api-reply.h"
#include "api-router.h"
#include "api-server.h"
#include "hype-json.h"

#define SERVERS_PAGE_DEFAULT 100
#define SERVERS_PAGE_MAX 1000

/* A server row "s" with its owner "o"; the counts read committed rows. */
#define SERVER_COLUMNS                                                                             \
    "s.id, s.name, s.description, s.icon_url, s.banner_url, s.owner_id, o.username, "              \
    "o.avatar_url, "                                                                               \
    "(SELECT count(*) FROM server_members sm WHERE sm.server_id = s.id), "                         \
    "(SELECT count(*) FROM channels ch WHERE ch.server_id = s.id), "                               \
    "floor(extract(epoch FROM s.created_at) * 1000)::int8, "                                       \
    "floor(extract(epoch FROM s.updated_at) * 1000)::int8"
#define SERVER_FROM " FROM servers s JOIN users o ON o.id = s.owner_id"

enum {
    S_LIST_MINE,
    S_LIST_PUBLIC,
    S_GET,
    S_CREATE,
    S_UPDATE,
    S_DELETE,
    S__COUNT,
};

static const DbStatement statements[] = {
    [S_LIST_MINE] = {"servers_list_mine",
                     "SELECT count(*) OVER (), " SERVER_COLUMNS SERVER_FROM
                     " WHERE s.id IN (SELECT server_id FROM server_members WHERE user_id = $1)"
                     " ORDER BY s.id LIMIT $2 OFFSET $3",
                     3},
    [S_LIST_PUBLIC] = {"servers_list_public",
                       "SELECT count(*) OVER (), " SERVER_COLUMNS SERVER_FROM
                       " WHERE NOT s.is_blocked ORDER BY s.id LIMIT $1 OFFSET $2",
                       2},
    [S_GET] = {"servers_get", "SELECT 0, " SERVER_COLUMNS SERVER_FROM " WHERE s.id = $1", 1},
    /* A new server comes whole, in one statement: its @everyone role, its owner as the first
     * member, a text and a voice channel. The counts are those rows. */
    [S_CREATE] =
        {"servers_create",
         "WITH s AS ("
         "  INSERT INTO servers (id, name, description, icon_url, banner_url, owner_id)"
         "  VALUES ($1, $2, $3, $4, $5, $6) RETURNING *"
         "), e AS ("
         "  INSERT INTO roles (id, server_id, name, permissions, is_everyone)"
         "  SELECT $7::bigint, s.id, '@everyone', $8::bigint, true FROM s"
         "), m AS ("
         "  INSERT INTO server_members (server_id, user_id) SELECT s.id, s.owner_id FROM s"
         "), c AS ("
         "  INSERT INTO channels (id, server_id, name, type, position, bitrate, created_by)"
         "  SELECT $9::bigint, s.id, 'general', 'TEXT', 0, NULL::int, s.owner_id FROM s"
         "  UNION ALL SELECT $10::bigint, s.id, 'General', 'VOICE', 1, 64, s.owner_id FROM s"
         ") SELECT 0, s.id, s.name, s.description, s.icon_url, s.banner_url, s.owner_id,"
         "  o.username, o.avatar_url, 1, 2,"
         "  floor(extract(epoch FROM s.created_at) * 1000)::int8,"
         "  floor(extract(epoch FROM s.updated_at) * 1000)::int8"
         " FROM s JOIN users o ON o.id = s.owner_id",
         10},
    [S_UPDATE] = {"servers_update",
                  "WITH s AS ("
                  "  UPDATE servers x SET"
                  "    name = CASE WHEN $2::bool THEN $3 ELSE x.name END,"
                  "    description = CASE WHEN $4::bool THEN $5 ELSE x.description END,"
                  "    icon_url = CASE WHEN $6::bool THEN $7 ELSE x.icon_url END,"
                  "    banner_url = CASE WHEN $8::bool THEN $9 ELSE x.banner_url END,"
                  "    updated_at = now()"
                  "  WHERE x.id = $1 RETURNING *"
                  ") SELECT 0, " SERVER_COLUMNS " FROM s JOIN users o ON o.id = s.owner_id",
                  9},
    [S_DELETE] = {"servers_delete", "DELETE FROM servers WHERE id = $1", 1},
};
_Static_assert(sizeof(statements) / sizeof(statements[0]) == S__COUNT, "one statement per S_ name");

/* Reads the server at row i; column 0 is the window count, so the server starts at 1. */
static json_object *server_json(const DbResult *res, int i) {
    json_object *s = json_object_new_object(), *owner = json_object_new_object(),
                *count = json_object_new_object();
    const char *icon = db_value(res, i, 4);
    json_object_object_add(s, "id", json_new_string_or_null(db_value(res, i, 1)));
    json_object_object_add(s, "name", json_new_string_or_null(db_value(res, i, 2)));
    json_object_object_add(s, "description", json_new_string_or_null(db_value(res, i, 3)));
    json_object_object_add(s, "iconUrl", json_new_string_or_null(icon));
    json_object_object_add(s, "icon", json_new_string_or_null(icon)); /* seed 001's name */
    json_object_object_add(s, "bannerUrl", json_new_string_or_null(db_value(res, i, 5)));
    json_object_object_add(s, "ownerId", json_new_string_or_null(db_value(res, i, 6)));
    json_object_object_add(owner, "id", json_new_string_or_null(db_value(res, i, 6)));
    json_object_object_add(owner, "username", json_new_string_or_null(db_value(res, i, 7)));
    json_object_object_add(owner, "avatarUrl", json_new_string_or_null(db_value(res, i, 8)));
    json_object_object_add(s, "owner", owner);
    json_object_object_add(count, "members", json_object_new_int64(atoll(db_value(res, i, 9))));
    json_object_object_add(count, "channels", json_object_new_int64(atoll(db_value(res, i, 10))));
    json_object_object_add(s, "_count", count);
    json_object_object_add(s, "createdAt", json_new_time_ms(atoll(db_value(res, i, 11))));
    json_object_object_add(s, "updatedAt", json_new_time_ms(atoll(db_value(res, i, 12))));
    return s;
}

/* ---- list ---- */

typedef struct Page {
    ApiRequest *r;
    ApiPage page;
} Page;

static void on_list(const DbResult *res, void *userdata) {
    Page *p = userdata;
    if (api_reply_db_failed(p->r, res, "listing servers"))
        return;
    json_object *data = json_object_new_array();
    for (int i = 0; i < db_ntuples(res); i++)
        json_object_array_add(data, server_json(res, i));
    api_reply_list(p->r, data, api_page_meta(&p->page, res, API_META_TOTAL | API_META_OFFSET));
}

static void handle_list(ApiRequest *r) {
    json_object *details = NULL;
    Page *p = api_zalloc(r, sizeof(*p));
    if (!p)
        return;
    p->r = r;
    if (api_page_read(r, SERVERS_PAGE_DEFAULT, SERVERS_PAGE_MAX, API_PAGE_OFFSET, &p->page,
                      &details) < 0) {
        api_reply_details(r, 400, "Validation failed", details);
        return;
    }
    const char *limit = arena_printf(r->arena, "%lld", p->page.limit);
    const char *offset = arena_printf(r->arena, "%lld", p->page.offset);
    int e;
    /* Signed in: the caller's servers; anonymous: every server not blocked by an admin. */
    if (r->auth.user_id) {
        const char *params[3] = {api_id_str(r, r->auth.user_id), limit, offset};
        e = db_query(r->api->db, &statements[S_LIST_MINE], params, on_list, p);
    } else {
        const char *params[2] = {limit, offset};
        e = db_query(r->api->db, &statements[S_LIST_PUBLIC], params, on_list, p);
    }
    if (e < 0)
        api_reply_busy(r, e, "listing servers");
}

/* ---- get ---- */

static void on_server(const DbResult *res, void *userdata) {
    ApiRequest *r = userdata;
    if (!api_reply_one_row(r, res, "reading a server", 404, "Server not found"))
        return;
    api_reply_data(r, r->route->method == HTTP_POST ? 201 : 200, server_json(res, 0));
}

static void on_get_access(ApiServerAccess *a) {
    const char *params[1] = {api_id_str(a->r, a->server_id)};
    api_db_query(a->r, &statements[S_GET], params, on_server, a->r, "reading a server");
}

static void handle_get(ApiRequest *r) {
    api_access_load(r, api_param(r, 0), on_get_access, NULL);
}

/* ---- create ---- */

static void handle_create(ApiRequest *r) {
    Api *api = r->api;
    const char *icon = validate_get_string(r->body, "iconUrl");
    if (!icon)
        icon = validate_get_string(r->body, "icon");
    char perms[21];
    perm_to_string(PERM_EVERYONE_DEFAULT, perms);
    const char *params[10] = {
        api_id_str(r, id_next(&api->ids)),           validate_get_string(r->body, "name"),
        validate_get_string(r->body, "description"), icon,
        validate_get_string(r->body, "bannerUrl"),   api_id_str(r, r->auth.user_id),
        api_id_str(r, id_next(&api->ids)),           arena_strdup(r->arena, perms),
        api_id_str(r, id_next(&api->ids)),           api_id_str(r, id_next(&api->ids)),
    };
    int e = db_query(api->db, &statements[S_CREATE], params, on_server, r);
    if (e < 0)
        api_reply_busy(r, e, "creating a server");
}

/* ---- update and delete ---- */

static void on_update_access(ApiServerAccess *a) {
    ApiRequest *r = a->r;
    if (!api_access_require_member(a) || !api_access_require(a, a->permissions, PERM_MANAGE_SERVER))
        return;
    static const char *const fields[] = {"name", "description", "iconUrl", "bannerUrl"};
    const char *params[9] = {api_id_str(r, a->server_id)};
    for (size_t i = 0; i < 4; i++) {
        const char *f = fields[i];
        /* Seed 001 calls the icon "icon". */
        if (i == 2 && !validate_has(r->body, "iconUrl") && validate_has(r->body, "icon"))
            f = "icon";
        params[1 + 2 * i] = validate_has(r->body, f) ? "true" : "false";
        params[2 + 2 * i] = validate_get_string(r->body, f);
    }
    api_db_query(r, &statements[S_UPDATE], params, on_server, r, "updating a server");
}

static void handle_update(ApiRequest *r) {
    api_access_load(r, api_param(r, 0), on_update_access, NULL);
}

static void on_deleted(const DbResult *res, void *userdata) {
    ApiRequest *r = userdata;
    if (api_reply_db_failed(r, res, "deleting a server"))
        return;
    api_reply_empty(r, 204);
}

static void on_delete_access(ApiServerAccess *a) {
    ApiRequest *r = a->r;
    if (!api_access_require_member(a))
        return;
    if (a->is_default) {
        api_reply_error(r, 403, "The default server cannot be deleted");
        return;
    }
    /* Deleting is the owner's, or an administrator's, never a mere manager's. */
    if (!api_access_require(a, a->permissions, PERM_ADMINISTRATOR))
        return;
    const char *params[1] = {api_id_str(r, a->server_id)};
    api_db_query(r, &statements[S_DELETE], params, on_deleted, r, "deleting a server");
}

static void handle_delete(ApiRequest *r) {
    api_access_load(r, api_param(r, 0), on_delete_access, NULL);
}

/* ---- tables ---- */

/* clang-format off */
#define SERVER_FIELDS(name_flags)                                                           \
    {"name", VALIDATE_STRING, name_flags, 1, 100, VALIDATE_ANY, NULL, NULL},                \
    {"description", VALIDATE_STRING, VALIDATE_NULLABLE, 0, 1000, VALIDATE_ANY, NULL, NULL}, \
    {"iconUrl", VALIDATE_STRING, VALIDATE_NULLABLE, 0, 2048, VALIDATE_URL, NULL, NULL},     \
    {"icon", VALIDATE_STRING, VALIDATE_NULLABLE, 0, 2048, VALIDATE_URL, NULL, NULL},        \
    {"bannerUrl", VALIDATE_STRING, VALIDATE_NULLABLE, 0, 2048, VALIDATE_URL, NULL, NULL}
/* clang-format on */

static const ValidateField create_fields[] = {SERVER_FIELDS(VALIDATE_REQUIRED)};
static const ValidateSchema create_schema = VALIDATE_SCHEMA(create_fields);
static const ValidateField update_fields[] = {SERVER_FIELDS(0)};
static const ValidateSchema update_schema = VALIDATE_SCHEMA(update_fields);

static const ApiRoute routes[] = {
    {HTTP_GET, "/api/servers", handle_list, ROUTE_AUTH_OPTIONAL, NULL,
     "Your servers when signed in, else every server not blocked (limit, offset)"},
    {HTTP_POST, "/api/servers", handle_create, ROUTE_AUTH, &create_schema,
     "Create a server; you own it, with @everyone, #general and a voice channel"},
    {HTTP_GET, "/api/servers/:serverId", handle_get, ROUTE_AUTH_OPTIONAL, NULL,
     "One server (403 when blocked by an admin)"},
    {HTTP_PUT, "/api/servers/:serverId", handle_update, ROUTE_AUTH, &update_schema,
     "Update a server (owner or manage-server permission)"},
    {HTTP_PATCH, "/api/servers/:serverId", handle_update, ROUTE_AUTH, &update_schema,
     "Update a server (owner or manage-server permission)"},
    {HTTP_DELETE, "/api/servers/:serverId", handle_delete, ROUTE_AUTH, NULL,
     "Delete a server (owner or administrator); 204"},
};

const ApiModule api_module_servers = {
    .name = "servers",
    .routes = routes,
    .n_routes = sizeof(routes) / sizeof(routes[0]),
    .statements = statements,
    .n_statements = sizeof(statements) / sizeof(statements[0]),
};
