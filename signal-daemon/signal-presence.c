/* signal-presence: a user's status as sessions come and go: online at the user's first ready
 * session, offline when its last one ends (SetPresence: hype-api tells the user's servers). */
#include "signal-presence.h"

#include <errno.h>
#include <stdlib.h>

struct Presence {
    SessionRegistry *sessions;
};

/* Fire and forget: hype-api tells the user's servers (presence); a failure is logged there. */
static void set_presence(Session *s, Hype__ApiSignal__SetPresence__Status status) {
    Hype__ApiSignal__SetPresence q = HYPE__API_SIGNAL__SET_PRESENCE__INIT;
    q.user_id = s->who.user_id;
    q.status = status;
    Hype__ApiSignal__Envelope env = HYPE__API_SIGNAL__ENVELOPE__INIT;
    env.body_case = HYPE__API_SIGNAL__ENVELOPE__BODY_SET_PRESENCE;
    env.set_presence = &q;
    session_request(s, &env, NULL, NULL);
}

static void on_session_start(Session *s, void *userdata) {
    Presence *p = userdata;
    if (sessions_user_count(p->sessions, s->who.user_id) == 1)
        set_presence(s, HYPE__API_SIGNAL__SET_PRESENCE__STATUS__STATUS_ONLINE);
}

static void on_session_end(Session *s, void *userdata) {
    Presence *p = userdata;
    if (sessions_user_count(p->sessions, s->who.user_id) == 0)
        set_presence(s, HYPE__API_SIGNAL__SET_PRESENCE__STATUS__STATUS_OFFLINE);
}

static const SessionHooks hooks = {.start = on_session_start, .end = on_session_end};

int presence_new(SessionRegistry *sessions, Presence **ret) {
    Presence *p = calloc(1, sizeof(*p));
    if (!p)
        return -ENOMEM;
    p->sessions = sessions;
    int r = sessions_register(sessions, &hooks, p, NULL);
    if (r < 0) {
        free(p);
        return r;
    }
    *ret = p;
    return 0;
}

Presence *presence_free(Presence *p) {
    free(p);
    return NULL;
}
