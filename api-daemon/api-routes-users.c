/* api-routes-users: /api/users listing, profiles, profile updates and status (seed 000). */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "api-auth.h"
#include "api-events.h"
#include "api-page.h"
#include "api-calls.h"
#include "api-reply.h"
#include "api-router.h"
#include "api-server.h"
#include "api-user.h"
#include "hype-id.h"
#include "hype-json.h"

#define USERS_PAGE_DEFAULT 100
#define USERS_PAGE_MAX 1000

enum {
    S_LIST,
    S_GET,
    S_UPDATE,
    S_STATUS,
    S_DELETE,
    S__COUNT,
};

static const DbStatement statements[] = {
    /* One row even past the end, so the total is always known. */
    [S_LIST] =
        {
            "users_list",
            "SELECT t.total, " API_USER_COLUMNS " FROM (SELECT count(*) AS total FROM users) t"
            " LEFT JOIN LATERAL (SELECT * FROM users ORDER BY id LIMIT $1 OFFSET $2) u ON true"
            " ORDER BY u.id",
            2,
        },
    [S_GET] =
        {
            "users_get",
            "SELECT " API_USER_COLUMNS " FROM users u WHERE u.id = $1",
            1,
        },
    /* Each field changes only when its "present" flag is set, so absent means unchanged and
     * JSON null can clear a nullable field. */
    [S_UPDATE] =
        {
            "users_update",
            "UPDATE users u SET"
            "  username = CASE WHEN $2::bool THEN $3 ELSE u.username END,"
            "  display_name = CASE WHEN $4::bool THEN $5 ELSE u.display_name END,"
            "  bio = CASE WHEN $6::bool THEN $7 ELSE u.bio END,"
            "  avatar_url = CASE WHEN $8::bool THEN $9 ELSE u.avatar_url END,"
            "  updated_at = now()"
            " WHERE u.id = $1 RETURNING " API_USER_COLUMNS,
            9,
        },
    [S_STATUS] =
        {
            "users_status",
            "UPDATE users u SET status = $2, is_online = ($2 <> 'offline'),"
            "  custom_status = CASE WHEN $3::bool THEN $4 ELSE u.custom_status END,"
            "  updated_at = now()"
            " WHERE u.id = $1 RETURNING " API_USER_COLUMNS ","
            /* the servers whose members see the change live */
            "  (SELECT string_agg(server_id::text, ',') FROM server_members WHERE user_id = u.id)",
            4,
        },
    /* Refused while the account owns servers (ownership must be handed on first). One row:
     * (owns servers, deleted, its live sessions "id,id,..." to refuse their tokens at once). */
    [S_DELETE] = {"users_delete",
                  "WITH owned AS (SELECT 1 FROM servers WHERE owner_id = $1 LIMIT 1),"
                  " live AS (SELECT id FROM sessions WHERE user_id = $1 AND revoked_at IS "
                  "NULL)," API_CALLS_END_ACCOUNT_CTE(
                      "NOT EXISTS (SELECT 1 FROM owned)") " d AS (DELETE FROM users WHERE id = $1 "
                                                          "AND NOT EXISTS (SELECT 1 FROM owned)"
                                                          "       RETURNING id)"
                                                          " SELECT EXISTS (SELECT 1 FROM owned), "
                                                          "EXISTS (SELECT 1 FROM d),"
                                                          "  (SELECT string_agg(id::text, ',') "
                                                          "FROM live), " API_CALLS_ENDED_COLUMN,
                  1},
};
_Static_assert(sizeof(statements) / sizeof(statements[0]) == S__COUNT, "one statement per S_ name");

/* ":id" is a user id, or "me" for the authenticated user (seed 003's /users/me).
 * Returns 0 when r names no user at all (never an id). */
static uint64_t target_user(ApiRequest *r) {
    const char *p = api_param(r, 0);
    uint64_t id = 0;
    if (strcmp(p, "me") == 0)
        return r->auth.user_id;
    return id_parse(p, &id) == 0 ? id : 0;
}

static void reply_user(ApiRequest *r, const DbResult *res, const char *context) {
    if (!api_reply_one_row(r, res, context, 404, "User not found"))
        return;
    api_reply_data(r, 200, api_user_json(res, 0, 0, api_user_id(res, 0, 0) == r->auth.user_id));
}

/* ---- list ---- */

typedef struct ListPage {
    ApiRequest *r;
    ApiPage page;
} ListPage;

static void on_list(const DbResult *res, void *userdata) {
    ListPage *page = userdata;
    ApiRequest *r = page->r;
    if (api_reply_db_failed(r, res, "listing users"))
        return;
    json_object *data = json_object_new_array();
    for (int i = 0; i < db_ntuples(res); i++)
        if (db_value(res, i, 1))
            json_object_array_add(
                data, api_user_json(res, i, 1, api_user_id(res, i, 1) == r->auth.user_id));
    api_reply_list(r, data, api_page_meta(&page->page, res, API_META_TOTAL | API_META_OFFSET));
}

static void handle_list(ApiRequest *r) {
    json_object *details = NULL;
    ListPage *page = api_zalloc(r, sizeof(*page));
    if (!page)
        return;
    page->r = r;
    if (api_page_read(r, USERS_PAGE_DEFAULT, USERS_PAGE_MAX, API_PAGE_OFFSET, &page->page,
                      &details) < 0) {
        api_reply_details(r, 400, "Validation failed", details);
        return;
    }
    const char *params[2] = {arena_printf(r->arena, "%lld", page->page.limit),
                             arena_printf(r->arena, "%lld", page->page.offset)};
    api_db_query(r, &statements[S_LIST], params, on_list, page, "listing users");
}

/* ---- get ---- */

static void on_get(const DbResult *res, void *userdata) {
    reply_user(userdata, res, "reading a user");
}

static void handle_get(ApiRequest *r) {
    if (strcmp(api_param(r, 0), "me") == 0 && !r->auth.user_id) {
        api_reply_error(r, 401, "Not authenticated");
        return;
    }
    uint64_t id = target_user(r);
    if (!id) {
        api_reply_error(r, 404, "User not found");
        return;
    }
    const char *params[1] = {api_id_str(r, id)};
    api_db_query(r, &statements[S_GET], params, on_get, r, "reading a user");
}

/* ---- update ---- */

static void on_updated(const DbResult *res, void *userdata) {
    ApiRequest *r = userdata;
    if (res->error == -EIO && res->sqlstate && strcmp(res->sqlstate, "23505") == 0) {
        api_reply_error(r, 409, "Username already taken");
        return;
    }
    reply_user(r, res, "updating a user");
}

/* Only the owner may change a profile; answers 403 otherwise. */
static bool own_profile(ApiRequest *r, const char *what) {
    uint64_t id = target_user(r);
    if (id && id == r->auth.user_id)
        return true;
    api_reply_error(r, 403, what);
    return false;
}

static void handle_update(ApiRequest *r) {
    if (!own_profile(r, "Forbidden: You can only update your own profile"))
        return;
    static const char *const fields[] = {"username", "displayName", "bio", "avatarUrl"};
    const char *params[9] = {api_id_str(r, r->auth.user_id)};
    for (size_t i = 0; i < 4; i++) {
        params[1 + 2 * i] = validate_has(r->body, fields[i]) ? "true" : "false";
        params[2 + 2 * i] = validate_get_string(r->body, fields[i]);
    }
    api_db_query(r, &statements[S_UPDATE], params, on_updated, r, "updating a user");
}

/* ---- status ---- */

/* "presence" {userId, status, customStatus} to every server the user is in (S_STATUS's row). */
static void publish_presence(Api *api, const DbResult *res) {
    const char *list = db_value(res, 0, API_USER_NCOLUMNS);
    size_t max = id_list_count(list);
    uint64_t *ids = max ? malloc(max * sizeof(*ids)) : NULL;
    size_t n = ids ? id_list_parse(list, ids, max) : 0;
    if (n > 0) {
        json_object *data = json_object_new_object();
        json_object_object_add(data, "userId", json_new_string_or_null(db_value(res, 0, 0)));
        json_object_object_add(data, "status", json_new_string_or_null(db_value(res, 0, 4)));
        json_object_object_add(data, "customStatus", json_new_string_or_null(db_value(res, 0, 5)));
        api_publish(api, HYPE__API_SIGNAL__EVENT_KIND__EVENT_PRESENCE,
                    HYPE__API_SIGNAL__EVENT__TARGET_KIND__TARGET_SERVER, ids, n, data, false);
        json_object_put(data);
    }
    free(ids);
}

static void on_status(const DbResult *res, void *userdata) {
    ApiRequest *r = userdata;
    if (!res->error && db_ntuples(res) == 1)
        publish_presence(r->api, res);
    reply_user(r, res, "updating a status");
}

static void handle_status(ApiRequest *r) {
    if (!own_profile(r, "Forbidden: You can only update your own status"))
        return;
    const char *params[4] = {
        api_id_str(r, r->auth.user_id),
        validate_get_string(r->body, "status"),
        validate_has(r->body, "customStatus") ? "true" : "false",
        validate_get_string(r->body, "customStatus"),
    };
    api_db_query(r, &statements[S_STATUS], params, on_status, r, "updating a status");
}

/* hype-signal: the user's first session began, or its last one ended. The custom status stays. */
static void on_presence(const DbResult *res, void *userdata) {
    ApiSignalCall *call = userdata;
    if (api_signal_reply_db_failed(call, res, "updating a status"))
        return;
    if (db_ntuples(res) != 1) {
        api_signal_reply_error(call, HYPE__ERROR__CODE__CODE_NOT_FOUND, "User not found");
        return;
    }
    publish_presence(api_signal_call_api(call), res);
    Hype__ApiSignal__SetPresenceResult p = HYPE__API_SIGNAL__SET_PRESENCE_RESULT__INIT;
    Hype__ApiSignal__Envelope env = HYPE__API_SIGNAL__ENVELOPE__INIT;
    env.body_case = HYPE__API_SIGNAL__ENVELOPE__BODY_SET_PRESENCE_RESULT;
    env.set_presence_result = &p;
    api_signal_reply(call, &env);
}

static void serve_presence(Api *api, ApiSignalCall *call, const Hype__ApiSignal__Envelope *env) {
    const Hype__ApiSignal__SetPresence *q = env->set_presence;
    const char *status =
        q->status == HYPE__API_SIGNAL__SET_PRESENCE__STATUS__STATUS_ONLINE    ? "online"
        : q->status == HYPE__API_SIGNAL__SET_PRESENCE__STATUS__STATUS_OFFLINE ? "offline"
                                                                              : NULL;
    if (!status) {
        api_signal_reply_error(call, HYPE__ERROR__CODE__CODE_BAD_REQUEST, "Invalid status");
        return;
    }
    const char *params[4] = {arena_printf(api_signal_call_arena(call), "%" PRIu64, q->user_id),
                             status, "false", NULL};
    api_signal_db_query(call, &statements[S_STATUS], params, on_presence, call,
                        "updating a status");
}

/* ---- delete the account ---- */

static void on_deleted(const DbResult *res, void *userdata) {
    ApiRequest *r = userdata;
    if (api_reply_db_failed(r, res, "deleting an account"))
        return;
    if (db_value(res, 0, 0)[0] == 't') {
        api_reply_error(r, 409, "Transfer or delete the servers you own first");
        return;
    }
    if (db_value(res, 0, 1)[0] != 't') {
        api_reply_error(r, 404, "User not found");
        return;
    }
    api_auth_revoke_list(r->api, r->auth.user_id, db_value(res, 0, 2));
    api_calls_publish_deleted(r->api, db_value(res, 0, 3));
    json_object *body = json_object_new_object();
    json_object_object_add(body, "success", json_object_new_boolean(1));
    json_object_object_add(body, "message", json_object_new_string("User deleted successfully"));
    api_reply_json(r, 200, body);
}

static void handle_delete(ApiRequest *r) {
    const char *params[1] = {api_id_str(r, r->auth.user_id)};
    api_db_query(r, &statements[S_DELETE], params, on_deleted, r, "deleting an account");
}

/* ---- tables ---- */

static const ValidateField update_fields[] = {
    {"username", VALIDATE_STRING, 0, 3, 32, VALIDATE_USERNAME, NULL, NULL},
    {"displayName", VALIDATE_STRING, VALIDATE_NULLABLE, 1, 32, VALIDATE_ANY, NULL, NULL},
    {"bio", VALIDATE_STRING, VALIDATE_NULLABLE, 0, 500, VALIDATE_ANY, NULL, NULL},
    {"avatarUrl", VALIDATE_STRING, VALIDATE_NULLABLE, 0, 2048, VALIDATE_URL, NULL, NULL},
};
static const ValidateSchema update_schema = VALIDATE_SCHEMA(update_fields);

static const char *const statuses[] = {"online", "idle", "dnd", "offline", NULL};
static const ValidateField status_fields[] = {
    {"status", VALIDATE_ENUM, VALIDATE_REQUIRED, 0, 0, VALIDATE_ANY, statuses, NULL},
    {"customStatus", VALIDATE_STRING, VALIDATE_NULLABLE, 0, 128, VALIDATE_ANY, NULL, NULL},
};
static const ValidateSchema status_schema =
    VALIDATE_SCHEMA(status_fields, .error = "Invalid status");

static const ApiRoute routes[] = {
    {HTTP_GET, "/api/users", handle_list, ROUTE_AUTH_OPTIONAL, NULL,
     "List users (limit, offset); emails only for yourself"},
    {HTTP_GET, "/api/users/:id", handle_get, ROUTE_AUTH_OPTIONAL, NULL,
     "One user; \"me\" for yourself"},
    {HTTP_PUT, "/api/users/:id", handle_update, ROUTE_AUTH, &update_schema,
     "Update your profile (username, displayName, bio, avatarUrl)"},
    {HTTP_DELETE, "/api/users", handle_delete, ROUTE_AUTH, NULL,
     "Delete your account (409 while you own servers); its sessions end at once"},
    {HTTP_PUT, "/api/users/:id/status", handle_status, ROUTE_AUTH, &status_schema,
     "Set your status (online, idle, dnd, offline) and custom status"},
};

static const ApiSignalHandler handlers[] = {
    {HYPE__API_SIGNAL__ENVELOPE__BODY_SET_PRESENCE, serve_presence},
};

const ApiModule api_module_users = {
    .name = "users",
    .routes = routes,
    .n_routes = sizeof(routes) / sizeof(routes[0]),
    .statements = statements,
    .n_statements = sizeof(statements) / sizeof(statements[0]),
    .signal_handlers = handlers,
    .n_signal_handlers = sizeof(handlers) / sizeof(handlers[0]),
};
