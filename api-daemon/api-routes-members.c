/* api-routes-members: /api/serverMembers (seed 001): list, add, nickname, kick or leave, ownership
 * transfer. */
#include <stdlib.h>
#include <string.h>

#include "api-events.h"
#include "api-access.h"
#include "api-page.h"
#include "api-reply.h"
#include "api-router.h"
#include "api-server.h"
#include "hype-id.h"
#include "hype-json.h"

#define MEMBERS_PAGE_DEFAULT 100
#define MEMBERS_PAGE_MAX 1000

/* clang-format off */
/* A member "m" of server "s" with its user "u": the OR of its roles' permissions decides the
 * legacy role name of seed 001. */
#define MEMBER_COLUMNS                                                                      \
    "m.user_id, m.server_id, m.nickname, floor(extract(epoch FROM m.joined_at) * 1000)::int8, " \
    "u.username, u.display_name, u.avatar_url, u.status, s.owner_id = m.user_id, "          \
    "COALESCE((SELECT bit_or(r.permissions) FROM member_roles mr JOIN roles r ON r.id = mr.role_id" \
    "  WHERE mr.server_id = m.server_id AND mr.user_id = m.user_id), 0), "                  \
    "(SELECT string_agg(mr.role_id::text, ',' ORDER BY mr.role_id) FROM member_roles mr"     \
    "  WHERE mr.server_id = m.server_id AND mr.user_id = m.user_id)"
#define MEMBER_FROM                                                                         \
    " FROM server_members m JOIN users u ON u.id = m.user_id JOIN servers s ON s.id = m.server_id"
/* clang-format on */

enum {
    S_LIST,
    S_GET,
    S_ADD,
    S_NICKNAME,
    S_REMOVE,
    S_TRANSFER,
    S__COUNT,
};

static const DbStatement statements[] = {
    [S_LIST] = {"members_list",
                "SELECT " MEMBER_COLUMNS MEMBER_FROM
                " WHERE m.server_id = $1 ORDER BY m.joined_at, m.user_id LIMIT $2 OFFSET $3",
                3},
    [S_GET] = {"members_get",
               "SELECT " MEMBER_COLUMNS MEMBER_FROM " WHERE m.server_id = $1 AND m.user_id = $2",
               2},
    [S_ADD] = {"members_add",
               "INSERT INTO server_members (server_id, user_id) VALUES ($1, $2)"
               " ON CONFLICT DO NOTHING RETURNING user_id",
               2},
    [S_NICKNAME] = {"members_nickname",
                    "UPDATE server_members SET nickname = $3 WHERE server_id = $1 AND user_id = $2",
                    3},
    /* A kick (someone else removed) is a moderation action: it goes to the audit log with it. */
    [S_REMOVE] =
        {"members_remove",
         "WITH changed AS (DELETE FROM server_members WHERE server_id = $1 AND user_id = $2"
         "   RETURNING user_id),"
         " audit AS (INSERT INTO audit_logs (id, actor_id, action, target_type, target_id,"
         "   details) SELECT $4, $3, 'member.kick', 'user', $2,"
         "   json_build_object('serverId', $1::text)::jsonb FROM changed WHERE $3 <> $2)"
         " SELECT count(*) FROM changed",
         4},
    /* Only to a member, and only from the current owner (a concurrent transfer loses). */
    [S_TRANSFER] = {"members_transfer",
                    "UPDATE servers SET owner_id = $2, updated_at = now()"
                    " WHERE id = $1 AND owner_id = $3 AND EXISTS (SELECT 1 FROM server_members"
                    "   WHERE server_id = $1 AND user_id = $2) RETURNING id",
                    3},
};
_Static_assert(sizeof(statements) / sizeof(statements[0]) == S__COUNT, "one statement per S_ name");

static const char *legacy_role(bool owner, uint64_t perms) {
    if (owner)
        return "owner";
    if (perms & PERM_ADMINISTRATOR)
        return "admin";
    if (perms & (PERM_MANAGE_MESSAGES | PERM_KICK_MEMBERS | PERM_BAN_MEMBERS))
        return "moderator";
    return "member";
}

static json_object *member_json(const DbResult *res, int i) {
    json_object *m = json_object_new_object(), *user = json_object_new_object(),
                *roles = json_object_new_array();
    const char *uid = db_value(res, i, 0);
    bool owner = db_value(res, i, 8)[0] == 't';
    const char *role_ids = db_value(res, i, 10);
    for (const char *p = role_ids; p && *p;) {
        size_t n = strcspn(p, ",");
        json_object_array_add(roles, json_object_new_string_len(p, (int)n));
        p += n + (p[n] == ',');
    }
    json_object_object_add(m, "id", json_new_string_or_null(uid));
    json_object_object_add(m, "userId", json_new_string_or_null(uid));
    json_object_object_add(m, "serverId", json_new_string_or_null(db_value(res, i, 1)));
    json_object_object_add(m, "nickname", json_new_string_or_null(db_value(res, i, 2)));
    json_object_object_add(
        m, "role",
        json_object_new_string(legacy_role(owner, strtoull(db_value(res, i, 9), NULL, 10))));
    json_object_object_add(m, "roles", roles);
    json_object_object_add(m, "joinedAt", json_new_time_ms(atoll(db_value(res, i, 3))));
    json_object_object_add(user, "id", json_new_string_or_null(uid));
    json_object_object_add(user, "username", json_new_string_or_null(db_value(res, i, 4)));
    json_object_object_add(user, "displayName", json_new_string_or_null(db_value(res, i, 5)));
    json_object_object_add(user, "avatarUrl", json_new_string_or_null(db_value(res, i, 6)));
    json_object_object_add(user, "status", json_new_string_or_null(db_value(res, i, 7)));
    json_object_object_add(m, "user", user);
    return m;
}

/* The member (or user) a route acts on. */
typedef struct Target {
    ApiServerAccess *a;
    uint64_t user_id;
} Target;

/* The ":memberId" param as an id, or 0 after answering 404. */
static uint64_t member_param(ApiServerAccess *a) {
    uint64_t id = 0;
    if (id_parse(api_param(a->r, 1), &id) < 0)
        api_reply_error(a->r, 404, "Member not found");
    return id;
}

static void on_member(const DbResult *res, void *userdata) {
    ApiServerAccess *a = userdata;
    if (!api_reply_one_row(a->r, res, "reading a member", 404, "Member not found"))
        return;
    json_object *data = member_json(res, 0);
    if (a->r->route->method != HTTP_GET)
        api_publish(
            a->r->api,
            a->r->route->method == HTTP_POST ? HYPE__API_SIGNAL__EVENT_KIND__EVENT_MEMBER_JOINED
                                             : HYPE__API_SIGNAL__EVENT_KIND__EVENT_MEMBER_UPDATED,
            HYPE__API_SIGNAL__EVENT__TARGET_KIND__TARGET_SERVER, &a->server_id, 1, data, false);
    api_reply_data(a->r, a->r->route->method == HTTP_POST ? 201 : 200, data);
}

static void reply_member(ApiServerAccess *a, uint64_t user_id) {
    const char *params[2] = {api_id_str(a->r, a->server_id), api_id_str(a->r, user_id)};
    api_db_query(a->r, &statements[S_GET], params, on_member, a, "reading a member");
}

/* ---- list ---- */

static void on_list(const DbResult *res, void *userdata) {
    ApiServerAccess *a = userdata;
    const ApiPage *p = a->userdata;
    if (api_reply_db_failed(a->r, res, "listing members"))
        return;
    json_object *data = json_object_new_array();
    for (int i = 0; i < db_ntuples(res); i++)
        json_object_array_add(data, member_json(res, i));
    api_reply_list(a->r, data, api_page_meta(p, res, API_META_OFFSET));
}

static void on_list_access(ApiServerAccess *a) {
    ApiRequest *r = a->r;
    if (!api_access_require_member(a))
        return;
    const ApiPage *p = a->userdata;
    const char *params[3] = {api_id_str(r, a->server_id), arena_printf(r->arena, "%lld", p->limit),
                             arena_printf(r->arena, "%lld", p->offset)};
    api_db_query(r, &statements[S_LIST], params, on_list, a, "listing members");
}

static void handle_list(ApiRequest *r) {
    json_object *details = NULL;
    ApiPage *p = api_zalloc(r, sizeof(*p));
    if (!p)
        return;
    if (api_page_read(r, MEMBERS_PAGE_DEFAULT, MEMBERS_PAGE_MAX, API_PAGE_OFFSET, p, &details) <
        0) {
        api_reply_details(r, 400, "Validation failed", details);
        return;
    }
    api_access_load(r, api_param(r, 0), on_list_access, p);
}

/* ---- add ---- */

static void on_added(const DbResult *res, void *userdata) {
    Target *t = userdata;
    ApiRequest *r = t->a->r;
    if (res->error == -EIO && res->sqlstate && strcmp(res->sqlstate, "23503") == 0) {
        api_reply_error(r, 404, "User not found");
        return;
    }
    if (!api_reply_one_row(r, res, "adding a member", 409, "Already a member of this server"))
        return;
    reply_member(t->a, t->user_id);
}

static void on_add_access(ApiServerAccess *a) {
    ApiRequest *r = a->r;
    if (!api_access_require_member(a) || !api_access_require(a, a->permissions, PERM_MANAGE_SERVER))
        return;
    Target *t = arena_zalloc(r->arena, sizeof(*t));
    if (!t || id_parse(validate_get_string(r->body, "userId"), &t->user_id) < 0) {
        api_reply_error(r, 404, "User not found");
        return;
    }
    t->a = a;
    const char *params[2] = {api_id_str(r, a->server_id), api_id_str(r, t->user_id)};
    api_db_query(r, &statements[S_ADD], params, on_added, t, "adding a member");
}

static void handle_add(ApiRequest *r) {
    api_access_load(r, api_param(r, 0), on_add_access, NULL);
}

/* ---- nickname ---- */

static void on_nickname(const DbResult *res, void *userdata) {
    Target *t = userdata;
    if (api_reply_db_failed(t->a->r, res, "setting a nickname"))
        return;
    reply_member(t->a, t->user_id);
}

static void set_nickname(void *userdata) {
    Target *t = userdata;
    ApiRequest *r = t->a->r;
    const char *params[3] = {api_id_str(r, t->a->server_id), api_id_str(r, t->user_id),
                             validate_get_string(r->body, "nickname")};
    api_db_query(r, &statements[S_NICKNAME], params, on_nickname, t, "setting a nickname");
}

/* Yours with change-nickname; a member's below you with manage-nicknames. */
static void on_nickname_access(ApiServerAccess *a) {
    ApiRequest *r = a->r;
    uint64_t id = member_param(a);
    if (!id || !api_access_require_member(a))
        return;
    uint64_t need = id == r->auth.user_id ? PERM_CHANGE_NICKNAME : PERM_MANAGE_NICKNAMES;
    if (!api_access_require(a, a->permissions, need))
        return;
    Target *t = api_zalloc(r, sizeof(*t));
    if (!t)
        return;
    *t = (Target){a, id};
    api_access_require_above(a, id, set_nickname, t);
}

static void handle_nickname(ApiRequest *r) {
    api_access_load(r, api_param(r, 0), on_nickname_access, NULL);
}

/* ---- remove (kick or leave) ---- */

static void on_removed(const DbResult *res, void *userdata) {
    ApiServerAccess *a = userdata;
    if (api_reply_db_failed(a->r, res, "removing a member"))
        return;
    if (atoi(db_value(res, 0, 0)) == 0) {
        api_reply_error(a->r, 404, "Member not found");
        return;
    }
    /* A member who left or was kicked loses the server's channels on live sessions too. */
    json_object *data = json_object_new_object();
    json_object_object_add(data, "serverId",
                           json_object_new_string(api_id_str(a->r, a->server_id)));
    json_object_object_add(data, "userId", json_object_new_string(api_param(a->r, 1)));
    api_publish(a->r->api, HYPE__API_SIGNAL__EVENT_KIND__EVENT_MEMBER_LEFT,
                HYPE__API_SIGNAL__EVENT__TARGET_KIND__TARGET_SERVER, &a->server_id, 1, data, true);
    json_object_put(data);
    api_reply_empty(a->r, 204);
}

static void remove_member(void *userdata) {
    Target *t = userdata;
    ApiRequest *r = t->a->r;
    const char *params[4] = {api_id_str(r, t->a->server_id), api_id_str(r, t->user_id),
                             api_id_str(r, r->auth.user_id), api_id_str(r, id_next(&r->api->ids))};
    api_db_query(r, &statements[S_REMOVE], params, on_removed, t->a, "removing a member");
}

static void on_remove_access(ApiServerAccess *a) {
    ApiRequest *r = a->r;
    uint64_t id = member_param(a);
    if (!id || !api_access_require_member(a))
        return;
    if (id == a->owner_id) {
        api_reply_error(r, 403, "The owner cannot leave or be removed: transfer ownership first");
        return;
    }
    /* Leaving is everyone's right; removing someone else takes the kick permission and a higher
     * role than theirs. */
    if (id != r->auth.user_id && !api_access_require(a, a->permissions, PERM_KICK_MEMBERS))
        return;
    Target *t = api_zalloc(r, sizeof(*t));
    if (!t)
        return;
    *t = (Target){a, id};
    api_access_require_above(a, id, remove_member, t);
}

static void handle_remove(ApiRequest *r) {
    api_access_load(r, api_param(r, 0), on_remove_access, NULL);
}

/* ---- ownership ---- */

static void on_transferred(const DbResult *res, void *userdata) {
    Target *t = userdata;
    ApiRequest *r = t->a->r;
    if (!api_reply_one_row(r, res, "transferring ownership", 400,
                           "The new owner must be a member of the server"))
        return;
    json_object *data = json_object_new_object();
    json_object_object_add(data, "serverId",
                           json_object_new_string(api_id_str(r, t->a->server_id)));
    json_object_object_add(data, "ownerId", json_object_new_string(api_id_str(r, t->user_id)));
    api_reply_data(r, 200, data);
}

static void on_transfer_access(ApiServerAccess *a) {
    ApiRequest *r = a->r;
    if (r->auth.user_id != a->owner_id) {
        api_reply_error(r, 403, "Only the owner can transfer ownership");
        return;
    }
    Target *t = arena_zalloc(r->arena, sizeof(*t));
    if (!t || id_parse(validate_get_string(r->body, "userId"), &t->user_id) < 0) {
        api_reply_error(r, 400, "The new owner must be a member of the server");
        return;
    }
    t->a = a;
    const char *params[3] = {api_id_str(r, a->server_id), api_id_str(r, t->user_id),
                             api_id_str(r, r->auth.user_id)};
    api_db_query(r, &statements[S_TRANSFER], params, on_transferred, t, "transferring ownership");
}

static void handle_transfer(ApiRequest *r) {
    api_access_load(r, api_param(r, 0), on_transfer_access, NULL);
}

/* ---- tables ---- */

/* clang-format off */
static const ValidateField user_fields[] = {
    {"userId", VALIDATE_STRING, VALIDATE_REQUIRED, 1, 20, VALIDATE_ID, NULL, NULL},
};
static const ValidateSchema user_schema = VALIDATE_SCHEMA(user_fields);
static const ValidateField nickname_fields[] = {
    {"nickname", VALIDATE_STRING, VALIDATE_REQUIRED | VALIDATE_NULLABLE, 1, 32, VALIDATE_ANY, NULL, NULL},
};
static const ValidateSchema nickname_schema = VALIDATE_SCHEMA(nickname_fields);
/* clang-format on */

static const ApiRoute routes[] = {
    {HTTP_GET, "/api/serverMembers/:serverId/members", handle_list, ROUTE_AUTH, NULL,
     "A server's members (members only; limit, offset)"},
    {HTTP_POST, "/api/serverMembers/:serverId/members", handle_add, ROUTE_AUTH, &user_schema,
     "Add a user {userId} (manage-server permission)"},
    {HTTP_PUT, "/api/serverMembers/:serverId/members/:memberId", handle_nickname, ROUTE_AUTH,
     &nickname_schema, "Set a nickname (yours, or with manage-nicknames a member's below you)"},
    {HTTP_DELETE, "/api/serverMembers/:serverId/members/:memberId", handle_remove, ROUTE_AUTH, NULL,
     "Leave, or remove a member below you (kick permission); 204"},
    {HTTP_POST, "/api/serverMembers/:serverId/owner", handle_transfer, ROUTE_AUTH, &user_schema,
     "Transfer ownership to a member {userId} (owner only)"},
};

const ApiModule api_module_members = {
    .name = "members",
    .routes = routes,
    .n_routes = sizeof(routes) / sizeof(routes[0]),
    .statements = statements,
    .n_statements = sizeof(statements) / sizeof(statements[0]),
};
