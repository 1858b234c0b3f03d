/* signal-sio: Socket.IO v5 on Engine.IO: namespaces, CONNECT with auth, events and acks, binary
 * attachments; each namespace connection is a session speaking the same events as the raw
 * protocol. */
#include "signal-sio.h"

#include <errno.h>
#include <event2/event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "hype-base64.h"
#include "hype-json.h"
#include "hype-log.h"
#include "signal-auth.h"
#include "signal-eio.h"
#include "signal-gateway.h"
#include "signal-session.h"
#include "signal-sio-packet.h"
#include "hype-time.h"

#define NSP_CONNS_MAX 4
#define CONFORMANCE_CONNECT_TIMEOUT_MS 1000
#define CONFORMANCE_AUTH_DELAY_MS 10

typedef struct SioClient SioClient;

/* One namespace connection of a client. */
typedef struct SioNsp {
    SioClient *client;
    char nsp[SIO_NSP_MAX];
    char sid[32];
    Session *session; /* production: the session behind it */
    bool connected;   /* CONNECT answered */
    /* conformance: the "auth" event, sent a moment after the CONNECT reply (see there) */
    char *auth_event;
    struct event *auth_timer;
} SioNsp;

struct SioClient {
    SioServer *srv;
    EioSocket *eio;
    bool closing; /* the Engine.IO socket is going: its namespaces are being removed */
    SioNsp *nsps[NSP_CONNS_MAX];
    struct event *connect_timer; /* closes a client that connects to no namespace in time */
    /* A binary packet waiting for its attachments. */
    SioPacket pending;
    bool has_pending;
    struct {
        char *data;
        size_t len;
    } attachments[SIO_ATTACHMENTS_MAX];
    unsigned n_attachments;
    size_t attachment_bytes;
};

struct SioServer {
    SignalHttp *http;
    SessionRegistry *sessions; /* production only, as is gw */
    Gateway *gw;
    bool conformance;
    bool stopping; /* freeing: clients go, their sessions are the session registry's to free */
    EioServer *eio;
};

static const char *const production_nsps[] = {"/", "/socket", NULL};
static const char *const conformance_nsps[] = {"/", "/custom", NULL};

/* ---- sending ---- */

static void send_text(SioClient *c, char *text) {
    if (text)
        eio_send(c->eio, false, text, strlen(text));
    free(text);
}

static void send_packet(SioClient *c, SioType type, unsigned attachments, const char *nsp,
                        int64_t ack, const char *json) {
    send_text(c, sio_encode(type, attachments, nsp, ack, json));
}

static void send_attachments(SioClient *c) {
    for (unsigned i = 0; i < c->n_attachments; i++)
        eio_send(c->eio, true, c->attachments[i].data, c->attachments[i].len);
}

/* ---- the session transport: events as 42<nsp,>["type",data] ---- */

static bool sio_send_event(Session *s, const OutEvent *ev, uint64_t seq) {
    SioNsp *n = s->conn;
    json_object *t = json_object_new_string(ev->type);
    char *json = NULL;
    int r = asprintf(&json, "[%s,%s]", json_object_to_json_string_ext(t, JSON_C_TO_STRING_PLAIN),
                     ev->data);
    json_object_put(t);
    if (r < 0)
        return false;
    send_packet(n->client, SIO_EVENT, 0, n->nsp, -1, json);
    free(json);
    return true;
}

static void nsp_remove(SioNsp *n, bool clean);

static void sio_close(Session *s, uint16_t code, const char *reason) {
    SioNsp *n = s->conn;
    if (!n)
        return;
    if (!n->connected) {
        /* Refused before CONNECT was answered: CONNECT_ERROR, as Socket.IO clients expect
         * (connect_error "Unauthorized" for a bad or revoked token). */
        json_object *e = json_object_new_object(), *data = json_object_new_object();
        json_object_object_add(data, "code", json_object_new_int(code));
        json_object_object_add(data, "reason", json_object_new_string(reason));
        json_object_object_add(e, "message",
                               json_object_new_string(code == 4001 ? "Unauthorized" : reason));
        json_object_object_add(e, "data", data);
        send_packet(n->client, SIO_CONNECT_ERROR, 0, n->nsp, -1, json_serialize(e, NULL));
        json_object_put(e);
    } else
        send_packet(n->client, SIO_DISCONNECT, 0, n->nsp, -1, NULL);
    nsp_remove(n, true);
}

static void sio_rebind(Session *s) {
    ((SioNsp *)s->conn)->session = s;
}

static void reply_connected(SioClient *c, SioNsp *n);

/* hype-api accepted the session: now the client hears CONNECT (a refusal is a CONNECT_ERROR,
 * never a connection that closes right after), and the Engine.IO socket gets the output budget
 * of an authenticated one. */
static void sio_authenticated(Session *s) {
    SioNsp *n = s->conn;
    eio_set_output_limit(n->client->eio, n->client->srv->http->cfg->output_limit);
    reply_connected(n->client, n);
}

static const SessionTransport sio_transport = {sio_send_event, sio_close, sio_rebind,
                                               sio_authenticated};

/* ---- namespaces ---- */

static SioNsp *nsp_find(SioClient *c, const char *nsp) {
    for (size_t i = 0; i < NSP_CONNS_MAX; i++)
        if (c->nsps[i] && strcmp(c->nsps[i]->nsp, nsp) == 0)
            return c->nsps[i];
    return NULL;
}

static void arm_connect_timer(SioClient *c);

static void nsp_remove(SioNsp *n, bool clean) {
    SioClient *c = n->client;
    bool connected = false;
    for (size_t i = 0; i < NSP_CONNS_MAX; i++) {
        if (c->nsps[i] == n)
            c->nsps[i] = NULL;
        connected |= c->nsps[i] != NULL;
    }
    /* A client left with no namespace (a refused CONNECT, a DISCONNECT) has the connect timeout
     * again: it cannot hold a socket open without authenticating. */
    if (!connected && !c->closing)
        arm_connect_timer(c);
    if (n->auth_timer)
        event_free(n->auth_timer);
    free(n->auth_event);
    if (n->session) {
        Session *s = n->session;
        n->session = NULL;
        /* Socket.IO clients reconnect with a new session: nothing to resume. */
        session_connection_lost(s, true);
        (void)clean;
    }
    free(n);
}

static bool nsp_allowed(const SioServer *srv, const char *nsp) {
    for (const char *const *p = srv->conformance ? conformance_nsps : production_nsps; *p; p++)
        if (strcmp(*p, nsp) == 0)
            return true;
    return false;
}

static void random_sid(char *out) {
    uint8_t rnd[15];
    if (getrandom(rnd, sizeof(rnd), 0) != sizeof(rnd))
        memset(rnd, 0, sizeof(rnd));
    base64url_encode(out, rnd, sizeof(rnd));
}

static void reply_connected(SioClient *c, SioNsp *n) {
    n->connected = true;
    char json[64];
    snprintf(json, sizeof(json), "{\"sid\":\"%s\"}", n->sid);
    send_packet(c, SIO_CONNECT, 0, n->nsp, -1, json);
}

static void on_auth_timer(evutil_socket_t fd, short what, void *userdata) {
    SioNsp *n = userdata;
    send_text(n->client, n->auth_event);
    n->auth_event = NULL;
}

static void handle_connect(SioClient *c, SioPacket *p) {
    SioServer *srv = c->srv;
    if (!nsp_allowed(srv, p->nsp)) {
        send_packet(c, SIO_CONNECT_ERROR, 0, p->nsp, -1, "{\"message\":\"Invalid namespace\"}");
        return;
    }
    if (nsp_find(c, p->nsp))
        return; /* already connected there */
    size_t slot = 0;
    while (slot < NSP_CONNS_MAX && c->nsps[slot])
        slot++;
    SioNsp *n = slot < NSP_CONNS_MAX ? calloc(1, sizeof(*n)) : NULL;
    if (!n) {
        send_packet(c, SIO_CONNECT_ERROR, 0, p->nsp, -1, "{\"message\":\"Too many namespaces\"}");
        return;
    }
    n->client = c;
    snprintf(n->nsp, sizeof(n->nsp), "%s", p->nsp);
    c->nsps[slot] = n;
    evtimer_del(c->connect_timer);
    if (srv->conformance) {
        random_sid(n->sid);
        reply_connected(c, n);
        json_object *args = json_object_new_array();
        json_object_array_add(args, json_object_new_string("auth"));
        json_object_array_add(args,
                              p->payload ? json_object_get(p->payload) : json_object_new_object());
        n->auth_event = sio_encode(SIO_EVENT, 0, n->nsp, -1, json_serialize(args, NULL));
        json_object_put(args);
        /* The suite reads the CONNECT reply and the "auth" event with one-shot listeners
         * registered one after the other (ws 8.5 emits every frame of a read synchronously):
         * the reference server's event arrives in a later write, and so must ours. */
        n->auth_timer = evtimer_new(srv->http->base, on_auth_timer, n);
        if (n->auth_timer)
            timer_arm_ms(n->auth_timer, CONFORMANCE_AUTH_DELAY_MS);
        return;
    }
    /* The token is checked here so a refusal is a CONNECT_ERROR, never a half-open session. */
    const char *token = json_object_get_string(json_get(p->payload, "token"));
    Identity who;
    int r = token ? auth_verify_access(srv->http->cfg->jwt_access_secret, token,
                                       time_wall_ms() / 1000, &who)
                  : -ENOKEY;
    Session *s = r == 0 ? session_new(srv->sessions, &sio_transport, n, eio_peer(c->eio)) : NULL;
    if (!s) {
        sessions_note_auth_failed(srv->sessions);
        send_packet(c, SIO_CONNECT_ERROR, 0, n->nsp, -1,
                    r < 0 ? "{\"message\":\"Unauthorized\",\"data\":{\"code\":4001}}"
                          : "{\"message\":\"Server busy\"}");
        nsp_remove(n, true);
        return;
    }
    n->session = s;
    snprintf(n->sid, sizeof(n->sid), "%s", s->id);
    const char *error;
    session_authenticate(s, token, NULL, 0, &error); /* CONNECT is answered once hype-api agrees */
}

/* ---- events ---- */

/* The reference server of the official suites: echoes, acks, attachments passed through. */
static void conformance_event(SioClient *c, SioPacket *p) {
    const char *name = json_object_get_string(json_object_array_get_idx(p->payload, 0));
    bool binary = p->type == SIO_BINARY_EVENT;
    if (strcmp(name, "message") == 0) {
        json_object_array_put_idx(p->payload, 0, json_object_new_string("message-back"));
        send_packet(c, binary ? SIO_BINARY_EVENT : SIO_EVENT, binary ? c->n_attachments : 0, p->nsp,
                    -1, json_serialize(p->payload, NULL));
        send_attachments(c);
    } else if (strcmp(name, "message-with-ack") == 0 && p->has_ack) {
        json_object_array_del_idx(p->payload, 0, 1);
        send_packet(c, binary ? SIO_BINARY_ACK : SIO_ACK, binary ? c->n_attachments : 0, p->nsp,
                    (int64_t)p->ack_id, json_serialize(p->payload, NULL));
        send_attachments(c);
    }
}

/* An event the client wants acknowledged: where the ack goes once the outcome is known. */
typedef struct AckTo {
    int64_t id;
    char nsp[SIO_NSP_MAX];
} AckTo;

/* The ack carries the op's outcome: [{"ok":true,"data":...}] or
 * [{"ok":false,"error":{"code":403,"message":"...",...}}]. */
static void on_op_done(Session *s, const OpOutcome *o, void *userdata) {
    AckTo *to = userdata;
    SioNsp *n = s->transport == &sio_transport ? s->conn : NULL;
    if (n && strcmp(n->nsp, to->nsp) == 0) {
        json_object *ack = json_object_new_object(), *args = json_object_new_array();
        json_object_object_add(ack, "ok", json_object_new_boolean(o->code == 0));
        if (o->code == 0) {
            json_object_object_add(ack, "data", json_object_get(o->data));
        } else {
            json_object_object_add(ack, "error", gateway_error_json(o));
        }
        json_object_array_add(args, ack);
        send_packet(n->client, SIO_ACK, 0, n->nsp, to->id, json_serialize(args, NULL));
        json_object_put(args);
    }
    free(to);
}

static void handle_event(SioClient *c, SioPacket *p) {
    SioNsp *n = nsp_find(c, p->nsp);
    if (!n)
        return; /* not connected to that namespace: ignored, as the reference server does */
    if (c->srv->conformance) {
        conformance_event(c, p);
        return;
    }
    if (!n->session)
        return;
    const char *name = json_object_get_string(json_object_array_get_idx(p->payload, 0));
    json_object *data = json_object_array_get_idx(p->payload, 1);
    AckTo *to = p->has_ack ? malloc(sizeof(*to)) : NULL;
    if (to) {
        to->id = (int64_t)p->ack_id;
        snprintf(to->nsp, sizeof(to->nsp), "%s", p->nsp);
    }
    /* Held for the call: an op may end the session (a refused auth) before done runs. */
    Session *s = session_ref(n->session);
    gateway_handle(c->srv->gw, s, name, data, (OpReply){to ? on_op_done : NULL, to});
    session_unref(s);
}

static void clear_pending(SioClient *c) {
    if (c->has_pending)
        sio_packet_done(&c->pending);
    c->has_pending = false;
    for (unsigned i = 0; i < c->n_attachments; i++)
        free(c->attachments[i].data);
    c->n_attachments = 0;
    c->attachment_bytes = 0;
}

static void dispatch(SioClient *c, SioPacket *p) {
    switch (p->type) {
    case SIO_CONNECT: handle_connect(c, p); break;
    case SIO_DISCONNECT: {
        SioNsp *n = nsp_find(c, p->nsp);
        if (n)
            nsp_remove(n, true);
        break;
    }
    case SIO_EVENT:
    case SIO_BINARY_EVENT:
    case SIO_ACK:
    case SIO_BINARY_ACK:
        if (p->type == SIO_EVENT || p->type == SIO_BINARY_EVENT)
            handle_event(c, p);
        break; /* acks: the server never asks clients for one */
    default: break;
    }
}

/* ---- Engine.IO callbacks ---- */

static void on_connect_timeout(evutil_socket_t fd, short what, void *userdata) {
    SioClient *c = userdata;
    eio_close(c->eio, "no namespace connected in time");
}

static void arm_connect_timer(SioClient *c) {
    uint64_t ms =
        c->srv->conformance ? CONFORMANCE_CONNECT_TIMEOUT_MS : c->srv->http->cfg->auth_timeout_ms;
    timer_arm_ms(c->connect_timer, ms);
}

static void on_open(EioSocket *e, void *userdata) {
    SioServer *srv = userdata;
    SioClient *c = calloc(1, sizeof(*c));
    if (!c) {
        eio_close(e, "out of memory");
        return;
    }
    c->srv = srv;
    c->eio = e;
    c->connect_timer = evtimer_new(srv->http->base, on_connect_timeout, c);
    if (!c->connect_timer) {
        free(c);
        eio_close(e, "out of memory");
        return;
    }
    eio_set_userdata(e, c);
    /* Until a namespace session is authenticated, what it may queue for the client is small. */
    if (!srv->conformance)
        eio_set_output_limit(e, srv->http->cfg->auth_output_limit);
    arm_connect_timer(c);
}

/* Whether one of the client's namespaces has an accepted session. */
static bool authenticated(const SioClient *c) {
    for (size_t i = 0; i < NSP_CONNS_MAX; i++)
        if (c->nsps[i] && c->nsps[i]->connected)
            return true;
    return false;
}

static void on_message(EioSocket *e, bool binary, const char *data, size_t len, void *userdata) {
    SioClient *c = eio_userdata(e);
    if (!c)
        return;
    if (binary) {
        if (!c->has_pending) {
            eio_close(e, "unexpected binary attachment");
            return;
        }
        /* Held until the packet is whole: all its attachments together are one client message,
         * bounded like one (WS_MAX_MESSAGE). */
        if (len > c->srv->http->cfg->max_message - c->attachment_bytes) {
            eio_close(e, "binary attachments over the message size limit");
            return;
        }
        char *copy = malloc(len ? len : 1);
        if (!copy) {
            eio_close(e, "out of memory");
            return;
        }
        memcpy(copy, data, len);
        c->attachment_bytes += len;
        c->attachments[c->n_attachments].data = copy;
        c->attachments[c->n_attachments++].len = len;
        if (c->n_attachments == c->pending.attachments) {
            SioPacket p = c->pending;
            c->has_pending = false;
            dispatch(c, &p);
            sio_packet_done(&p);
            clear_pending(c);
        }
        return;
    }
    SioPacket p;
    if (c->has_pending || sio_parse(data, len, &p) < 0) {
        eio_close(e, "invalid Socket.IO packet");
        return;
    }
    if (p.attachments) {
        /* Only an authenticated namespace may make us hold attachments (nothing else uses them:
         * an unauthenticated client's events are ignored). */
        if (!c->srv->conformance && !authenticated(c)) {
            sio_packet_done(&p);
            eio_close(e, "binary packet before authentication");
            return;
        }
        c->pending = p;
        c->has_pending = true;
        return;
    }
    dispatch(c, &p);
    sio_packet_done(&p);
}

static void on_close(EioSocket *e, const char *reason, void *userdata) {
    SioClient *c = eio_userdata(e);
    if (!c)
        return;
    eio_set_userdata(e, NULL);
    c->closing = true;
    for (size_t i = 0; i < NSP_CONNS_MAX; i++) {
        SioNsp *n = c->nsps[i];
        if (n && c->srv->stopping && n->session) { /* no goodbyes while the daemon exits */
            n->session->conn = NULL;
            n->session = NULL;
        }
        if (n)
            nsp_remove(n, false);
    }
    clear_pending(c);
    event_free(c->connect_timer);
    free(c);
}

static const EioCallbacks eio_cbs = {on_open, on_message, on_close};

int sio_server_new(SignalHttp *http, SessionRegistry *sessions, Gateway *gw, bool conformance,
                   SioServer **ret) {
    SioServer *srv = calloc(1, sizeof(*srv));
    if (!srv)
        return -ENOMEM;
    *srv = (SioServer){.http = http, .sessions = sessions, .gw = gw, .conformance = conformance};
    int r = eio_server_new(http, &eio_cbs, srv, &srv->eio);
    if (r < 0) {
        free(srv);
        return r;
    }
    *ret = srv;
    return 0;
}

SioServer *sio_server_free(SioServer *srv) {
    if (!srv)
        return NULL;
    srv->stopping = true;
    eio_server_free(srv->eio);
    free(srv);
    return NULL;
}

void sio_server_handle(SioServer *srv, HttpRequest *req) {
    eio_server_handle(srv->eio, req);
}

size_t sio_server_sockets(const SioServer *srv) {
    return eio_server_sockets(srv->eio);
}
