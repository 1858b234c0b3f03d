/* api-routes-gateway: what hype-signal asks when a client opens a realtime session: whether its
 * login session is still alive, and every server its user is a member of. */
#include <stdlib.h>
#include <string.h>

#include "api-reply.h"
#include "api-router.h"
#include "api-server.h"
#include "hype-json.h"

enum {
    S_SESSION,
    S_REVOKED,
    S__COUNT,
};

/* One row only when the login session exists, is neither revoked nor expired, and its user is
 * not blocked: the database is asked too, so a revocation this process has not heard of (made by
 * another hype-api node) still counts. Every membership, without a page limit. */
static const DbStatement statements[] = {
    [S_SESSION] = {"gateway_session",
                   "SELECT u.username,"
                   "  (SELECT string_agg(m.server_id::text, ',' ORDER BY m.server_id)"
                   "   FROM server_members m WHERE m.user_id = u.id)"
                   " FROM users u JOIN sessions x ON x.user_id = u.id"
                   " WHERE u.id = $1 AND x.id = $2 AND x.revoked_at IS NULL"
                   "   AND x.expires_at > now() AND NOT u.is_blocked",
                   2},
    /* Of the login sessions named ($1, comma-separated ids), those that are over: revoked,
     * expired, gone with their account (deleted), or of a blocked account. */
    [S_REVOKED] = {"gateway_sessions_revoked",
                   "SELECT string_agg(x.id::text, ',')"
                   " FROM unnest(string_to_array($1, ',')::int8[]) AS x(id)"
                   " WHERE NOT EXISTS (SELECT 1 FROM sessions s JOIN users u ON u.id = s.user_id"
                   "   WHERE s.id = x.id AND s.revoked_at IS NULL AND s.expires_at > now()"
                   "     AND NOT u.is_blocked)",
                   1},
};
_Static_assert(sizeof(statements) / sizeof(statements[0]) == S__COUNT, "one statement per S_ name");

static void on_session(const DbResult *res, void *userdata) {
    ApiRequest *r = userdata;
    if (!api_reply_one_row(r, res, "checking a realtime session", 401, "Session has been revoked"))
        return;
    json_object *data = json_object_new_object(), *user = json_object_new_object(),
                *servers = json_object_new_array();
    json_object_object_add(user, "id", json_object_new_string(api_id_str(r, r->auth.user_id)));
    json_object_object_add(user, "username", json_new_string_or_null(db_value(res, 0, 0)));
    for (const char *p = db_value(res, 0, 1); p && *p;) {
        size_t n = strcspn(p, ",");
        json_object_array_add(servers, json_object_new_string_len(p, (int)n));
        p += n + (p[n] == ',');
    }
    json_object_object_add(data, "sessionId",
                           json_object_new_string(api_id_str(r, r->auth.session_id)));
    json_object_object_add(data, "user", user);
    json_object_object_add(data, "servers", servers);
    api_reply_data(r, 200, data);
}

static void handle_session(ApiRequest *r) {
    const char *params[2] = {api_id_str(r, r->auth.user_id), api_id_str(r, r->auth.session_id)};
    api_db_query(r, &statements[S_SESSION], params, on_session, r, "checking a realtime session");
}

static void on_revoked(const DbResult *res, void *userdata) {
    ApiRequest *r = userdata;
    if (api_reply_db_failed(r, res, "checking realtime sessions"))
        return;
    json_object *data = json_object_new_object(), *revoked = json_object_new_array();
    for (const char *p = db_value(res, 0, 0); p && *p;) {
        size_t n = strcspn(p, ",");
        json_object_array_add(revoked, json_object_new_string_len(p, (int)n));
        p += n + (p[n] == ',');
    }
    json_object_object_add(data, "revoked", revoked);
    api_reply_data(r, 200, data);
}

/* hype-signal linked again after a gap (either side restarted): which of its sessions ended
 * meanwhile, when it could not hear of it. */
static void handle_revoked(ApiRequest *r) {
    const char *ids = validate_get_string(r->body, "sessionIds");
    if (strspn(ids, "0123456789,") != strlen(ids) || strstr(ids, ",,") || ids[0] == ',' ||
        ids[strlen(ids) - 1] == ',') {
        api_reply_error(r, 400, "sessionIds: comma-separated session ids");
        return;
    }
    const char *params[1] = {ids};
    api_db_query(r, &statements[S_REVOKED], params, on_revoked, r, "checking realtime sessions");
}

/* clang-format off */
static const ValidateField revoked_fields[] = {
    {"sessionIds", VALIDATE_STRING, VALIDATE_REQUIRED, 1, 1000000, VALIDATE_ANY, NULL, NULL},
};
/* clang-format on */
static const ValidateSchema revoked_schema = VALIDATE_SCHEMA(revoked_fields);

static const ApiRoute routes[] = {
    {HTTP_GET, API_LOCAL_PREFIX "gateway-session", handle_session, ROUTE_AUTH | ROUTE_LOCAL, NULL,
     "hype-signal opens a realtime session: 401 unless its login session is alive; the user's "
     "servers, all of them"},
    {HTTP_POST, API_LOCAL_PREFIX "sessions-check", handle_revoked, ROUTE_LOCAL, &revoked_schema,
     "hype-signal linked again: which of these login sessions ended meanwhile"},
};

const ApiModule api_module_gateway = {
    "gateway",
    routes,
    sizeof(routes) / sizeof(routes[0]),
    statements,
    sizeof(statements) / sizeof(statements[0]),
};
