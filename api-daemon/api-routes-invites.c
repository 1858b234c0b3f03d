/* api-routes-invites: /api/invite (seed 001): create, look up by token, accept, list, delete. */
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "api-events.h"
#include "api-access.h"
#include "api-reply.h"
#include "api-router.h"
#include "api-server.h"
#include "hype-base64.h"
#include "hype-id.h"
#include "hype-json.h"
#include "hype-time.h"

#define TOKEN_BYTES 9 /* 72 random bits, 12 characters */

/* clang-format off */
#define INVITE_COLUMNS                                                                      \
    "i.id, i.token, i.server_id, i.created_by, i.max_uses, i.uses, "                        \
    "floor(extract(epoch FROM i.expires_at) * 1000)::int8, "                                \
    "floor(extract(epoch FROM i.created_at) * 1000)::int8"
/* clang-format on */

enum {
    S_CREATE,
    S_LOOKUP,
    S_ACCEPT,
    S_LIST,
    S_FIND,
    S_DELETE,
    S_STATE,
    S__COUNT,
};

static const DbStatement statements[] = {
    [S_CREATE] = {"invites_create",
                  "WITH i AS ("
                  "  INSERT INTO invites (id, server_id, token, created_by, max_uses, expires_at)"
                  "  VALUES ($1, $2, $3, $4, $5, $6::timestamptz) RETURNING *"
                  ") SELECT " INVITE_COLUMNS " FROM i",
                  6},
    [S_LOOKUP] = {"invites_lookup",
                  "SELECT " INVITE_COLUMNS ", s.name, s.description, s.icon_url, s.is_blocked,"
                  " (SELECT count(*) FROM server_members sm WHERE sm.server_id = s.id)"
                  " FROM invites i JOIN servers s ON s.id = i.server_id WHERE i.token = $1",
                  1},
    /* Uses are counted under the invite's row lock: with maxUses N, N accepts win however many
     * arrive at once. Joining again costs no use. One row: (invite server, joined, was already
     * a member, expired, used up, server blocked), or none for an unknown token. */
    [S_ACCEPT] =
        {"invites_accept",
         "WITH used AS ("
         "  UPDATE invites x SET uses = uses + 1"
         "  WHERE x.token = $1 AND (x.expires_at IS NULL OR x.expires_at > now())"
         "    AND (x.max_uses IS NULL OR x.uses < x.max_uses)"
         "    AND NOT EXISTS (SELECT 1 FROM server_members sm"
         "                    WHERE sm.server_id = x.server_id AND sm.user_id = $2)"
         "    AND NOT EXISTS (SELECT 1 FROM servers s WHERE s.id = x.server_id AND s.is_blocked)"
         "  RETURNING x.server_id"
         "), joined AS ("
         "  INSERT INTO server_members (server_id, user_id) SELECT server_id, $2 FROM used"
         "  ON CONFLICT DO NOTHING RETURNING server_id"
         ") SELECT i.server_id, EXISTS (SELECT 1 FROM joined),"
         "  EXISTS (SELECT 1 FROM server_members sm"
         "          WHERE sm.server_id = i.server_id AND sm.user_id = $2),"
         "  i.expires_at IS NOT NULL AND i.expires_at <= now(),"
         "  i.max_uses IS NOT NULL AND i.uses >= i.max_uses, s.is_blocked"
         " FROM invites i JOIN servers s ON s.id = i.server_id WHERE i.token = $1",
         2},
    [S_LIST] = {"invites_list",
                "SELECT " INVITE_COLUMNS " FROM invites i WHERE i.server_id = $1 ORDER BY i.id", 1},
    [S_FIND] = {"invites_find", "SELECT server_id, created_by FROM invites WHERE id = $1", 1},
    [S_DELETE] = {"invites_delete", "DELETE FROM invites WHERE id = $1", 1},
    /* Why an accept failed, read after it: its own snapshot predates the concurrent accepts
     * that used the invite up. */
    [S_STATE] = {"invites_state",
                 "SELECT i.server_id, false, EXISTS (SELECT 1 FROM server_members sm"
                 "   WHERE sm.server_id = i.server_id AND sm.user_id = $2),"
                 " i.expires_at IS NOT NULL AND i.expires_at <= now(),"
                 " i.max_uses IS NOT NULL AND i.uses >= i.max_uses, false"
                 " FROM invites i WHERE i.token = $1",
                 2},
};
_Static_assert(sizeof(statements) / sizeof(statements[0]) == S__COUNT, "one statement per S_ name");

static json_object *time_or_null(const DbResult *res, int i, int col) {
    const char *v = db_value(res, i, col);
    return v ? json_new_time_ms(atoll(v)) : NULL;
}

static json_object *invite_json(const DbResult *res, int i) {
    json_object *v = json_object_new_object();
    const char *max_uses = db_value(res, i, 4);
    json_object_object_add(v, "id", json_new_string_or_null(db_value(res, i, 0)));
    json_object_object_add(v, "token", json_new_string_or_null(db_value(res, i, 1)));
    json_object_object_add(v, "serverId", json_new_string_or_null(db_value(res, i, 2)));
    json_object_object_add(v, "createdBy", json_new_string_or_null(db_value(res, i, 3)));
    json_object_object_add(v, "maxUses", max_uses ? json_object_new_int64(atoll(max_uses)) : NULL);
    json_object_object_add(v, "uses", json_object_new_int64(atoll(db_value(res, i, 5))));
    json_object_object_add(v, "expiresAt", time_or_null(res, i, 6));
    json_object_object_add(v, "createdAt", time_or_null(res, i, 7));
    return v;
}

/* ---- create ---- */

static void on_created(const DbResult *res, void *userdata) {
    ApiServerAccess *a = userdata;
    if (api_reply_db_failed(a->r, res, "creating an invite"))
        return;
    json_object *data = json_object_new_object();
    json_object_object_add(data, "invite", invite_json(res, 0));
    api_reply_data(a->r, 201, data);
}

static void on_create_access(ApiServerAccess *a) {
    ApiRequest *r = a->r;
    if (!api_access_require_member(a) || !api_access_require(a, a->permissions, PERM_CREATE_INVITE))
        return;
    uint8_t raw[TOKEN_BYTES];
    char token[BASE64URL_ENCODED_LEN(TOKEN_BYTES) + 1];
    if (getrandom(raw, sizeof(raw), 0) != (ssize_t)sizeof(raw)) {
        api_reply_error(r, 500, "Internal server error");
        return;
    }
    base64url_encode(token, raw, sizeof(raw));
    json_object *max_uses = json_get(r->body, "maxUses");
    const char *params[6] = {
        api_id_str(r, id_next(&r->api->ids)),
        api_id_str(r, a->server_id),
        arena_strdup(r->arena, token),
        api_id_str(r, r->auth.user_id),
        max_uses ? arena_printf(r->arena, "%lld", (long long)json_object_get_int64(max_uses))
                 : NULL,
        validate_get_string(r->body, "expiresAt"),
    };
    api_db_query(r, &statements[S_CREATE], params, on_created, a, "creating an invite");
}

static void handle_create(ApiRequest *r) {
    /* The schema checked the form; an invite that is born expired is a mistake to report. */
    const char *expires = validate_get_string(r->body, "expiresAt");
    int64_t expires_ms;
    if (expires && validate_parse_datetime(expires, &expires_ms) == 0 &&
        expires_ms <= time_wall_ms()) {
        json_object *details = NULL;
        validate_add_custom(&details, "expiresAt", "Must be in the future");
        api_reply_details(r, 400, "Validation failed", details);
        return;
    }
    api_access_load(r, api_param(r, 0), on_create_access, NULL);
}

/* ---- public lookup ---- */

static void on_lookup(const DbResult *res, void *userdata) {
    ApiRequest *r = userdata;
    if (api_reply_db_failed(r, res, "looking up an invite"))
        return;
    if (db_ntuples(res) != 1 || db_value(res, 0, 11)[0] == 't') {
        api_reply_error(r, 404, "Invite not found");
        return;
    }
    json_object *data = json_object_new_object(), *server = json_object_new_object();
    json_object_object_add(data, "invite", invite_json(res, 0));
    json_object_object_add(server, "id", json_new_string_or_null(db_value(res, 0, 2)));
    json_object_object_add(server, "name", json_new_string_or_null(db_value(res, 0, 8)));
    json_object_object_add(server, "description", json_new_string_or_null(db_value(res, 0, 9)));
    json_object_object_add(server, "icon", json_new_string_or_null(db_value(res, 0, 10)));
    json_object_object_add(server, "iconUrl", json_new_string_or_null(db_value(res, 0, 10)));
    json_object_object_add(server, "memberCount",
                           json_object_new_int64(atoll(db_value(res, 0, 12))));
    json_object_object_add(data, "server", server);
    api_reply_data(r, 200, data);
}

static void handle_lookup(ApiRequest *r) {
    const char *params[1] = {api_param(r, 0)};
    api_db_query(r, &statements[S_LOOKUP], params, on_lookup, r, "looking up an invite");
}

/* ---- accept ---- */

static bool col_true(const DbResult *res, int col) {
    return db_value(res, 0, col)[0] == 't';
}

typedef struct Accept {
    ApiRequest *r;
    bool rechecked;
} Accept;

static void on_accepted(const DbResult *res, void *userdata);

static void query_accept(Accept *acc, int stmt) {
    ApiRequest *r = acc->r;
    const char *params[2] = {api_param(r, 0), api_id_str(r, r->auth.user_id)};
    api_db_query(r, &statements[stmt], params, on_accepted, acc, "accepting an invite");
}

static void on_accepted(const DbResult *res, void *userdata) {
    Accept *acc = userdata;
    ApiRequest *r = acc->r;
    if (!api_reply_one_row(r, res, "accepting an invite", 404, "Invite not found"))
        return;
    if (col_true(res, 5)) {
        api_reply_error(r, 403, "Server is blocked");
        return;
    }
    bool joined = col_true(res, 1);
    if (!joined && !col_true(res, 2)) {
        bool expired = col_true(res, 3), used_up = col_true(res, 4);
        if (!expired && !used_up && !acc->rechecked) {
            /* The accept's snapshot predates the concurrent accepts that used the invite up:
             * read it again to say why. */
            acc->rechecked = true;
            query_accept(acc, S_STATE);
            return;
        }
        api_reply_error(r, 410,
                        expired   ? "Invite has expired"
                        : used_up ? "Invite has reached its maximum uses"
                                  : "Invite is no longer valid");
        return;
    }
    json_object *body = json_object_new_object(), *data = json_object_new_object();
    json_object_object_add(data, "serverId", json_new_string_or_null(db_value(res, 0, 0)));
    json_object_object_add(data, "joined", json_object_new_boolean(joined));
    if (joined) {
        json_object *ev = json_object_new_object();
        json_object_object_add(ev, "serverId", json_new_string_or_null(db_value(res, 0, 0)));
        json_object_object_add(ev, "userId",
                               json_object_new_string(api_id_str(r, r->auth.user_id)));
        api_publish_by_field(r->api, HYPE__API_SIGNAL__EVENT_KIND__EVENT_MEMBER_JOINED,
                             HYPE__API_SIGNAL__EVENT__TARGET_KIND__TARGET_SERVER, "serverId", ev,
                             false);
        json_object_put(ev);
    }
    json_object_object_add(body, "success", json_object_new_boolean(1));
    json_object_object_add(
        body, "message",
        json_object_new_string(joined ? "User added to server" : "Already a member"));
    json_object_object_add(body, "data", data);
    api_reply_json(r, 200, body);
}

static void handle_accept(ApiRequest *r) {
    Accept *acc = api_zalloc(r, sizeof(*acc));
    if (!acc)
        return;
    acc->r = r;
    query_accept(acc, S_ACCEPT);
}

/* ---- list and delete ---- */

static void on_list(const DbResult *res, void *userdata) {
    ApiServerAccess *a = userdata;
    if (api_reply_db_failed(a->r, res, "listing invites"))
        return;
    json_object *data = json_object_new_array();
    for (int i = 0; i < db_ntuples(res); i++)
        json_object_array_add(data, invite_json(res, i));
    api_reply_data(a->r, 200, data);
}

static void on_list_access(ApiServerAccess *a) {
    if (!api_access_require_member(a) || !api_access_require(a, a->permissions, PERM_MANAGE_SERVER))
        return;
    const char *params[1] = {api_id_str(a->r, a->server_id)};
    api_db_query(a->r, &statements[S_LIST], params, on_list, a, "listing invites");
}

static void handle_list(ApiRequest *r) {
    api_access_load(r, api_param(r, 0), on_list_access, NULL);
}

static void on_deleted(const DbResult *res, void *userdata) {
    ApiServerAccess *a = userdata;
    if (!api_reply_db_failed(a->r, res, "deleting an invite"))
        api_reply_empty(a->r, 204);
}

/* The invite's creator may revoke it, while still a member; so may whoever manages the server. */
static void on_delete_access(ApiServerAccess *a) {
    ApiRequest *r = a->r;
    uint64_t *creator = a->userdata;
    if (!api_access_require_member(a) ||
        (*creator != r->auth.user_id && !api_access_require(a, a->permissions, PERM_MANAGE_SERVER)))
        return;
    const char *params[1] = {api_param(r, 0)};
    api_db_query(r, &statements[S_DELETE], params, on_deleted, a, "deleting an invite");
}

static void on_found(const DbResult *res, void *userdata) {
    ApiRequest *r = userdata;
    if (!api_reply_one_row(r, res, "finding an invite", 404, "Invite not found"))
        return;
    uint64_t *creator = api_zalloc(r, sizeof(*creator));
    if (!creator)
        return;
    const char *c = db_value(res, 0, 1);
    *creator = c ? strtoull(c, NULL, 10) : 0;
    api_access_load(r, db_value(res, 0, 0), on_delete_access, creator);
}

static void handle_delete(ApiRequest *r) {
    if (!id_is_valid_string(api_param(r, 0))) {
        api_reply_error(r, 404, "Invite not found");
        return;
    }
    const char *params[1] = {api_param(r, 0)};
    api_db_query(r, &statements[S_FIND], params, on_found, r, "finding an invite");
}

/* ---- tables ---- */

/* clang-format off */
static const ValidateField create_fields[] = {
    {"maxUses", VALIDATE_INT, VALIDATE_NULLABLE, 1, 100000, VALIDATE_ANY, NULL, NULL},
    {"expiresAt", VALIDATE_STRING, VALIDATE_NULLABLE, 0, 64, VALIDATE_DATETIME, NULL, NULL},
};
/* clang-format on */
static const ValidateSchema create_schema = VALIDATE_SCHEMA(create_fields);

static const ApiRoute routes[] = {
    {HTTP_POST, "/api/invite/:serverId/invite", handle_create, ROUTE_AUTH, &create_schema,
     "Create an invite {maxUses?, expiresAt?} (create-invite permission)"},
    {HTTP_GET, "/api/invite/invite/:token", handle_lookup, 0, NULL,
     "Public: an invite and its server"},
    {HTTP_POST, "/api/invite/invite/:token/accept", handle_accept, ROUTE_AUTH, NULL,
     "Join the invite's server (410 when expired or used up)"},
    {HTTP_GET, "/api/invite/:serverId/invites", handle_list, ROUTE_AUTH, NULL,
     "A server's invites (manage-server permission)"},
    {HTTP_DELETE, "/api/invite/:inviteId", handle_delete, ROUTE_AUTH, NULL,
     "Revoke an invite (its creator, or manage-server); 204"},
};

const ApiModule api_module_invites = {
    .name = "invites",
    .routes = routes,
    .n_routes = sizeof(routes) / sizeof(routes[0]),
    .statements = statements,
    .n_statements = sizeof(statements) / sizeof(statements[0]),
};
