/* api-gateway: what hype-signal asks about its clients' login sessions: whether one is alive and
 * its user's servers (a client authenticates), and which of many ended (after a gap in the link).
 * Requests of the api-signal link, served without HTTP. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api-router.h"
#include "api-server.h"
#include "api-signal.h"
#include "hype-id.h"
#include "hype-time.h"

enum {
    S_SESSION,
    S_ENDED,
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
    [S_ENDED] = {"gateway_sessions_ended",
                 "SELECT string_agg(x.id::text, ',')"
                 " FROM unnest(string_to_array($1, ',')::int8[]) AS x(id)"
                 " WHERE NOT EXISTS (SELECT 1 FROM sessions s JOIN users u ON u.id = s.user_id"
                 "   WHERE s.id = x.id AND s.revoked_at IS NULL AND s.expires_at > now()"
                 "     AND NOT u.is_blocked)",
                 1},
};
_Static_assert(sizeof(statements) / sizeof(statements[0]) == S__COUNT, "one statement per S_ name");

/* A string_agg of ids into an arena array; how many (0 with *ret NULL when out of memory). */
static size_t parse_ids(Arena *arena, const char *list, uint64_t **ret) {
    size_t max = id_list_count(list);
    *ret = max ? arena_alloc(arena, max * sizeof(**ret)) : NULL;
    return *ret ? id_list_parse(list, *ret, max) : 0;
}

/* ---- a client authenticates ---- */

static void reply_session(ApiSignalCall *call, bool alive, const char *username,
                          uint64_t *server_ids, size_t n) {
    Hype__ApiSignal__GatewaySessionResult g = HYPE__API_SIGNAL__GATEWAY_SESSION_RESULT__INIT;
    g.alive = alive;
    g.username = (char *)(username ? username : "");
    g.server_ids = server_ids;
    g.n_server_ids = n;
    Hype__ApiSignal__Envelope env = HYPE__API_SIGNAL__ENVELOPE__INIT;
    env.body_case = HYPE__API_SIGNAL__ENVELOPE__BODY_GATEWAY_SESSION_RESULT;
    env.gateway_session_result = &g;
    api_signal_reply(call, &env);
}

static void on_session(const DbResult *res, void *userdata) {
    ApiSignalCall *call = userdata;
    if (api_signal_reply_db_failed(call, res, "checking a realtime session"))
        return;
    if (db_ntuples(res) != 1) {
        reply_session(call, false, NULL, NULL, 0);
        return;
    }
    uint64_t *ids;
    size_t n = parse_ids(api_signal_call_arena(call), db_value(res, 0, 1), &ids);
    if (!ids && id_list_count(db_value(res, 0, 1))) {
        api_signal_reply_error(call, HYPE__ERROR__CODE__CODE_UNAVAILABLE, "Out of memory");
        return;
    }
    reply_session(call, true, db_value(res, 0, 0), ids, n);
}

static void serve_session(Api *api, ApiSignalCall *call, const Hype__ApiSignal__Envelope *env) {
    const Hype__ApiSignal__GatewaySession *q = env->gateway_session;
    /* This process's revocations first, as they stop its tokens: no database round trip. */
    if (revocations_contains(api->revoked, q->session_id, time_wall_ms())) {
        reply_session(call, false, NULL, NULL, 0);
        return;
    }
    Arena *arena = api_signal_call_arena(call);
    const char *params[2] = {arena_printf(arena, "%" PRIu64, q->user_id),
                             arena_printf(arena, "%" PRIu64, q->session_id)};
    api_signal_db_query(call, &statements[S_SESSION], params, on_session, call,
                        "checking a realtime session");
}

/* ---- after a gap in the link: which of these ended ---- */

static void on_ended(const DbResult *res, void *userdata) {
    ApiSignalCall *call = userdata;
    if (api_signal_reply_db_failed(call, res, "checking realtime sessions"))
        return;
    Hype__ApiSignal__SessionsCheckResult r = HYPE__API_SIGNAL__SESSIONS_CHECK_RESULT__INIT;
    const char *list = db_ntuples(res) == 1 ? db_value(res, 0, 0) : NULL;
    r.n_ended = parse_ids(api_signal_call_arena(call), list, &r.ended);
    if (!r.ended && id_list_count(list)) {
        api_signal_reply_error(call, HYPE__ERROR__CODE__CODE_UNAVAILABLE, "Out of memory");
        return;
    }
    Hype__ApiSignal__Envelope env = HYPE__API_SIGNAL__ENVELOPE__INIT;
    env.body_case = HYPE__API_SIGNAL__ENVELOPE__BODY_SESSIONS_CHECK_RESULT;
    env.sessions_check_result = &r;
    api_signal_reply(call, &env);
}

static void serve_sessions_check(Api *api, ApiSignalCall *call,
                                 const Hype__ApiSignal__Envelope *env) {
    const Hype__ApiSignal__SessionsCheck *q = env->sessions_check;
    /* The ids as the statement takes them: at most 20 digits and a comma each. */
    char *list = arena_alloc(api_signal_call_arena(call), q->n_session_ids * 21 + 1);
    if (!list) {
        api_signal_reply_error(call, HYPE__ERROR__CODE__CODE_UNAVAILABLE, "Out of memory");
        return;
    }
    size_t len = 0;
    list[0] = '\0';
    for (size_t i = 0; i < q->n_session_ids; i++)
        len += (size_t)sprintf(list + len, "%s%" PRIu64, i ? "," : "", q->session_ids[i]);
    const char *params[1] = {list};
    api_signal_db_query(call, &statements[S_ENDED], params, on_ended, call,
                        "checking realtime sessions");
}

static const ApiSignalHandler handlers[] = {
    {HYPE__API_SIGNAL__ENVELOPE__BODY_GATEWAY_SESSION, serve_session},
    {HYPE__API_SIGNAL__ENVELOPE__BODY_SESSIONS_CHECK, serve_sessions_check},
};

const ApiModule api_module_gateway = {
    .name = "gateway",
    .statements = statements,
    .n_statements = sizeof(statements) / sizeof(statements[0]),
    .signal_handlers = handlers,
    .n_signal_handlers = sizeof(handlers) / sizeof(handlers[0]),
};
