/* api-routes-calls: /api/calls (seed 004): placing a 1:1 call, its state and history, hanging up;
 * the record of every change, also those hype-signal asks for (CallUpdate: answers over the
 * WebSocket, the ring timeout, a participant gone). hype-signal rings and relays (CallRing). */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "api-calls.h"
#include "api-events.h"
#include "api-page.h"
#include "api-reply.h"
#include "api-router.h"
#include "api-server.h"
#include "hype-id.h"
#include "hype-ipc-error.h"
#include "hype-json.h"
#include "hype-log.h"
#include "hype-macro.h"

#define PAGE_DEFAULT 50
#define PAGE_MAX 100

/* clang-format off */
#define MS(x) "floor(extract(epoch FROM " x ") * 1000)::int8"
/* A call "c" with its caller "a" and callee "b" (NULLs for a deleted account): what call_json
 * reads, from column col. */
#define CALL_COLUMNS                                                                        \
    "c.id, c.status, c.caller_id, c.callee_id, " MS("c.created_at") ", "                    \
    MS("c.answered_at") ", " MS("c.ended_at") ", c.ended_by, c.end_reason, "                \
    "a.username, a.display_name, a.avatar_url, b.username, b.display_name, b.avatar_url"
#define CALL_USERS                                                                          \
    " LEFT JOIN users a ON a.id = c.caller_id LEFT JOIN users b ON b.id = c.callee_id"
#define LIVE "('ringing', 'active')"
/* Ends the live calls WHERE selects for a reason neither side chose (cancelled while ringing,
 * ended once active), frees their lines, and selects them as CALL_COLUMNS. */
#define END_CALLS(reason, where)                                                            \
    "WITH gone AS (UPDATE calls SET"                                                        \
    "  status = CASE WHEN status = 'active' THEN 'ended' ELSE 'cancelled' END,"             \
    "  ended_at = clock_timestamp(), end_reason = '" reason "'"                             \
    "  WHERE status IN " LIVE " AND " where " RETURNING *),"                                \
    " lines AS (DELETE FROM call_lines WHERE call_id IN (SELECT id FROM gone))"             \
    " SELECT " CALL_COLUMNS " FROM gone c" CALL_USERS
/* clang-format on */

enum { C_ID, C_STATUS, C_CALLER, C_CALLEE, C_CREATED, C_ANSWERED, C_ENDED, C_ENDED_BY, C_REASON };

enum {
    S_CREATE,
    S_GET,
    S_LIST,
    S_UPDATE,
    S_ABANDON,
    S_SYNC_END,
    S_SYNC_GET,
    S_END_BETWEEN,
    S__COUNT,
};

static const DbStatement statements[] = {
    /* $1 caller, $2 callee, $3 the new call's id. One row: callee exists, a block either way,
     * either side busy, then the call (NULLs when not placed). Two calls placed at once for one
     * user: the second's call_lines insert fails (23505) and nothing of it remains. The lines are
     * written in user id order, so A calling B while B calls A wait on each other in one order
     * instead of deadlocking. */
    [S_CREATE] =
        {"calls_create",
         "WITH callee AS (SELECT id, is_blocked FROM users WHERE id = $2),"
         " blocked AS (SELECT 1 FROM user_blocks WHERE (blocker_id = $1 AND blocked_id = $2)"
         "   OR (blocker_id = $2 AND blocked_id = $1)"
         "   UNION ALL SELECT 1 FROM callee WHERE is_blocked),"
         " busy AS (SELECT 1 FROM call_lines WHERE user_id IN ($1, $2)),"
         " c AS (INSERT INTO calls (id, caller_id, callee_id) SELECT $3::int8, $1::int8, $2::int8"
         "   WHERE EXISTS (SELECT 1 FROM callee) AND NOT EXISTS (SELECT 1 FROM blocked)"
         "   AND NOT EXISTS (SELECT 1 FROM busy) RETURNING *),"
         " l AS (INSERT INTO call_lines (user_id, call_id)"
         "   SELECT u, c.id FROM c, unnest(ARRAY[$1, $2]::int8[]) u ORDER BY u)"
         " SELECT EXISTS (SELECT 1 FROM callee), EXISTS (SELECT 1 FROM blocked),"
         "  EXISTS (SELECT 1 FROM busy), " CALL_COLUMNS " FROM (SELECT 1) one"
         " LEFT JOIN (c" CALL_USERS ") ON true",
         3},
    [S_GET] = {"calls_get",
               "SELECT " CALL_COLUMNS " FROM calls c" CALL_USERS
               " WHERE c.id = $1 AND $2 IN (c.caller_id, c.callee_id)",
               2},
    /* $1 user, $2 limit, $3 offset: the total, then the call. */
    [S_LIST] = {"calls_list",
                "SELECT count(*) OVER (), " CALL_COLUMNS " FROM calls c" CALL_USERS
                " WHERE c.caller_id = $1 OR c.callee_id = $1 ORDER BY c.id DESC LIMIT $2 OFFSET $3",
                3},
    /* $1 call, $2 the participant acting, $3 the action (action_names). One row when $2 is in
     * the call: whether it changed, then the call as it is now (or was, unchanged). A call whose
     * status no longer allows the action (a concurrent change won) is left as it is. */
    [S_UPDATE] =
        {"calls_update",
         "WITH up AS (UPDATE calls c SET"
         "  status = CASE WHEN $3 = 'accept' THEN 'active' WHEN $3 = 'reject' THEN 'rejected'"
         "    WHEN $3 = 'miss' THEN 'missed' WHEN c.status = 'active' THEN 'ended'"
         "    WHEN $2 = c.caller_id THEN 'cancelled' WHEN $3 = 'disconnect' THEN 'missed'"
         "    ELSE 'rejected' END,"
         "  answered_at = CASE WHEN $3 = 'accept' THEN now() ELSE c.answered_at END,"
         "  ended_at = CASE WHEN $3 = 'accept' THEN NULL ELSE now() END,"
         "  ended_by = CASE WHEN $3 IN ('accept', 'miss') THEN NULL ELSE $2::int8 END,"
         "  end_reason = CASE WHEN $3 = 'accept' THEN NULL WHEN $3 = 'reject' THEN 'rejected'"
         "    WHEN $3 = 'miss' THEN 'timeout' WHEN $3 = 'disconnect' THEN 'disconnected'"
         "    WHEN c.status = 'active' THEN 'hangup' WHEN $2 = c.caller_id THEN 'cancelled'"
         "    ELSE 'rejected' END"
         "  WHERE c.id = $1 AND $2 IN (c.caller_id, c.callee_id) AND CASE"
         "    WHEN $3 IN ('accept', 'reject') THEN c.status = 'ringing' AND $2 = c.callee_id"
         "    WHEN $3 = 'miss' THEN c.status = 'ringing' WHEN $3 = 'check' THEN false"
         "    ELSE c.status IN " LIVE " END"
         "  RETURNING c.*),"
         " gone AS (DELETE FROM call_lines WHERE call_id IN"
         "   (SELECT id FROM up WHERE status NOT IN " LIVE ")),"
         " result AS (SELECT true AS changed, * FROM up UNION ALL"
         "   SELECT false, * FROM calls WHERE id = $1 AND $2 IN (caller_id, callee_id)"
         "   AND NOT EXISTS (SELECT 1 FROM up))"
         " SELECT c.changed, " CALL_COLUMNS " FROM result c" CALL_USERS,
         3},
    /* $1: a call hype-signal could not ring (or did not say so in time: it may even have been
     * answered meanwhile). It is over, as the caller is told. */
    [S_ABANDON] = {"calls_abandon", END_CALLS("unavailable", "id = $1"), 1},
    /* $1: the calls hype-signal routes ("{1,2}"); every other live call is a ghost. */
    [S_SYNC_END] = {"calls_sync_end", END_CALLS("server_restart", "id <> ALL ($1::int8[])"), 1},
    [S_SYNC_GET] = {"calls_sync_get",
                    "SELECT " CALL_COLUMNS " FROM calls c" CALL_USERS
                    " WHERE c.id = ANY ($1::int8[])",
                    1},
    /* $1 blocked $2 (or the other way): no call between them goes on. */
    [S_END_BETWEEN] = {"calls_end_between",
                       END_CALLS("blocked", "((caller_id = $1 AND callee_id = $2) OR"
                                            " (caller_id = $2 AND callee_id = $1))"),
                       2},
};
_Static_assert(sizeof(statements) / sizeof(statements[0]) == S__COUNT, "one statement per S_");

/* ---- the call as clients see it ---- */

static json_object *party_json(const DbResult *res, int row, int id_col, int col) {
    json_object *u = json_object_new_object();
    json_object_object_add(u, "id", json_new_string_or_null(db_value(res, row, id_col)));
    json_object_object_add(u, "username", json_new_string_or_null(db_value(res, row, col)));
    json_object_object_add(u, "displayName", json_new_string_or_null(db_value(res, row, col + 1)));
    json_object_object_add(u, "avatarUrl", json_new_string_or_null(db_value(res, row, col + 2)));
    return u;
}

static json_object *time_or_null(const DbResult *res, int row, int col) {
    const char *v = db_value(res, row, col);
    return v ? json_new_time_ms(strtoll(v, NULL, 10)) : NULL;
}

/* The call at (row, col...) of CALL_COLUMNS. */
static json_object *call_json(const DbResult *res, int row, int col) {
    json_object *c = json_object_new_object();
    const char *id = db_value(res, row, col + C_ID);
    json_object_object_add(c, "callId", json_new_string_or_null(id));
    json_object_object_add(c, "id", json_new_string_or_null(id));
    json_object_object_add(c, "status",
                           json_new_string_or_null(db_value(res, row, col + C_STATUS)));
    json_object_object_add(c, "callerId",
                           json_new_string_or_null(db_value(res, row, col + C_CALLER)));
    json_object_object_add(c, "calleeId",
                           json_new_string_or_null(db_value(res, row, col + C_CALLEE)));
    json_object_object_add(c, "caller", party_json(res, row, col + C_CALLER, col + C_REASON + 1));
    json_object_object_add(c, "callee", party_json(res, row, col + C_CALLEE, col + C_REASON + 4));
    json_object_object_add(c, "createdAt", time_or_null(res, row, col + C_CREATED));
    json_object_object_add(c, "answeredAt", time_or_null(res, row, col + C_ANSWERED));
    json_object_object_add(c, "endedAt", time_or_null(res, row, col + C_ENDED));
    json_object_object_add(c, "endedBy",
                           json_new_string_or_null(db_value(res, row, col + C_ENDED_BY)));
    json_object_object_add(c, "endReason",
                           json_new_string_or_null(db_value(res, row, col + C_REASON)));
    return c;
}

static uint64_t col_id(const DbResult *res, int row, int col) {
    const char *v = db_value(res, row, col);
    return v ? strtoull(v, NULL, 10) : 0;
}

/* call:ended {callId, status, reason, endedBy, endedAt} about the call at row (CALL_COLUMNS
 * from col) to every session of both users, and hype-signal forgets the call. */
static void publish_ended(Api *api, const DbResult *res, int row, int col) {
    uint64_t users[2] = {col_id(res, row, col + C_CALLER), col_id(res, row, col + C_CALLEE)};
    json_object *d = json_object_new_object();
    json_object_object_add(d, "callId", json_new_string_or_null(db_value(res, row, col + C_ID)));
    json_object_object_add(d, "status",
                           json_new_string_or_null(db_value(res, row, col + C_STATUS)));
    json_object_object_add(d, "reason",
                           json_new_string_or_null(db_value(res, row, col + C_REASON)));
    json_object_object_add(d, "endedBy",
                           json_new_string_or_null(db_value(res, row, col + C_ENDED_BY)));
    json_object_object_add(d, "endedAt", time_or_null(res, row, col + C_ENDED));
    /* A deleted account (id NULL) has nobody to tell. */
    size_t n = users[0] ? 2 : 1;
    const uint64_t *to = users[0] ? users : users + 1;
    if (to[n - 1])
        api_publish(api, HYPE__API_SIGNAL__EVENT_KIND__EVENT_CALL_ENDED,
                    HYPE__API_SIGNAL__EVENT__TARGET_KIND__TARGET_USER, to, n, d, false);
    json_object_put(d);
}

/* Every call of an END_CALLS result, told as over. */
static void publish_all_ended(Api *api, const DbResult *res) {
    for (int i = 0; i < db_ntuples(res); i++)
        publish_ended(api, res, i, 0);
}

/* The call at row as hype-signal routes it; json (a new object) is what info->json points into:
 * put it once info is sent. */
static json_object *call_info(const DbResult *res, int row, int col, Hype__ApiSignal__Call *info) {
    json_object *c = call_json(res, row, col);
    const char *status = db_value(res, row, col + C_STATUS);
    info->call_id = col_id(res, row, col + C_ID);
    info->caller_id = col_id(res, row, col + C_CALLER);
    info->callee_id = col_id(res, row, col + C_CALLEE);
    info->state = strcmp(status, "ringing") == 0  ? HYPE__API_SIGNAL__CALL__STATE__STATE_RINGING
                  : strcmp(status, "active") == 0 ? HYPE__API_SIGNAL__CALL__STATE__STATE_ACTIVE
                                                  : HYPE__API_SIGNAL__CALL__STATE__STATE_OVER;
    info->json = (char *)json_serialize(c, NULL);
    return c;
}

/* The call ":id" of a participant; NULL after answering 404. */
static const char *call_param(ApiRequest *r) {
    if (!id_is_valid_string(api_param(r, 0))) {
        api_reply_error(r, 404, "Call not found");
        return NULL;
    }
    return api_param(r, 0);
}

/* ---- POST /api/calls ---- */

typedef struct Placing {
    ApiRequest *r;
    uint64_t call_id;
    json_object *call; /* the call placed */
    int status;        /* why it could not ring: the reply */
    const char *message;
} Placing;

static void on_abandoned(const DbResult *res, void *userdata) {
    Placing *p = userdata;
    if (api_reply_db_failed(p->r, res, "recording a call that could not ring"))
        return;
    publish_all_ended(p->r->api, res); /* it may ring after all: hype-signal forgets it */
    api_reply_error(p->r, p->status, p->message);
}

/* hype-signal rings the callee (or could not: it is not linked, or the caller has no live
 * session). */
static void on_ringing(const Hype__ApiSignal__Envelope *result, const Hype__Error *error,
                       void *userdata) {
    Placing *p = userdata;
    ApiRequest *r = p->r;
    if (error) {
        bool refused = error->code == HYPE__ERROR__CODE__CODE_CONFLICT;
        p->status = refused ? 409 : 503;
        p->message = refused ? arena_strdup(r->arena, error->message)
                             : "Calls are unavailable right now: the realtime gateway is not "
                               "reachable";
        json_object_put(p->call);
        p->call = NULL;
        const char *params[1] = {api_id_str(r, p->call_id)};
        api_db_query(r, &statements[S_ABANDON], params, on_abandoned, p, "abandoning a call");
        return;
    }
    json_object *data = p->call;
    json_object_object_add(data, "state", json_object_get(json_get(data, "status")));
    json_object_object_add(data, "status", json_object_new_string("created"));
    api_reply_data(r, 201, data);
}

/* call:incoming's data: {callId, from (the caller's username), callerId, caller, calleeId,
 * createdAt}. */
static json_object *incoming_json(json_object *call) {
    json_object *d = json_object_new_object();
    json_object *caller = json_get(call, "caller");
    static const char *const copied[] = {"callId", "callerId", "caller", "calleeId", "createdAt"};
    json_object_object_add(d, "from", json_object_get(json_get(caller, "username")));
    for (size_t i = 0; i < ELEMENTSOF(copied); i++)
        json_object_object_add(d, copied[i], json_object_get(json_get(call, copied[i])));
    return d;
}

static void ring(Placing *p, const DbResult *res) {
    ApiRequest *r = p->r;
    p->call = call_json(res, 0, 3);
    json_object *incoming = incoming_json(p->call);
    Hype__ApiSignal__Call call = HYPE__API_SIGNAL__CALL__INIT;
    call.call_id = p->call_id;
    call.caller_id = r->auth.user_id;
    call.callee_id = col_id(res, 0, 3 + C_CALLEE);
    call.state = HYPE__API_SIGNAL__CALL__STATE__STATE_RINGING;
    call.json = (char *)json_serialize(p->call, NULL);
    Hype__ApiSignal__CallRing q = HYPE__API_SIGNAL__CALL_RING__INIT;
    q.call = &call;
    q.incoming_json = (char *)json_serialize(incoming, NULL);
    Hype__ApiSignal__Envelope env = HYPE__API_SIGNAL__ENVELOPE__INIT;
    env.body_case = HYPE__API_SIGNAL__ENVELOPE__BODY_CALL_RING;
    env.call_ring = &q;
    api_signal_request(r->api, &env, 0, on_ringing, p);
    json_object_put(incoming);
}

static void on_created(const DbResult *res, void *userdata) {
    Placing *p = userdata;
    ApiRequest *r = p->r;
    if (res->error == -EIO && res->sqlstate && strcmp(res->sqlstate, "23505") == 0) {
        api_reply_error(r, 409, "Call already active"); /* placed at the same moment */
        return;
    }
    if (!api_reply_one_row(r, res, "placing a call", 500, "Placing a call returned no row"))
        return;
    if (db_value(res, 0, 0)[0] != 't')
        api_reply_error(r, 404, "User not found");
    else if (db_value(res, 0, 1)[0] == 't')
        api_reply_error(r, 403, "You cannot call this user");
    else if (db_value(res, 0, 2)[0] == 't')
        api_reply_error(r, 409, "Call already active");
    else
        ring(p, res);
}

static void handle_create(ApiRequest *r) {
    const char *callee = validate_get_string(r->body, "calleeId");
    uint64_t callee_id = 0;
    if (id_parse(callee, &callee_id) < 0 || callee_id == r->auth.user_id) {
        api_reply_error(r, 400,
                        callee_id == r->auth.user_id ? "You cannot call yourself"
                                                     : "calleeId is not a user id");
        return;
    }
    Placing *p = api_zalloc(r, sizeof(*p));
    if (!p)
        return;
    *p = (Placing){.r = r, .call_id = id_next(&r->api->ids)};
    const char *params[3] = {api_id_str(r, r->auth.user_id), callee, api_id_str(r, p->call_id)};
    api_db_query(r, &statements[S_CREATE], params, on_created, p, "placing a call");
}

/* ---- GET /api/calls/:id, GET /api/calls ---- */

static void on_call(const DbResult *res, void *userdata) {
    ApiRequest *r = userdata;
    if (api_reply_one_row(r, res, "reading a call", 404, "Call not found"))
        api_reply_data(r, 200, call_json(res, 0, 0));
}

static void handle_get(ApiRequest *r) {
    const char *id = call_param(r);
    if (!id)
        return;
    const char *params[2] = {id, api_id_str(r, r->auth.user_id)};
    api_db_query(r, &statements[S_GET], params, on_call, r, "reading a call");
}

typedef struct Listing {
    ApiRequest *r;
    ApiPage page;
} Listing;

static void on_list(const DbResult *res, void *userdata) {
    Listing *l = userdata;
    if (api_reply_db_failed(l->r, res, "listing calls"))
        return;
    json_object *data = json_object_new_array();
    for (int i = 0; i < db_ntuples(res); i++)
        json_object_array_add(data, call_json(res, i, 1));
    api_reply_list(l->r, data,
                   api_page_meta(&l->page, res, API_META_TOTAL | API_META_OFFSET | API_META_PAGES));
}

/* The user's calls, as caller or callee, newest first. */
static void handle_list(ApiRequest *r) {
    Listing *l = api_zalloc(r, sizeof(*l));
    if (!l)
        return;
    l->r = r;
    json_object *details = NULL;
    if (api_page_read(r, PAGE_DEFAULT, PAGE_MAX, API_PAGE_OFFSET | API_PAGE_NUMBER, &l->page,
                      &details) < 0) {
        api_reply_details(r, 400, "Invalid query parameters", details);
        return;
    }
    const char *params[3] = {api_id_str(r, r->auth.user_id), api_id_str(r, (uint64_t)l->page.limit),
                             api_id_str(r, (uint64_t)l->page.offset)};
    api_db_query(r, &statements[S_LIST], params, on_list, l, "listing calls");
}

/* ---- POST /api/calls/:id/end ---- */

static void on_ended(const DbResult *res, void *userdata) {
    ApiRequest *r = userdata;
    if (!api_reply_one_row(r, res, "ending a call", 404, "Call not found"))
        return;
    if (db_value(res, 0, 0)[0] != 't') {
        api_reply_error(r, 409, "Call has already ended");
        return;
    }
    publish_ended(r->api, res, 0, 1);
    json_object *data = json_object_new_object();
    json_object_object_add(data, "callId", json_new_string_or_null(db_value(res, 0, 1 + C_ID)));
    json_object_object_add(data, "status", json_object_new_string("ended"));
    json_object_object_add(data, "call", call_json(res, 0, 1));
    api_reply_data(r, 200, data);
}

static void handle_end(ApiRequest *r) {
    const char *id = call_param(r);
    if (!id)
        return;
    const char *params[3] = {id, api_id_str(r, r->auth.user_id), "end"};
    api_db_query(r, &statements[S_UPDATE], params, on_ended, r, "ending a call");
}

/* ---- blocks ---- */

static void on_ended_between(const DbResult *res, void *userdata) {
    Api *api = userdata;
    if (res->error)
        log_warning("ending the calls of a blocked pair failed: %s",
                    res->message ? res->message : "database unavailable");
    else
        publish_all_ended(api, res);
}

void api_calls_end_between(Api *api, uint64_t a, uint64_t b) {
    char ida[ID_STRING_MAX], idb[ID_STRING_MAX];
    const char *params[2] = {id_to_string(a, ida), id_to_string(b, idb)};
    int r = db_query(api->db, &statements[S_END_BETWEEN], params, on_ended_between, api);
    if (r < 0)
        log_warning("cannot end the calls of a blocked pair: %s", strerror(-r));
}

/* ---- deleted accounts ---- */

void api_calls_publish_deleted(Api *api, const char *ended) {
    /* "id:caller:callee:status:ended_ms,..." */
    for (const char *p = ended; p && *p;) {
        char id[ID_STRING_MAX], status[16];
        unsigned long long caller, callee;
        long long ms;
        int used = 0;
        if (sscanf(p, "%20[0-9]:%llu:%llu:%15[a-z]:%lld%n", id, &caller, &callee, status, &ms,
                   &used) != 5)
            break;
        json_object *d = json_object_new_object();
        json_object_object_add(d, "callId", json_object_new_string(id));
        json_object_object_add(d, "status", json_object_new_string(status));
        json_object_object_add(d, "reason", json_object_new_string("account_deleted"));
        json_object_object_add(d, "endedBy", NULL);
        json_object_object_add(d, "endedAt", json_new_time_ms(ms));
        uint64_t users[2] = {caller, callee};
        api_publish(api, HYPE__API_SIGNAL__EVENT_KIND__EVENT_CALL_ENDED,
                    HYPE__API_SIGNAL__EVENT__TARGET_KIND__TARGET_USER, users, 2, d, false);
        json_object_put(d);
        p += used;
        p += *p == ',';
    }
}

/* ---- what hype-signal asks ---- */

static const char *const action_names[] = {
    [HYPE__API_SIGNAL__CALL_UPDATE__ACTION__ACTION_ACCEPT] = "accept",
    [HYPE__API_SIGNAL__CALL_UPDATE__ACTION__ACTION_REJECT] = "reject",
    [HYPE__API_SIGNAL__CALL_UPDATE__ACTION__ACTION_END] = "end",
    [HYPE__API_SIGNAL__CALL_UPDATE__ACTION__ACTION_MISS] = "miss",
    [HYPE__API_SIGNAL__CALL_UPDATE__ACTION__ACTION_DISCONNECT] = "disconnect",
    [HYPE__API_SIGNAL__CALL_UPDATE__ACTION__ACTION_CHECK] = "check",
};

/* Whether it changed or not, the call as it is: hype-signal learns what it missed. */
static void on_updated(const DbResult *res, void *userdata) {
    ApiSignalCall *call = userdata;
    if (api_signal_reply_db_failed(call, res, "changing a call"))
        return;
    if (db_ntuples(res) != 1) {
        api_signal_reply_error(call, HYPE__ERROR__CODE__CODE_NOT_FOUND, "Call not found");
        return;
    }
    Api *api = api_signal_call_api(call);
    bool changed = db_value(res, 0, 0)[0] == 't';
    Hype__ApiSignal__Call info = HYPE__API_SIGNAL__CALL__INIT;
    json_object *c = call_info(res, 0, 1, &info);
    Hype__ApiSignal__CallUpdateResult result = HYPE__API_SIGNAL__CALL_UPDATE_RESULT__INIT;
    result.call = &info;
    result.changed = changed;
    Hype__ApiSignal__Envelope env = HYPE__API_SIGNAL__ENVELOPE__INIT;
    env.body_case = HYPE__API_SIGNAL__ENVELOPE__BODY_CALL_UPDATE_RESULT;
    env.call_update_result = &result;
    /* The answer first, then call:ended: hype-signal tells the caller of a rejection before it
     * forgets the call. */
    api_signal_reply(call, &env);
    if (changed && info.state == HYPE__API_SIGNAL__CALL__STATE__STATE_OVER)
        publish_ended(api, res, 0, 1);
    json_object_put(c);
}

static void serve_update(Api *api, ApiSignalCall *call, const Hype__ApiSignal__Envelope *env) {
    const Hype__ApiSignal__CallUpdate *q = env->call_update;
    if ((unsigned)q->action >= ELEMENTSOF(action_names) || !action_names[q->action] ||
        !q->call_id || !q->user_id) {
        api_signal_reply_error(call, HYPE__ERROR__CODE__CODE_BAD_REQUEST,
                               "CallUpdate needs a call, a user and an action");
        return;
    }
    Arena *arena = api_signal_call_arena(call);
    const char *params[3] = {arena_printf(arena, "%" PRIu64, q->call_id),
                             arena_printf(arena, "%" PRIu64, q->user_id), action_names[q->action]};
    api_signal_db_query(call, &statements[S_UPDATE], params, on_updated, call, "changing a call");
}

typedef struct Syncing {
    ApiSignalCall *call;
    const char *ids; /* "{1,2}" */
    uint64_t ended;
} Syncing;

static void on_synced(const DbResult *res, void *userdata) {
    Syncing *y = userdata;
    if (api_signal_reply_db_failed(y->call, res, "reading the calls hype-signal routes"))
        return;
    int n = db_ntuples(res);
    Arena *arena = api_signal_call_arena(y->call);
    Hype__ApiSignal__Call *infos = arena_zalloc(arena, (size_t)n * sizeof(*infos) + 1);
    Hype__ApiSignal__Call **ptrs = arena_zalloc(arena, (size_t)n * sizeof(*ptrs) + 1);
    /* Not in the arena: the reply frees it, and the objects must outlive the reply. */
    json_object **objs = calloc((size_t)n + 1, sizeof(*objs));
    if (!infos || !ptrs || !objs) {
        free(objs);
        api_signal_reply_error(y->call, HYPE__ERROR__CODE__CODE_UNAVAILABLE, "Out of memory");
        return;
    }
    for (int i = 0; i < n; i++) {
        hype__api_signal__call__init(&infos[i]);
        objs[i] = call_info(res, i, 0, &infos[i]);
        ptrs[i] = &infos[i];
    }
    Hype__ApiSignal__CallsSyncResult result = HYPE__API_SIGNAL__CALLS_SYNC_RESULT__INIT;
    result.n_calls = (size_t)n;
    result.calls = ptrs;
    result.ended = y->ended;
    Hype__ApiSignal__Envelope env = HYPE__API_SIGNAL__ENVELOPE__INIT;
    env.body_case = HYPE__API_SIGNAL__ENVELOPE__BODY_CALLS_SYNC_RESULT;
    env.calls_sync_result = &result;
    api_signal_reply(y->call, &env);
    for (int i = 0; i < n; i++)
        json_object_put(objs[i]);
    free(objs);
}

/* The ghosts are over (their users told); then how the calls hype-signal routes are now. */
static void on_sync_ended(const DbResult *res, void *userdata) {
    Syncing *y = userdata;
    if (api_signal_reply_db_failed(y->call, res, "ending calls hype-signal does not route"))
        return;
    publish_all_ended(api_signal_call_api(y->call), res);
    y->ended = (uint64_t)db_ntuples(res);
    const char *params[1] = {y->ids};
    api_signal_db_query(y->call, &statements[S_SYNC_GET], params, on_synced, y,
                        "reading the calls hype-signal routes");
}

static void serve_sync(Api *api, ApiSignalCall *call, const Hype__ApiSignal__Envelope *env) {
    const Hype__ApiSignal__CallsSync *q = env->calls_sync;
    Arena *arena = api_signal_call_arena(call);
    Syncing *y = arena_zalloc(arena, sizeof(*y));
    char *ids = arena_zalloc(arena, q->n_call_ids * (ID_STRING_MAX + 1) + 3);
    if (!y || !ids) {
        api_signal_reply_error(call, HYPE__ERROR__CODE__CODE_UNAVAILABLE, "Out of memory");
        return;
    }
    char *at = ids;
    *at++ = '{';
    for (size_t i = 0; i < q->n_call_ids; i++)
        at += sprintf(at, "%s%" PRIu64, i ? "," : "", q->call_ids[i]);
    strcpy(at, "}");
    *y = (Syncing){.call = call, .ids = ids};
    const char *params[1] = {ids};
    api_signal_db_query(call, &statements[S_SYNC_END], params, on_sync_ended, y,
                        "ending calls hype-signal does not route");
}

/* clang-format off */
static const ValidateField create_fields[] = {
    {"calleeId", VALIDATE_STRING, VALIDATE_REQUIRED, 1, 20, VALIDATE_ID, NULL, NULL},
};
static const ValidateSchema create_schema = VALIDATE_SCHEMA(create_fields);
/* clang-format on */

static const ApiRoute routes[] = {
    {HTTP_POST, "/api/calls", handle_create, ROUTE_AUTH, &create_schema,
     "Call a user {calleeId}: it rings on their live sessions (call:incoming)"},
    {HTTP_GET, "/api/calls", handle_list, ROUTE_AUTH, NULL,
     "Your calls, newest first (limit, offset or page)"},
    {HTTP_GET, "/api/calls/:id", handle_get, ROUTE_AUTH, NULL, "A call of yours and its state"},
    {HTTP_POST, "/api/calls/:id/end", handle_end, ROUTE_AUTH, NULL,
     "Hang up: cancel (ringing, caller), reject (ringing, callee) or end a call"},
};

static const ApiSignalHandler handlers[] = {
    {HYPE__API_SIGNAL__ENVELOPE__BODY_CALL_UPDATE, serve_update},
    {HYPE__API_SIGNAL__ENVELOPE__BODY_CALLS_SYNC, serve_sync},
};

const ApiModule api_module_calls = {
    .name = "calls",
    .routes = routes,
    .n_routes = ELEMENTSOF(routes),
    .statements = statements,
    .n_statements = ELEMENTSOF(statements),
    .signal_handlers = handlers,
    .n_signal_handlers = ELEMENTSOF(handlers),
};
