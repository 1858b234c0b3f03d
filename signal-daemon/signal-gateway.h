/* signal-gateway: what clients ask of a session (auth, channel subscriptions, typing, messages,
 * voice states, the mesh relay), and the raw protocol's transport at / and /ws. */
#pragma once

#include <json-c/json.h>
#include <stdint.h>

#include "signal-session.h"

/* Upgrades req to the raw protocol: seed 000's {"type","data","timestamp"} frames (plus "seq"
 * on numbered events). ?token= authenticates at once; else an "auth" frame must come first. */
void gateway_accept_raw(Signal *sig, HttpRequest *req);
/* One client op, whatever the transport; *sp may be replaced (a resumed session). */
void gateway_handle(Session **sp, const char *type, json_object *data);
/* Permissions changed in a server: every live subscription to its channels is checked again;
 * sessions that lost a channel are unsubscribed and told ("channel_access_revoked"). */
void gateway_recheck_server(Signal *sig, uint64_t server_id);
