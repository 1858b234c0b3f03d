/* hype-ipc-api-signal: the api-signal link (signal.sock), for both of its ends: its Envelope,
 * which result answers each request, and the name clients see for each kind of event. */
#include "hype-ipc-api-signal.h"

#include "hype-macro.h"

#define BODY(x) HYPE__API_SIGNAL__ENVELOPE__BODY_##x

static const IpcLinkPair pairs[] = {
    /* hype-signal asks hype-api */
    {BODY(API_CALL), BODY(API_CALL_RESULT)},
    {BODY(GATEWAY_SESSION), BODY(GATEWAY_SESSION_RESULT)},
    {BODY(SESSIONS_CHECK), BODY(SESSIONS_CHECK_RESULT)},
    {BODY(REALTIME_RESET), BODY(REALTIME_RESET_RESULT)},
    {BODY(SET_PRESENCE), BODY(SET_PRESENCE_RESULT)},
    {BODY(CLEAR_VOICE), BODY(CLEAR_VOICE_RESULT)},
    {BODY(CHANNEL_ACCESS), BODY(CHANNEL_ACCESS_RESULT)},
    {BODY(CALL_UPDATE), BODY(CALL_UPDATE_RESULT)},
    {BODY(CALLS_SYNC), BODY(CALLS_SYNC_RESULT)},
    /* hype-api asks hype-signal */
    {BODY(USER_SESSIONS), BODY(USER_SESSIONS_RESULT)},
    {BODY(CALL_RING), BODY(CALL_RING_RESULT)},
};

IPC_LINK_DEFINE(ipc_link_api_signal, "api-signal", Hype__ApiSignal__Envelope,
                hype__api_signal__envelope__descriptor, HYPE__API_SIGNAL__ENVELOPE__BODY, pairs);

#define KIND(x) HYPE__API_SIGNAL__EVENT_KIND__EVENT_##x

static const char *const kind_names[IPC_EVENT_KIND_END] = {
    [KIND(MESSAGE)] = "message",
    [KIND(MESSAGE_UPDATED)] = "message_updated",
    [KIND(MESSAGE_DELETED)] = "message_deleted",
    [KIND(MESSAGE_REACTION)] = "message_reaction",
    [KIND(CHANNEL_CREATED)] = "channel_created",
    [KIND(CHANNEL_UPDATED)] = "channel_updated",
    [KIND(CHANNEL_DELETED)] = "channel_deleted",
    [KIND(CHANNEL_PERMISSIONS_UPDATED)] = "channel_permissions_updated",
    [KIND(VOICE_STATE)] = "voice_state",
    [KIND(MEMBER_JOINED)] = "member_joined",
    [KIND(MEMBER_UPDATED)] = "member_updated",
    [KIND(MEMBER_LEFT)] = "member_left",
    [KIND(ROLE_CREATED)] = "role_created",
    [KIND(ROLE_UPDATED)] = "role_updated",
    [KIND(ROLE_DELETED)] = "role_deleted",
    [KIND(MEMBER_ROLES_UPDATED)] = "member_roles_updated",
    [KIND(PRESENCE)] = "presence",
    [KIND(SESSION_REVOKED)] = "session_revoked",
    [KIND(CALL_ENDED)] = "call:ended",
};

const char *ipc_event_kind_name(Hype__ApiSignal__EventKind kind) {
    return (unsigned)kind < ELEMENTSOF(kind_names) ? kind_names[kind] : NULL;
}
