/* api-routes-friends: /api/friends (seed 001): friends, requests both ways, accept, remove, block.
 */
#include <stdlib.h>
#include <string.h>

#include "api-calls.h"
#include "api-reply.h"
#include "api-router.h"
#include "api-server.h"
#include "hype-id.h"
#include "hype-json.h"

/* clang-format off */
/* The other user "u" of a friendship "f" seen from $1. */
#define OTHER_COLUMNS                                                                       \
    "f.id, u.id, u.username, u.display_name, u.avatar_url, u.status, "                      \
    "floor(extract(epoch FROM f.created_at) * 1000)::int8"
#define OTHER_FROM                                                                          \
    " FROM friendships f JOIN users u ON u.id = CASE WHEN f.requester_id = $1"              \
    " THEN f.addressee_id ELSE f.requester_id END"
#define PAIR(a, b) "least(" a "::bigint, " b "::bigint), greatest(" a "::bigint, " b "::bigint)"
/* clang-format on */

enum {
    S_FRIENDS,
    S_INCOMING,
    S_OUTGOING,
    S_REQUEST,
    S_ACCEPT,
    S_REMOVE,
    S_BLOCK,
    S_UNBLOCK,
    S_BLOCKED,
    S__COUNT,
};

static const DbStatement statements[] = {
    [S_FRIENDS] = {"friends_list",
                   "SELECT " OTHER_COLUMNS OTHER_FROM " WHERE f.status = 'accepted'"
                   " AND $1 IN (f.requester_id, f.addressee_id) ORDER BY lower(u.username)",
                   1},
    [S_INCOMING] = {"friends_incoming",
                    "SELECT " OTHER_COLUMNS OTHER_FROM
                    " WHERE f.status = 'pending' AND f.addressee_id = $1 ORDER BY f.id",
                    1},
    [S_OUTGOING] = {"friends_outgoing",
                    "SELECT " OTHER_COLUMNS OTHER_FROM
                    " WHERE f.status = 'pending' AND f.requester_id = $1 ORDER BY f.id",
                    1},
    /* One statement decides: unknown user, a block either way, an existing pair (friends, or
     * asked already), or the other side's pending request, which this one accepts. One row:
     * (target exists, blocked, existing status, existing requester, inserted id, accepted id). */
    [S_REQUEST] =
        {"friends_request",
         "WITH target AS (SELECT id FROM users WHERE id = $2),"
         " blocked AS (SELECT 1 FROM user_blocks WHERE (blocker_id = $1 AND blocked_id = $2)"
         "   OR (blocker_id = $2 AND blocked_id = $1)),"
         " existing AS (SELECT id, requester_id, status FROM friendships"
         "   WHERE (least(requester_id, addressee_id), greatest(requester_id, addressee_id))"
         "       = (" PAIR(
             "$1", "$2") ")),"
                         " ins AS (INSERT INTO friendships (id, requester_id, addressee_id, status)"
                         "   SELECT $3, $1, $2, 'pending' WHERE EXISTS (SELECT 1 FROM target)"
                         "     AND NOT EXISTS (SELECT 1 FROM blocked) AND NOT EXISTS (SELECT 1 "
                         "FROM existing)"
                         "   ON CONFLICT DO NOTHING RETURNING id),"
                         " acc AS (UPDATE friendships SET status = 'accepted', accepted_at = now()"
                         "   WHERE id = (SELECT id FROM existing WHERE status = 'pending' AND "
                         "requester_id = $2)"
                         "     AND NOT EXISTS (SELECT 1 FROM blocked) RETURNING id)"
                         " SELECT EXISTS (SELECT 1 FROM target), EXISTS (SELECT 1 FROM blocked),"
                         "  (SELECT status FROM existing), (SELECT requester_id FROM existing),"
                         "  (SELECT id FROM ins), (SELECT id FROM acc)",
         3},
    [S_ACCEPT] = {"friends_accept",
                  "UPDATE friendships SET status = 'accepted', accepted_at = now()"
                  " WHERE id = $2 AND addressee_id = $1 AND status = 'pending' RETURNING id",
                  2},
    /* $2 names the friendship or the other user: removing a friend, withdrawing or declining. */
    [S_REMOVE] =
        {"friends_remove",
         "DELETE FROM friendships WHERE $1 IN (requester_id, addressee_id)"
         " AND (id = $2 OR requester_id = $2 OR addressee_id = $2) AND $1 <> $2 RETURNING id",
         2},
    /* Blocking ends any friendship or request between the two. */
    [S_BLOCK] = {"friends_block",
                 "WITH target AS (SELECT id FROM users WHERE id = $2),"
                 " b AS (INSERT INTO user_blocks (blocker_id, blocked_id)"
                 "   SELECT $1, id FROM target ON CONFLICT DO NOTHING),"
                 " d AS (DELETE FROM friendships WHERE (least(requester_id, addressee_id),"
                 "   greatest(requester_id, addressee_id)) = (" PAIR(
                     "$1", "$2") "))"
                                 " SELECT EXISTS (SELECT 1 FROM target)",
                 2},
    [S_UNBLOCK] = {"friends_unblock",
                   "DELETE FROM user_blocks WHERE blocker_id = $1 AND blocked_id = $2 RETURNING 1",
                   2},
    [S_BLOCKED] = {"friends_blocked",
                   "SELECT NULL, u.id, u.username, u.display_name, u.avatar_url, u.status,"
                   " floor(extract(epoch FROM b.created_at) * 1000)::int8"
                   " FROM user_blocks b JOIN users u ON u.id = b.blocked_id WHERE b.blocker_id = $1"
                   " ORDER BY b.created_at",
                   1},
};
_Static_assert(sizeof(statements) / sizeof(statements[0]) == S__COUNT, "one statement per S_ name");

/* The other person at row i: seed 001's names (profilePicture, tag) beside ours. */
static json_object *person_json(const DbResult *res, int i) {
    json_object *u = json_object_new_object();
    const char *username = db_value(res, i, 2), *avatar = db_value(res, i, 4);
    char tag[5];
    snprintf(tag, sizeof(tag), "%.4s", username ? username : "");
    json_object_object_add(u, "id", json_new_string_or_null(db_value(res, i, 1)));
    json_object_object_add(u, "username", json_new_string_or_null(username));
    json_object_object_add(u, "displayName", json_new_string_or_null(db_value(res, i, 3)));
    json_object_object_add(u, "avatarUrl", json_new_string_or_null(avatar));
    json_object_object_add(u, "profilePicture", json_new_string_or_null(avatar));
    json_object_object_add(u, "status", json_new_string_or_null(db_value(res, i, 5)));
    json_object_object_add(u, "tag", json_object_new_string(tag));
    return u;
}

static void reply_message(ApiRequest *r, int status, const char *message) {
    json_object *body = json_object_new_object();
    json_object_object_add(body, "success", json_object_new_boolean(1));
    json_object_object_add(body, "message", json_object_new_string(message));
    api_reply_json(r, status, body);
}

static void run(ApiRequest *r, int stmt, const char *const *params, db_callback cb, void *ud,
                const char *what) {
    api_db_query(r, &statements[stmt], params, cb, ud ? ud : r, what);
}

/* The ":id"-style param as a user or friendship id, or NULL after answering 404. */
static const char *id_param(ApiRequest *r, unsigned i, const char *not_found) {
    if (!id_is_valid_string(api_param(r, i))) {
        api_reply_error(r, 404, not_found);
        return NULL;
    }
    return api_param(r, i);
}

/* ---- lists ---- */

static void on_people(const DbResult *res, void *userdata) {
    ApiRequest *r = userdata;
    if (api_reply_db_failed(r, res, "listing friends"))
        return;
    json_object *data = json_object_new_array();
    for (int i = 0; i < db_ntuples(res); i++) {
        json_object *p = person_json(res, i);
        if (db_value(res, i, 0))
            json_object_object_add(p, "friendshipId", json_new_string_or_null(db_value(res, i, 0)));
        json_object_array_add(data, p);
    }
    api_reply_data(r, 200, data);
}

static void handle_friends(ApiRequest *r) {
    const char *params[1] = {api_id_str(r, r->auth.user_id)};
    run(r, S_FRIENDS, params, on_people, NULL, "listing friends");
}

static void handle_blocked(ApiRequest *r) {
    const char *params[1] = {api_id_str(r, r->auth.user_id)};
    run(r, S_BLOCKED, params, on_people, NULL, "listing blocked users");
}

typedef struct Requests {
    ApiRequest *r;
    json_object *incoming;
} Requests;

static json_object *requests_json(const DbResult *res) {
    json_object *list = json_object_new_array();
    for (int i = 0; i < db_ntuples(res); i++) {
        json_object *q = json_object_new_object();
        json_object_object_add(q, "id", json_new_string_or_null(db_value(res, i, 0)));
        json_object_object_add(q, "user", person_json(res, i));
        json_object_object_add(q, "createdAt", json_new_time_ms(atoll(db_value(res, i, 6))));
        json_object_array_add(list, q);
    }
    return list;
}

static void on_outgoing(const DbResult *res, void *userdata) {
    Requests *q = userdata;
    if (api_reply_db_failed(q->r, res, "listing friend requests")) {
        json_object_put(q->incoming);
        return;
    }
    json_object *data = json_object_new_object();
    json_object_object_add(data, "incoming", q->incoming);
    json_object_object_add(data, "outgoing", requests_json(res));
    api_reply_data(q->r, 200, data);
}

static void on_incoming(const DbResult *res, void *userdata) {
    Requests *q = userdata;
    if (api_reply_db_failed(q->r, res, "listing friend requests"))
        return;
    q->incoming = requests_json(res);
    const char *params[1] = {api_id_str(q->r, q->r->auth.user_id)};
    run(q->r, S_OUTGOING, params, on_outgoing, q, "listing friend requests");
}

static void handle_requests(ApiRequest *r) {
    Requests *q = api_zalloc(r, sizeof(*q));
    if (!q)
        return;
    q->r = r;
    const char *params[1] = {api_id_str(r, r->auth.user_id)};
    run(r, S_INCOMING, params, on_incoming, q, "listing friend requests");
}

/* ---- request, accept, remove ---- */

static bool col_true(const DbResult *res, int col) {
    const char *v = db_value(res, 0, col);
    return v && v[0] == 't';
}

static void on_requested(const DbResult *res, void *userdata) {
    ApiRequest *r = userdata;
    if (api_reply_db_failed(r, res, "sending a friend request"))
        return;
    const char *status = db_value(res, 0, 2), *inserted = db_value(res, 0, 4);
    if (!col_true(res, 0))
        api_reply_error(r, 404, "User not found");
    else if (col_true(res, 1))
        api_reply_error(r, 403, "You cannot send a friend request to this user");
    else if (db_value(res, 0, 5))
        reply_message(r, 200, "Friend request accepted");
    else if (status && strcmp(status, "accepted") == 0)
        api_reply_error(r, 400, "You are already friends");
    else if (!inserted)
        api_reply_error(r, 400, "Friend request already sent");
    else {
        json_object *body = json_object_new_object(), *req = json_object_new_object();
        json_object_object_add(req, "id", json_object_new_string(inserted));
        json_object_object_add(req, "userId",
                               json_object_new_string(api_id_str(r, r->auth.user_id)));
        json_object_object_add(req, "friendId",
                               json_object_new_string(validate_get_string(r->body, "friendId")));
        json_object_object_add(req, "status", json_object_new_string("pending"));
        json_object_object_add(body, "success", json_object_new_boolean(1));
        json_object_object_add(body, "message", json_object_new_string("Friend request sent"));
        json_object_object_add(body, "data", req);
        api_reply_json(r, 201, body);
    }
}

static void handle_request(ApiRequest *r) {
    const char *friend_id = validate_get_string(r->body, "friendId");
    uint64_t id;
    if (id_parse(friend_id, &id) < 0) {
        api_reply_error(r, 404, "User not found");
        return;
    }
    if (id == r->auth.user_id) {
        api_reply_error(r, 400, "You cannot add yourself");
        return;
    }
    const char *params[3] = {api_id_str(r, r->auth.user_id), friend_id,
                             api_id_str(r, id_next(&r->api->ids))};
    run(r, S_REQUEST, params, on_requested, NULL, "sending a friend request");
}

static void on_done(const DbResult *res, void *userdata) {
    ApiRequest *r = userdata;
    if (api_reply_db_failed(r, res, "changing a friendship"))
        return;
    bool accept = r->route->method == HTTP_POST;
    if (db_ntuples(res) == 0) {
        api_reply_error(r, 404, accept ? "Friend request not found" : "Friendship not found");
        return;
    }
    reply_message(r, 200,
                  accept ? "Friend request accepted" : "Friend removed or request declined");
}

static void handle_accept(ApiRequest *r) {
    const char *id = id_param(r, 0, "Friend request not found");
    if (!id)
        return;
    const char *params[2] = {api_id_str(r, r->auth.user_id), id};
    run(r, S_ACCEPT, params, on_done, NULL, "accepting a friend request");
}

static void handle_remove(ApiRequest *r) {
    const char *id = id_param(r, 0, "Friendship not found");
    if (!id)
        return;
    const char *params[2] = {api_id_str(r, r->auth.user_id), id};
    run(r, S_REMOVE, params, on_done, NULL, "removing a friend");
}

/* ---- block ---- */

static void on_blocked(const DbResult *res, void *userdata) {
    ApiRequest *r = userdata;
    if (api_reply_db_failed(r, res, "blocking a user"))
        return;
    if (r->route->method == HTTP_DELETE) {
        if (db_ntuples(res) == 0)
            api_reply_error(r, 404, "User is not blocked");
        else
            reply_message(r, 200, "User unblocked");
        return;
    }
    if (!col_true(res, 0)) {
        api_reply_error(r, 404, "User not found");
        return;
    }
    /* A block guards every way one reaches the other: a call between them ends too. */
    api_calls_end_between(r->api, r->auth.user_id, strtoull(api_param(r, 0), NULL, 10));
    reply_message(r, 200, "User blocked");
}

static void handle_block(ApiRequest *r) {
    const char *id = id_param(r, 0, "User not found");
    if (!id)
        return;
    if (strcmp(id, api_id_str(r, r->auth.user_id)) == 0) {
        api_reply_error(r, 400, "You cannot block yourself");
        return;
    }
    const char *params[2] = {api_id_str(r, r->auth.user_id), id};
    run(r, r->route->method == HTTP_DELETE ? S_UNBLOCK : S_BLOCK, params, on_blocked, NULL,
        "blocking a user");
}

/* clang-format off */
static const ValidateField request_fields[] = {
    {"friendId", VALIDATE_STRING, VALIDATE_REQUIRED, 1, 20, VALIDATE_ID, NULL, NULL},
};
/* clang-format on */
static const ValidateSchema request_schema = VALIDATE_SCHEMA(request_fields);

static const ApiRoute routes[] = {
    {HTTP_GET, "/api/friends", handle_friends, ROUTE_AUTH, NULL, "Your friends"},
    {HTTP_GET, "/api/friends/requests", handle_requests, ROUTE_AUTH, NULL,
     "Friend requests to you (incoming) and from you (outgoing)"},
    {HTTP_POST, "/api/friends/request", handle_request, ROUTE_AUTH, &request_schema,
     "Ask {friendId} to be friends (403 when either blocked the other)"},
    {HTTP_POST, "/api/friends/accept/:requestId", handle_accept, ROUTE_AUTH, NULL,
     "Accept a request made to you"},
    {HTTP_DELETE, "/api/friends/:id", handle_remove, ROUTE_AUTH, NULL,
     "Remove a friend, or withdraw or decline a request (friend's or request's id)"},
    {HTTP_POST, "/api/friends/block/:targetUserId", handle_block, ROUTE_AUTH, NULL,
     "Block a user (ends any friendship)"},
    {HTTP_DELETE, "/api/friends/block/:targetUserId", handle_block, ROUTE_AUTH, NULL,
     "Unblock a user"},
    {HTTP_GET, "/api/friends/blocked", handle_blocked, ROUTE_AUTH, NULL, "Users you blocked"},
};

const ApiModule api_module_friends = {
    .name = "friends",
    .routes = routes,
    .n_routes = sizeof(routes) / sizeof(routes[0]),
    .statements = statements,
    .n_statements = sizeof(statements) / sizeof(statements[0]),
};
