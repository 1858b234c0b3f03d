/* api-routes-admin: /api/admin (seed 001): stats, users, servers, blocking, and the audit log. */
#include <stdlib.h>
#include <string.h>

#include "api-auth.h"
#include "api-page.h"
#include "api-calls.h"
#include "api-reply.h"
#include "api-router.h"
#include "api-server.h"
#include "api-user.h"
#include "hype-id.h"
#include "hype-json.h"

#define PAGE_DEFAULT 20
#define PAGE_MAX 100

/* clang-format off */
/* Every admin change writes its audit row in the same statement as the change: both or neither. */
#define ADMIN_USER_COLUMNS API_USER_COLUMNS ", u.role, u.is_blocked"
#define ADMIN_SERVER_COLUMNS                                                                \
    "s.id, s.name, s.description, s.owner_id, o.username, s.is_blocked, s.blocked_reason, " \
    "(SELECT count(*) FROM server_members sm WHERE sm.server_id = s.id), "                  \
    "(SELECT count(*) FROM channels c WHERE c.server_id = s.id), "                          \
    "floor(extract(epoch FROM s.created_at) * 1000)::int8"
/* clang-format on */

enum {
    S_ROLE,
    S_STATS,
    S_USERS,
    S_USER,
    S_USER_UPDATE,
    S_USER_DELETE,
    S_SERVERS,
    S_SERVER,
    S_SERVER_BLOCK,
    S_SERVER_DELETE,
    S_LOGS,
    S__COUNT,
};

static const DbStatement statements[] = {
    [S_ROLE] = {"admin_role", "SELECT role FROM users WHERE id = $1 AND NOT is_blocked", 1},
    [S_STATS] =
        {"admin_stats",
         "SELECT (SELECT count(*) FROM users),"
         " (SELECT count(*) FROM users WHERE NOT is_blocked),"
         " (SELECT count(*) FROM users WHERE is_blocked),"
         " (SELECT count(*) FROM users WHERE role = 'admin'),"
         " (SELECT count(*) FROM users WHERE role = 'moderator'),"
         " (SELECT count(*) FROM users WHERE role = 'user'),"
         " (SELECT count(*) FROM servers), (SELECT count(*) FROM servers WHERE NOT is_blocked),"
         " (SELECT count(*) FROM servers WHERE is_blocked),"
         " (SELECT count(DISTINCT server_id) FROM channels),"
         " (SELECT count(*) FROM channels),"
         " (SELECT count(*) FROM channels WHERE type <> 'VOICE'),"
         " (SELECT count(*) FROM channels WHERE type = 'VOICE'),"
         " (SELECT COALESCE(sum(message_count), 0) FROM channels),"
         " (SELECT count(*) FROM messages WHERE created_at >= date_trunc('day', now())"
         "   AND deleted_at IS NULL)",
         0},
    /* $3: search in name or address (plain substring, no LIKE patterns); $4: role; $5: status. */
    [S_USERS] = {"admin_users",
                 "SELECT count(*) OVER (), " ADMIN_USER_COLUMNS " FROM users u"
                 " WHERE ($3::text IS NULL OR strpos(lower(u.username), lower($3)) > 0"
                 "        OR strpos(lower(COALESCE(u.email, '')), lower($3)) > 0)"
                 "   AND ($4::text IS NULL OR u.role = $4)"
                 "   AND ($5::text IS NULL OR u.is_blocked = ($5 = 'blocked'))"
                 " ORDER BY u.id LIMIT $1 OFFSET $2",
                 5},
    [S_USER] = {"admin_user", "SELECT 0, " ADMIN_USER_COLUMNS " FROM users u WHERE u.id = $1", 1},
    /* Blocking ends every session of the account; the ids come back to refuse their tokens. */
    [S_USER_UPDATE] =
        {"admin_user_update",
         "WITH changed AS ("
         "  UPDATE users x SET role = COALESCE($2::text, x.role),"
         "    is_blocked = COALESCE($3::bool, x.is_blocked), updated_at = now()"
         "  WHERE x.id = $1 RETURNING x.*"
         "), ended AS ("
         "  UPDATE sessions SET revoked_at = now(), revoked_reason = 'admin'"
         "  WHERE user_id = $1 AND revoked_at IS NULL"
         "    AND EXISTS (SELECT 1 FROM changed WHERE is_blocked) RETURNING id"
         ") , audit AS (INSERT INTO audit_logs (id, actor_id, action, target_type,"
         "  target_id, details) SELECT $5, $4, 'user.update', 'user', $1,"
         "  json_build_object('role', $2::text, 'isBlocked', $3::bool)::jsonb FROM changed"
         ") SELECT 0, " ADMIN_USER_COLUMNS ", (SELECT string_agg(id::text, ',') FROM ended)"
         " FROM changed u",
         5},
    [S_USER_DELETE] =
        {"admin_user_delete",
         "WITH owned AS (SELECT 1 FROM servers WHERE owner_id = $1 LIMIT 1),"
         " live AS (SELECT id FROM sessions WHERE user_id = $1 AND revoked_at IS "
         "NULL)," API_CALLS_END_ACCOUNT_CTE(
             "NOT EXISTS (SELECT 1 FROM owned)") " changed AS (DELETE FROM users WHERE id = $1"
                                                 "   AND NOT EXISTS (SELECT 1 FROM owned) "
                                                 "RETURNING id),"
                                                 " audit AS (INSERT INTO audit_logs (id, actor_id, "
                                                 "action, target_type, target_id)"
                                                 "   SELECT $3, $2, 'user.delete', 'user', $1 FROM "
                                                 "changed)"
                                                 " SELECT EXISTS (SELECT 1 FROM owned), EXISTS "
                                                 "(SELECT 1 FROM changed),"
                                                 "  (SELECT string_agg(id::text, ',') FROM "
                                                 "live), " API_CALLS_ENDED_COLUMN,
         3},
    [S_SERVERS] = {"admin_servers",
                   "SELECT count(*) OVER (), " ADMIN_SERVER_COLUMNS
                   " FROM servers s JOIN users o ON o.id = s.owner_id"
                   " WHERE ($3::text IS NULL OR strpos(lower(s.name), lower($3)) > 0)"
                   "   AND ($4::text IS NULL OR s.is_blocked = ($4 = 'blocked'))"
                   " ORDER BY s.id LIMIT $1 OFFSET $2",
                   4},
    [S_SERVER] = {"admin_server",
                  "SELECT 0, " ADMIN_SERVER_COLUMNS
                  " FROM servers s JOIN users o ON o.id = s.owner_id"
                  " WHERE s.id = $1",
                  1},
    [S_SERVER_BLOCK] =
        {"admin_server_block",
         "WITH changed AS ("
         "  UPDATE servers SET is_blocked = $2::bool, blocked_reason = $3::text, updated_at = now()"
         "  WHERE id = $1 RETURNING *"
         "), audit AS (INSERT INTO audit_logs (id, actor_id, action, target_type,"
         "  target_id, details) SELECT $5, $4,"
         "  CASE WHEN $2 THEN 'server.block' ELSE 'server.unblock' END, 'server', $1,"
         "  json_build_object('reason', $3::text)::jsonb FROM changed"
         ") SELECT 0, " ADMIN_SERVER_COLUMNS " FROM changed s JOIN users o ON o.id = s.owner_id",
         5},
    [S_SERVER_DELETE] = {"admin_server_delete",
                         "WITH changed AS (DELETE FROM servers WHERE id = $1 AND NOT is_default"
                         "   RETURNING id, name),"
                         " audit AS (INSERT INTO audit_logs (id, actor_id, action, target_type,"
                         "   target_id, details) SELECT $3, $2, 'server.delete', 'server', $1,"
                         "   json_build_object('name', name)::jsonb FROM changed)"
                         " SELECT EXISTS (SELECT 1 FROM changed)",
                         3},
    [S_LOGS] =
        {"admin_logs",
         "SELECT count(*) OVER (), l.id, l.actor_id, a.username, l.action, l.target_type,"
         " l.target_id, l.details::text, floor(extract(epoch FROM l.created_at) * 1000)::int8"
         " FROM audit_logs l LEFT JOIN users a ON a.id = l.actor_id"
         " ORDER BY l.id DESC LIMIT $1 OFFSET $2",
         2},
};
_Static_assert(sizeof(statements) / sizeof(statements[0]) == S__COUNT, "one statement per S_ name");

/* ---- who may: the caller's global role, read fresh (a demotion takes effect at once) ---- */

typedef struct Admin {
    ApiRequest *r;
    bool need_admin; /* else moderator or admin */
    void (*next)(struct Admin *ad);
    ApiPage page;
} Admin;

static void on_role(const DbResult *res, void *userdata) {
    Admin *ad = userdata;
    if (api_reply_db_failed(ad->r, res, "checking a role"))
        return;
    const char *role = db_ntuples(res) == 1 ? db_value(res, 0, 0) : "";
    bool admin = strcmp(role, "admin") == 0, moderator = strcmp(role, "moderator") == 0;
    if (!admin && (ad->need_admin || !moderator)) {
        api_reply_error(ad->r, 403,
                        ad->need_admin ? "Administrator role required"
                                       : "Moderator or administrator role required");
        return;
    }
    ad->next(ad);
}

static void with_role(ApiRequest *r, bool need_admin, void (*next)(Admin *)) {
    Admin *ad = api_zalloc(r, sizeof(*ad));
    if (!ad)
        return;
    *ad = (Admin){.r = r, .need_admin = need_admin, .next = next};
    const char *params[1] = {api_id_str(r, r->auth.user_id)};
    api_db_query(r, &statements[S_ROLE], params, on_role, ad, "checking a role");
}

static void run(Admin *ad, int stmt, const char *const *params, db_callback cb) {
    api_db_query(ad->r, &statements[stmt], params, cb, ad, "running an admin query");
}

/* Reads page/limit (default 20, max 100); answers 400 itself. */
static bool paging(Admin *ad) {
    json_object *details = NULL;
    if (api_page_read(ad->r, PAGE_DEFAULT, PAGE_MAX, API_PAGE_NUMBER, &ad->page, &details) < 0) {
        api_reply_details(ad->r, 400, "Validation failed", details);
        return false;
    }
    return true;
}

static json_object *page_meta(const Admin *ad, const DbResult *res) {
    return api_page_meta(&ad->page, res, API_META_TOTAL | API_META_PAGES);
}

/* Optional query filter restricted to the values given; NULL when absent. Answers 400. */
static bool filter(Admin *ad, const char *name, const char *const *allowed, const char **ret) {
    *ret = api_query(ad->r, name);
    if (!*ret)
        return true;
    for (size_t i = 0; allowed[i]; i++)
        if (strcmp(*ret, allowed[i]) == 0)
            return true;
    json_object *details = NULL;
    validate_add_custom(&details, name, "Unknown filter value");
    api_reply_details(ad->r, 400, "Validation failed", details);
    return false;
}

static void revoke_sessions(ApiRequest *r, const char *ids) {
    uint64_t user = 0;
    id_parse(api_param(r, 0), &user);
    api_auth_revoke_list(r->api, user, ids);
}

/* ---- stats ---- */

static json_object *count_at(const DbResult *res, int col) {
    return json_object_new_int64(atoll(db_value(res, 0, col)));
}

static void on_stats(const DbResult *res, void *userdata) {
    Admin *ad = userdata;
    if (api_reply_db_failed(ad->r, res, "computing stats"))
        return;
    json_object *d = json_object_new_object(), *users = json_object_new_object(),
                *roles = json_object_new_object(), *servers = json_object_new_object(),
                *channels = json_object_new_object(), *messages = json_object_new_object();
    json_object_object_add(users, "total", count_at(res, 0));
    json_object_object_add(users, "active", count_at(res, 1));
    json_object_object_add(users, "blocked", count_at(res, 2));
    json_object_object_add(roles, "admin", count_at(res, 3));
    json_object_object_add(roles, "moderator", count_at(res, 4));
    json_object_object_add(roles, "user", count_at(res, 5));
    json_object_object_add(users, "byRole", roles);
    json_object_object_add(servers, "total", count_at(res, 6));
    json_object_object_add(servers, "active", count_at(res, 7));
    json_object_object_add(servers, "blocked", count_at(res, 8));
    json_object_object_add(servers, "withChannels", count_at(res, 9));
    json_object_object_add(channels, "total", count_at(res, 10));
    json_object_object_add(channels, "text", count_at(res, 11));
    json_object_object_add(channels, "voice", count_at(res, 12));
    json_object_object_add(messages, "total", count_at(res, 13));
    json_object_object_add(messages, "today", count_at(res, 14));
    json_object_object_add(d, "users", users);
    json_object_object_add(d, "servers", servers);
    json_object_object_add(d, "channels", channels);
    json_object_object_add(d, "messages", messages);
    api_reply_data(ad->r, 200, d);
}

static void do_stats(Admin *ad) {
    run(ad, S_STATS, NULL, on_stats);
}

static void handle_stats(ApiRequest *r) {
    with_role(r, true, do_stats);
}

/* ---- users ---- */

static json_object *admin_user_json(const DbResult *res, int i) {
    json_object *u = api_user_json(res, i, 1, true);
    const char *role = db_value(res, i, 1 + API_USER_NCOLUMNS);
    bool blocked = db_value(res, i, 2 + API_USER_NCOLUMNS)[0] == 't';
    json_object_object_add(u, "role", json_object_new_string(role));
    json_object_object_add(u, "isBlocked", json_object_new_boolean(blocked));
    json_object_object_add(u, "isActive", json_object_new_boolean(!blocked));
    return u;
}

static void on_users(const DbResult *res, void *userdata) {
    Admin *ad = userdata;
    if (api_reply_db_failed(ad->r, res, "listing users"))
        return;
    json_object *data = json_object_new_array();
    for (int i = 0; i < db_ntuples(res); i++)
        json_object_array_add(data, admin_user_json(res, i));
    api_reply_list(ad->r, data, page_meta(ad, res));
}

static const char *const roles[] = {"user", "moderator", "admin", NULL};
static const char *const statuses[] = {"active", "blocked", NULL};

static void do_users(Admin *ad) {
    const char *role, *status;
    if (!paging(ad) || !filter(ad, "role", roles, &role) ||
        !filter(ad, "status", statuses, &status))
        return;
    ApiRequest *r = ad->r;
    const char *params[5] = {arena_printf(r->arena, "%lld", ad->page.limit),
                             arena_printf(r->arena, "%lld", ad->page.offset),
                             api_query(r, "search"), role, status};
    run(ad, S_USERS, params, on_users);
}

static void handle_users(ApiRequest *r) {
    with_role(r, false, do_users);
}

static void on_user(const DbResult *res, void *userdata) {
    Admin *ad = userdata;
    if (!api_reply_one_row(ad->r, res, "reading a user", 404, "User not found"))
        return;
    /* An update returns the ended sessions after the user's columns. */
    if (PQnfields(res->res) > 3 + API_USER_NCOLUMNS)
        revoke_sessions(ad->r, db_value(res, 0, 3 + API_USER_NCOLUMNS));
    api_reply_data(ad->r, 200, admin_user_json(res, 0));
}

/* The ":id" param, or NULL after answering 404. */
static const char *target(Admin *ad, const char *what) {
    const char *id = api_param(ad->r, 0);
    if (id_is_valid_string(id))
        return id;
    api_reply_error(ad->r, 404, what);
    return NULL;
}

static void do_user(Admin *ad) {
    const char *id = target(ad, "User not found");
    if (!id)
        return;
    const char *params[1] = {id};
    run(ad, S_USER, params, on_user);
}

static void handle_user(ApiRequest *r) {
    with_role(r, false, do_user);
}

static void do_user_update(Admin *ad) {
    ApiRequest *r = ad->r;
    const char *id = target(ad, "User not found");
    if (!id)
        return;
    if (strcmp(id, api_id_str(r, r->auth.user_id)) == 0) {
        api_reply_error(r, 400, "You cannot change your own role or block yourself");
        return;
    }
    /* isActive (seed 001) is the opposite of isBlocked; either may be sent. */
    json_object *active = json_get(r->body, "isActive"), *blocked = json_get(r->body, "isBlocked");
    const char *is_blocked = blocked  ? (json_object_get_boolean(blocked) ? "true" : "false")
                             : active ? (json_object_get_boolean(active) ? "false" : "true")
                                      : NULL;
    const char *params[5] = {id, validate_get_string(r->body, "role"), is_blocked,
                             api_id_str(r, r->auth.user_id), api_id_str(r, id_next(&r->api->ids))};
    run(ad, S_USER_UPDATE, params, on_user);
}

static void handle_user_update(ApiRequest *r) {
    with_role(r, true, do_user_update);
}

static void on_user_deleted(const DbResult *res, void *userdata) {
    Admin *ad = userdata;
    if (api_reply_db_failed(ad->r, res, "deleting a user"))
        return;
    if (db_value(res, 0, 0)[0] == 't') {
        api_reply_error(ad->r, 409, "The user owns servers: transfer or delete them first");
        return;
    }
    if (db_value(res, 0, 1)[0] != 't') {
        api_reply_error(ad->r, 404, "User not found");
        return;
    }
    revoke_sessions(ad->r, db_value(res, 0, 2));
    api_calls_publish_deleted(ad->r->api, db_value(res, 0, 3));
    api_reply_empty(ad->r, 204);
}

static void do_user_delete(Admin *ad) {
    ApiRequest *r = ad->r;
    const char *id = target(ad, "User not found");
    if (!id)
        return;
    const char *params[3] = {id, api_id_str(r, r->auth.user_id),
                             api_id_str(r, id_next(&r->api->ids))};
    run(ad, S_USER_DELETE, params, on_user_deleted);
}

static void handle_user_delete(ApiRequest *r) {
    with_role(r, true, do_user_delete);
}

/* ---- servers ---- */

static json_object *admin_server_json(const DbResult *res, int i) {
    json_object *s = json_object_new_object(), *owner = json_object_new_object(),
                *count = json_object_new_object();
    json_object_object_add(s, "id", json_new_string_or_null(db_value(res, i, 1)));
    json_object_object_add(s, "name", json_new_string_or_null(db_value(res, i, 2)));
    json_object_object_add(s, "description", json_new_string_or_null(db_value(res, i, 3)));
    json_object_object_add(s, "ownerId", json_new_string_or_null(db_value(res, i, 4)));
    json_object_object_add(owner, "id", json_new_string_or_null(db_value(res, i, 4)));
    json_object_object_add(owner, "username", json_new_string_or_null(db_value(res, i, 5)));
    json_object_object_add(s, "owner", owner);
    json_object_object_add(s, "isBlocked", json_object_new_boolean(db_value(res, i, 6)[0] == 't'));
    json_object_object_add(s, "blockedReason", json_new_string_or_null(db_value(res, i, 7)));
    json_object_object_add(count, "members", json_object_new_int64(atoll(db_value(res, i, 8))));
    json_object_object_add(count, "channels", json_object_new_int64(atoll(db_value(res, i, 9))));
    json_object_object_add(s, "_count", count);
    json_object_object_add(s, "createdAt", json_new_time_ms(atoll(db_value(res, i, 10))));
    return s;
}

static void on_servers(const DbResult *res, void *userdata) {
    Admin *ad = userdata;
    if (api_reply_db_failed(ad->r, res, "listing servers"))
        return;
    json_object *data = json_object_new_array();
    for (int i = 0; i < db_ntuples(res); i++)
        json_object_array_add(data, admin_server_json(res, i));
    api_reply_list(ad->r, data, page_meta(ad, res));
}

static void do_servers(Admin *ad) {
    const char *status;
    if (!paging(ad) || !filter(ad, "status", statuses, &status))
        return;
    ApiRequest *r = ad->r;
    const char *params[4] = {arena_printf(r->arena, "%lld", ad->page.limit),
                             arena_printf(r->arena, "%lld", ad->page.offset),
                             api_query(r, "search"), status};
    run(ad, S_SERVERS, params, on_servers);
}

static void handle_servers(ApiRequest *r) {
    with_role(r, false, do_servers);
}

static void on_server(const DbResult *res, void *userdata) {
    Admin *ad = userdata;
    if (!api_reply_one_row(ad->r, res, "reading a server", 404, "Server not found"))
        return;
    api_reply_data(ad->r, 200, admin_server_json(res, 0));
}

static void do_server(Admin *ad) {
    const char *id = target(ad, "Server not found");
    if (!id)
        return;
    const char *params[1] = {id};
    run(ad, S_SERVER, params, on_server);
}

static void handle_server(ApiRequest *r) {
    with_role(r, false, do_server);
}

static void do_server_block(Admin *ad) {
    ApiRequest *r = ad->r;
    const char *id = target(ad, "Server not found");
    if (!id)
        return;
    bool block = strstr(r->route->path, "/unblock") == NULL;
    const char *params[5] = {id, block ? "true" : "false",
                             block ? validate_get_string(r->body, "reason") : NULL,
                             api_id_str(r, r->auth.user_id), api_id_str(r, id_next(&r->api->ids))};
    run(ad, S_SERVER_BLOCK, params, on_server);
}

static void handle_server_block(ApiRequest *r) {
    with_role(r, true, do_server_block);
}

static void on_server_deleted(const DbResult *res, void *userdata) {
    Admin *ad = userdata;
    if (api_reply_db_failed(ad->r, res, "deleting a server"))
        return;
    if (db_value(res, 0, 0)[0] != 't')
        api_reply_error(ad->r, 404, "Server not found (the default server cannot be deleted)");
    else
        api_reply_empty(ad->r, 204);
}

static void do_server_delete(Admin *ad) {
    ApiRequest *r = ad->r;
    const char *id = target(ad, "Server not found");
    if (!id)
        return;
    const char *params[3] = {id, api_id_str(r, r->auth.user_id),
                             api_id_str(r, id_next(&r->api->ids))};
    run(ad, S_SERVER_DELETE, params, on_server_deleted);
}

static void handle_server_delete(ApiRequest *r) {
    with_role(r, true, do_server_delete);
}

/* ---- audit log ---- */

static void on_logs(const DbResult *res, void *userdata) {
    Admin *ad = userdata;
    if (api_reply_db_failed(ad->r, res, "reading the audit log"))
        return;
    json_object *data = json_object_new_array();
    for (int i = 0; i < db_ntuples(res); i++) {
        json_object *l = json_object_new_object(), *actor = NULL;
        if (db_value(res, i, 2)) {
            actor = json_object_new_object();
            json_object_object_add(actor, "id", json_new_string_or_null(db_value(res, i, 2)));
            json_object_object_add(actor, "username", json_new_string_or_null(db_value(res, i, 3)));
        }
        json_object_object_add(l, "id", json_new_string_or_null(db_value(res, i, 1)));
        json_object_object_add(l, "actor", actor);
        json_object_object_add(l, "action", json_new_string_or_null(db_value(res, i, 4)));
        json_object_object_add(l, "targetType", json_new_string_or_null(db_value(res, i, 5)));
        json_object_object_add(l, "targetId", json_new_string_or_null(db_value(res, i, 6)));
        json_object *details = json_tokener_parse(db_value(res, i, 7));
        json_object_object_add(l, "details", details ? details : json_object_new_object());
        json_object_object_add(l, "createdAt", json_new_time_ms(atoll(db_value(res, i, 8))));
        json_object_array_add(data, l);
    }
    api_reply_list(ad->r, data, page_meta(ad, res));
}

static void do_logs(Admin *ad) {
    if (!paging(ad))
        return;
    ApiRequest *r = ad->r;
    const char *params[2] = {arena_printf(r->arena, "%lld", ad->page.limit),
                             arena_printf(r->arena, "%lld", ad->page.offset)};
    run(ad, S_LOGS, params, on_logs);
}

static void handle_logs(ApiRequest *r) {
    with_role(r, true, do_logs);
}

/* ---- tables ---- */

/* clang-format off */
static const ValidateField user_update_fields[] = {
    {"role", VALIDATE_ENUM, 0, 0, 0, VALIDATE_ANY, roles, NULL},
    {"isActive", VALIDATE_BOOL, 0, 0, 0, VALIDATE_ANY, NULL, NULL},
    {"isBlocked", VALIDATE_BOOL, 0, 0, 0, VALIDATE_ANY, NULL, NULL},
};
static const ValidateField block_fields[] = {
    {"reason", VALIDATE_STRING, VALIDATE_REQUIRED, 3, 500, VALIDATE_ANY, NULL, NULL},
};
/* clang-format on */
static const ValidateSchema user_update_schema = VALIDATE_SCHEMA(user_update_fields);
static const ValidateSchema block_schema = VALIDATE_SCHEMA(block_fields);

static const ApiRoute routes[] = {
    {HTTP_GET, "/api/admin/stats", handle_stats, ROUTE_AUTH, NULL,
     "Counts of users, servers, channels, messages (admin)"},
    {HTTP_GET, "/api/admin/users", handle_users, ROUTE_AUTH, NULL,
     "Users: page, limit, search, role, status=active|blocked (moderator)"},
    {HTTP_GET, "/api/admin/users/:id", handle_user, ROUTE_AUTH, NULL,
     "One user with role and status (moderator)"},
    {HTTP_PUT, "/api/admin/users/:id", handle_user_update, ROUTE_AUTH, &user_update_schema,
     "Set {role, isActive|isBlocked}; blocking ends the user's sessions (admin)"},
    {HTTP_DELETE, "/api/admin/users/:id", handle_user_delete, ROUTE_AUTH, NULL,
     "Delete a user (admin); 204"},
    {HTTP_GET, "/api/admin/servers", handle_servers, ROUTE_AUTH, NULL,
     "Servers: page, limit, search, status (moderator)"},
    {HTTP_GET, "/api/admin/servers/:id", handle_server, ROUTE_AUTH, NULL, "One server (moderator)"},
    {HTTP_POST, "/api/admin/servers/:id/block", handle_server_block, ROUTE_AUTH, &block_schema,
     "Block a server {reason} (admin)"},
    {HTTP_POST, "/api/admin/servers/:id/unblock", handle_server_block, ROUTE_AUTH, NULL,
     "Unblock a server (admin)"},
    {HTTP_DELETE, "/api/admin/servers/:id", handle_server_delete, ROUTE_AUTH, NULL,
     "Delete a server (admin); 204"},
    {HTTP_GET, "/api/admin/logs", handle_logs, ROUTE_AUTH, NULL,
     "The audit log, newest first (admin)"},
};

const ApiModule api_module_admin = {
    .name = "admin",
    .routes = routes,
    .n_routes = sizeof(routes) / sizeof(routes[0]),
    .statements = statements,
    .n_statements = S__COUNT,
};
