/* signal-presence: a user's status as sessions come and go: online at the user's first ready
 * session, offline when its last one ends (through hype-api, which tells the user's servers). */
#include "signal-presence.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

struct Presence {
    SessionRegistry *sessions;
};

static void set_status(Session *s, const char *status) {
    char target[64], body[64];
    snprintf(target, sizeof(target), "/api/users/%" PRIu64 "/status", s->who.user_id);
    snprintf(body, sizeof(body), "{\"status\":\"%s\"}", status);
    session_api_call(s, "PUT", target, body, NULL, NULL);
}

static void on_session_start(Session *s, void *userdata) {
    Presence *p = userdata;
    if (sessions_user_count(p->sessions, s->who.user_id) == 1)
        set_status(s, "online");
}

static void on_session_end(Session *s, void *userdata) {
    Presence *p = userdata;
    if (sessions_user_count(p->sessions, s->who.user_id) == 0)
        set_status(s, "offline");
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
