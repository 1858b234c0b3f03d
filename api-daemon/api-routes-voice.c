/* api-routes-voice: voice states (who is in which voice channel, muted, deafened), persisted so
 * REST counts match what clients see live; hype-signal relays the WebSocket voice_state op here,
 * clears a user's when its last session ends (ClearVoice), and resets the connection-bound state
 * (voice, presence) when it starts (RealtimeReset). */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "api-access.h"
#include "api-events.h"
#include "api-permissions.h"
#include "api-reply.h"
#include "api-router.h"
#include "api-server.h"
#include "hype-json.h"
#include "hype-macro.h"

enum {
    S_JOIN,
    S_LEAVE,
    S_RESET,
    S__COUNT,
};

/* Both answer one row: user, channel (NULL after leaving), muted, deafened, the channel left
 * (or NULL) and its server. */
static const DbStatement statements[] = {
    [S_JOIN] = {"voice_join",
                "WITH prev AS (SELECT v.channel_id, c.server_id FROM voice_states v"
                "              JOIN channels c ON c.id = v.channel_id WHERE v.user_id = $1),"
                " up AS (INSERT INTO voice_states (user_id, channel_id, is_muted, is_deafened)"
                "        VALUES ($1, $2, $3, $4)"
                "        ON CONFLICT (user_id) DO UPDATE SET channel_id = EXCLUDED.channel_id,"
                "          is_muted = EXCLUDED.is_muted, is_deafened = EXCLUDED.is_deafened,"
                "          joined_at = CASE WHEN voice_states.channel_id = EXCLUDED.channel_id"
                "                      THEN voice_states.joined_at ELSE now() END"
                "        RETURNING user_id, channel_id, is_muted, is_deafened)"
                " SELECT up.user_id, up.channel_id, up.is_muted, up.is_deafened,"
                "  (SELECT channel_id FROM prev WHERE channel_id <> up.channel_id),"
                "  (SELECT server_id FROM prev WHERE channel_id <> up.channel_id) FROM up",
                4},
    [S_LEAVE] = {"voice_leave",
                 "WITH d AS (DELETE FROM voice_states WHERE user_id = $1 RETURNING channel_id)"
                 " SELECT $1::int8, NULL::int8, false, false, d.channel_id, c.server_id"
                 " FROM d JOIN channels c ON c.id = d.channel_id",
                 1},
    /* Voice states and "online" exist only while a session does: after a hype-signal that
     * died without closing its sessions, nobody is connected. One row: what was cleared. */
    [S_RESET] = {"realtime_reset",
                 "WITH v AS (DELETE FROM voice_states RETURNING 1),"
                 " u AS (UPDATE users SET status = 'offline', is_online = false, updated_at = now()"
                 "       WHERE is_online RETURNING 1)"
                 " SELECT (SELECT count(*) FROM v), (SELECT count(*) FROM u)",
                 0},
};
_Static_assert(sizeof(statements) / sizeof(statements[0]) == S__COUNT, "one statement per S_");

static json_object *state_json(const DbResult *res, const char *channel, const char *server) {
    json_object *v = json_object_new_object();
    json_object_object_add(v, "userId", json_new_string_or_null(db_value(res, 0, 0)));
    json_object_object_add(v, "channelId", json_new_string_or_null(channel));
    json_object_object_add(v, "serverId", json_new_string_or_null(server));
    json_object_object_add(v, "isMuted", json_object_new_boolean(db_value(res, 0, 2)[0] == 't'));
    json_object_object_add(v, "isDeafened", json_object_new_boolean(db_value(res, 0, 3)[0] == 't'));
    return v;
}

/* Who may view the channel left (S_JOIN's or S_LEAVE's row) sees the leave: the state published,
 * a new object, or NULL when no channel was left. */
static json_object *publish_leave(Api *api, const DbResult *res) {
    const char *left = db_ntuples(res) == 1 ? db_value(res, 0, 4) : NULL;
    if (!left)
        return NULL;
    json_object *gone = state_json(res, NULL, db_value(res, 0, 5));
    json_object_object_add(gone, "previousChannelId", json_object_new_string(left));
    api_publish_channel(api, HYPE__API_SIGNAL__EVENT_KIND__EVENT_VOICE_STATE,
                        strtoull(db_value(res, 0, 5), NULL, 10), strtoull(left, NULL, 10), gone,
                        false, NULL);
    return gone;
}

/* Who may view the channel left sees the leave; who may view the channel joined sees the join.
 * join_server is 0 when leaving. */
static void reply_state(ApiRequest *r, const DbResult *res, uint64_t join_server) {
    if (api_reply_db_failed(r, res, "changing a voice state"))
        return;
    json_object *gone = publish_leave(r->api, res);
    if (gone) {
        if (!join_server) {
            api_reply_data(r, 200, gone);
            return;
        }
        json_object_put(gone);
    }
    if (!join_server) { /* left while in no voice channel: nothing changed */
        json_object *data = json_object_new_object();
        json_object_object_add(data, "userId",
                               json_object_new_string(api_id_str(r, r->auth.user_id)));
        json_object_object_add(data, "channelId", NULL);
        api_reply_data(r, 200, data);
        return;
    }
    json_object *data = state_json(res, db_value(res, 0, 1), api_id_str(r, join_server));
    api_publish_channel(r->api, HYPE__API_SIGNAL__EVENT_KIND__EVENT_VOICE_STATE, join_server,
                        strtoull(db_value(res, 0, 1), NULL, 10), data, false, NULL);
    api_reply_data(r, 200, data);
}

static void on_joined(const DbResult *res, void *userdata) {
    ApiServerAccess *a = userdata;
    reply_state(a->r, res, a->server_id);
}

static void on_left(const DbResult *res, void *userdata) {
    reply_state(userdata, res, 0);
}

static const char *flag(ApiRequest *r, const char *name) {
    json_object *v = json_get(r->body, name);
    return v && json_object_get_boolean(v) ? "true" : "false";
}

static void on_join_access(ApiServerAccess *a) {
    ApiRequest *r = a->r;
    if (!api_access_require_member(a) ||
        !api_access_require(a, a->channel_permissions, PERM_VIEW_CHANNEL | PERM_CONNECT))
        return;
    if (strcmp(a->channel_type, "VOICE") != 0) {
        api_reply_error(r, 400, "Channel is not a voice channel");
        return;
    }
    const char *params[4] = {api_id_str(r, r->auth.user_id), api_id_str(r, a->channel_id),
                             flag(r, "isMuted"), flag(r, "isDeafened")};
    api_db_query(r, &statements[S_JOIN], params, on_joined, a, "joining a voice channel");
}

static void handle_state(ApiRequest *r) {
    const char *channel = validate_get_string(r->body, "channelId");
    if (channel) {
        api_access_load_channel(r, channel, on_join_access, NULL);
        return;
    }
    const char *params[1] = {api_id_str(r, r->auth.user_id)};
    api_db_query(r, &statements[S_LEAVE], params, on_left, r, "leaving a voice channel");
}

/* ---- what hype-signal asks ---- */

static void on_cleared(const DbResult *res, void *userdata) {
    ApiSignalCall *call = userdata;
    if (api_signal_reply_db_failed(call, res, "clearing a voice state"))
        return;
    Hype__ApiSignal__ClearVoiceResult c = HYPE__API_SIGNAL__CLEAR_VOICE_RESULT__INIT;
    json_object *gone = publish_leave(api_signal_call_api(call), res);
    if (gone)
        c.left_channel_id = strtoull(db_value(res, 0, 4), NULL, 10);
    json_object_put(gone);
    Hype__ApiSignal__Envelope env = HYPE__API_SIGNAL__ENVELOPE__INIT;
    env.body_case = HYPE__API_SIGNAL__ENVELOPE__BODY_CLEAR_VOICE_RESULT;
    env.clear_voice_result = &c;
    api_signal_reply(call, &env);
}

/* The user's last session ended: it leaves its voice channel, as PUT {channelId: null} would. */
static void serve_clear(Api *api, ApiSignalCall *call, const Hype__ApiSignal__Envelope *env) {
    const char *params[1] = {
        arena_printf(api_signal_call_arena(call), "%" PRIu64, env->clear_voice->user_id)};
    api_signal_db_query(call, &statements[S_LEAVE], params, on_cleared, call,
                        "clearing a voice state");
}

static void on_reset(const DbResult *res, void *userdata) {
    ApiSignalCall *call = userdata;
    if (api_signal_reply_db_failed(call, res, "resetting realtime state"))
        return;
    Hype__ApiSignal__RealtimeResetResult r = HYPE__API_SIGNAL__REALTIME_RESET_RESULT__INIT;
    r.voice_states = strtoull(db_value(res, 0, 0), NULL, 10);
    r.users_offline = strtoull(db_value(res, 0, 1), NULL, 10);
    Hype__ApiSignal__Envelope env = HYPE__API_SIGNAL__ENVELOPE__INIT;
    env.body_case = HYPE__API_SIGNAL__ENVELOPE__BODY_REALTIME_RESET_RESULT;
    env.realtime_reset_result = &r;
    api_signal_reply(call, &env);
}

static void serve_reset(Api *api, ApiSignalCall *call, const Hype__ApiSignal__Envelope *env) {
    api_signal_db_query(call, &statements[S_RESET], NULL, on_reset, call,
                        "resetting realtime state");
}

/* clang-format off */
static const ValidateField state_fields[] = {
    {"channelId", VALIDATE_STRING, VALIDATE_NULLABLE, 1, 20, VALIDATE_ID, NULL, NULL},
    {"isMuted", VALIDATE_BOOL, 0, 0, 0, VALIDATE_ANY, NULL, NULL},
    {"isDeafened", VALIDATE_BOOL, 0, 0, 0, VALIDATE_ANY, NULL, NULL},
};
static const ValidateSchema state_schema = VALIDATE_SCHEMA(state_fields);
/* clang-format on */

static const ApiRoute routes[] = {
    {HTTP_PUT, "/api/voice/state", handle_state, ROUTE_AUTH, &state_schema,
     "Join a voice channel {channelId, isMuted, isDeafened}, change mute/deafen, or leave "
     "{channelId: null}"},
};

static const ApiSignalHandler handlers[] = {
    {HYPE__API_SIGNAL__ENVELOPE__BODY_CLEAR_VOICE, serve_clear},
    {HYPE__API_SIGNAL__ENVELOPE__BODY_REALTIME_RESET, serve_reset},
};

const ApiModule api_module_voice = {
    .name = "voice",
    .routes = routes,
    .n_routes = ELEMENTSOF(routes),
    .statements = statements,
    .n_statements = ELEMENTSOF(statements),
    .signal_handlers = handlers,
    .n_signal_handlers = ELEMENTSOF(handlers),
};
