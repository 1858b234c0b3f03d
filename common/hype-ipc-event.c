/* hype-ipc-event: an IPC peer on a libevent bufferevent: Hello, requests with timeouts, replies,
 * events. */
#include "hype-ipc-event.h"

#include <errno.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "hype-log.h"
#include "hype-time.h"

#define DEFAULT_TIMEOUT_MS 5000
#define DEFAULT_MAX_OUTPUT (16u << 20)

typedef struct Pending {
    struct Pending *next;
    IpcPeer *peer;
    uint64_t id;
    ipc_reply_cb cb;
    void *userdata;
    struct event *timer;
} Pending;

struct IpcPeer {
    struct event_base *base;
    struct bufferevent *bev;
    IpcPeerOptions opts;
    char instance[64];
    IpcPeerCallbacks cbs;
    void *userdata;
    Hype__Envelope *hello_env; /* the peer's Hello, kept for ipc_peer_hello() */
    bool closed;
    unsigned dispatching; /* depth of our frames on the stack */
    bool free_requested;
    uint64_t next_id;
    Pending *pending;
    size_t n_pending;
};

static void peer_destroy(IpcPeer *p);

/* Every entry from the loop brackets its work with enter/leave, so an owner freeing the peer
 * from inside a callback only marks it; the last leave frees. Returns true when p is gone. */
static void enter(IpcPeer *p) {
    p->dispatching++;
}
static bool leave(IpcPeer *p) {
    if (--p->dispatching == 0 && p->free_requested) {
        peer_destroy(p);
        return true;
    }
    return false;
}

static const char *peer_name(const IpcPeer *p) {
    const Hype__Hello *h = ipc_peer_hello(p);
    return h && h->instance && *h->instance ? h->instance : "(before hello)";
}

static Pending *pending_take(IpcPeer *p, uint64_t id) {
    for (Pending **pp = &p->pending; *pp; pp = &(*pp)->next)
        if ((*pp)->id == id) {
            Pending *found = *pp;
            *pp = found->next;
            p->n_pending--;
            return found;
        }
    return NULL;
}

static void pending_complete(Pending *pd, const Hype__Envelope *reply, int error) {
    event_free(pd->timer);
    pd->cb(pd->peer, reply, error, pd->userdata);
    free(pd);
}

/* Drops the connection once: logs why, fails pending requests, tells the owner. */
static void peer_close(IpcPeer *p, int error, const char *why) {
    if (p->closed)
        return;
    p->closed = true;
    if (error)
        log_warning("IPC peer %s dropped: %s", peer_name(p), why);
    else
        log_debug("IPC peer %s closed the connection", peer_name(p));
    if (p->bev) {
        bufferevent_free(p->bev);
        p->bev = NULL;
    }
    while (p->pending && !p->free_requested) {
        Pending *pd = p->pending;
        p->pending = pd->next;
        p->n_pending--;
        pending_complete(pd, NULL, -ECONNRESET);
    }
    if (p->cbs.on_close && !p->free_requested)
        p->cbs.on_close(p, error, p->userdata);
}

static int send_envelope(IpcPeer *p, Hype__Envelope *env) {
    if (p->closed)
        return -ECONNRESET;
    size_t size = ipc_frame_size(env);
    if (size - IPC_HEADER_SIZE > IPC_FRAME_MAX)
        return -EMSGSIZE;
    struct evbuffer *out = bufferevent_get_output(p->bev);
    struct evbuffer_iovec v;
    /* Encode straight into the output buffer: no intermediate copy. */
    if (evbuffer_reserve_space(out, (ev_ssize_t)size, &v, 1) < 1 || v.iov_len < size)
        return -ENOMEM;
    int n = ipc_frame_encode_into(env, v.iov_base, size);
    if (n < 0)
        return n;
    v.iov_len = (size_t)n;
    evbuffer_commit_space(out, &v, 1);
    if (evbuffer_get_length(out) > p->opts.max_output) {
        enter(p);
        peer_close(p, -ENOBUFS, "it does not read: output limit exceeded");
        leave(p);
        return -ENOBUFS;
    }
    return 0;
}

static void reply_unknown(IpcPeer *p, const Hype__Envelope *env) {
    char msg[64];
    snprintf(msg, sizeof(msg), "unknown message body %d", (int)env->body_case);
    ipc_peer_reply_error(p, env, HYPE__ERROR__CODE__CODE_UNKNOWN_BODY, msg);
}

static bool handle_hello(IpcPeer *p, Hype__Envelope *env) {
    if (env->body_case != HYPE__ENVELOPE__BODY_HELLO) {
        peer_close(p, -EPROTO, "first frame is not a Hello");
        return false;
    }
    if (env->hello->protocol_version != IPC_PROTOCOL_VERSION) {
        char why[96];
        snprintf(why, sizeof(why), "protocol version %u, we speak %u", env->hello->protocol_version,
                 IPC_PROTOCOL_VERSION);
        peer_close(p, -EPROTO, why);
        return false;
    }
    p->hello_env = env;
    if (p->cbs.on_hello)
        p->cbs.on_hello(p, env->hello, p->userdata);
    return true;
}

/* Handles one whole frame; returns false when processing must stop. env is consumed. */
static bool handle_frame(IpcPeer *p, Hype__Envelope *env) {
    if (!p->hello_env)
        return handle_hello(p, env) || (hype__envelope__free_unpacked(env, NULL), false);
    if (env->reply_to) {
        Pending *pd = pending_take(p, env->reply_to);
        if (pd)
            pending_complete(pd, env, 0);
        else
            log_debug("IPC peer %s: reply to unknown request %llu", peer_name(p),
                      (unsigned long long)env->reply_to);
    } else {
        int r = p->cbs.on_message ? p->cbs.on_message(p, env, p->userdata) : -EOPNOTSUPP;
        if (r == -EOPNOTSUPP && env->id && !p->closed && !p->free_requested)
            reply_unknown(p, env);
    }
    hype__envelope__free_unpacked(env, NULL);
    return !p->closed && !p->free_requested;
}

static void on_read(struct bufferevent *bev, void *arg) {
    IpcPeer *p = arg;
    struct evbuffer *in = bufferevent_get_input(bev);
    enter(p);
    while (!p->closed && !p->free_requested) {
        size_t avail = evbuffer_get_length(in);
        uint8_t header[IPC_HEADER_SIZE];
        if (avail < IPC_HEADER_SIZE)
            break;
        evbuffer_copyout(in, header, IPC_HEADER_SIZE);
        size_t need = IPC_HEADER_SIZE + ((size_t)header[0] << 24 | (size_t)header[1] << 16 |
                                         (size_t)header[2] << 8 | header[3]);
        Hype__Envelope *env = NULL;
        size_t used = 0;
        int r = ipc_frame_decode(header, IPC_HEADER_SIZE, p->opts.max_frame, &env, &used);
        if (r == 0 && avail >= need)
            r = ipc_frame_decode(evbuffer_pullup(in, (ev_ssize_t)need), need, p->opts.max_frame,
                                 &env, &used);
        if (r < 0) {
            peer_close(p, r, r == -EMSGSIZE ? "frame over the size limit" : "undecodable frame");
            break;
        }
        if (r == 0)
            break;
        evbuffer_drain(in, used);
        if (!handle_frame(p, env))
            break;
    }
    leave(p);
}

static void on_event(struct bufferevent *bev, short what, void *arg) {
    IpcPeer *p = arg;
    if (!(what & (BEV_EVENT_EOF | BEV_EVENT_ERROR)))
        return;
    enter(p);
    if (what & BEV_EVENT_ERROR) {
        char why[128];
        snprintf(why, sizeof(why), "socket error: %s", strerror(EVUTIL_SOCKET_ERROR()));
        peer_close(p, -ECONNRESET, why);
    } else
        peer_close(p, 0, "EOF");
    leave(p);
}

static int send_hello(IpcPeer *p) {
    Hype__Hello hello = HYPE__HELLO__INIT;
    Hype__Envelope env = HYPE__ENVELOPE__INIT;
    hello.protocol_version = IPC_PROTOCOL_VERSION;
    hello.role = p->opts.role;
    hello.instance = p->instance;
    hello.pid = (uint32_t)getpid();
    env.body_case = HYPE__ENVELOPE__BODY_HELLO;
    env.hello = &hello;
    return send_envelope(p, &env);
}

static int peer_new(struct event_base *base, struct bufferevent *bev, const IpcPeerOptions *opts,
                    const IpcPeerCallbacks *cbs, void *userdata, IpcPeer **ret) {
    IpcPeer *p = calloc(1, sizeof(*p));
    if (!p) {
        bufferevent_free(bev);
        return -ENOMEM;
    }
    p->base = base;
    p->bev = bev;
    p->opts = *opts;
    p->opts.request_timeout_ms =
        opts->request_timeout_ms ? opts->request_timeout_ms : DEFAULT_TIMEOUT_MS;
    p->opts.max_output = opts->max_output ? opts->max_output : DEFAULT_MAX_OUTPUT;
    p->opts.max_frame = opts->max_frame ? opts->max_frame : IPC_FRAME_MAX;
    snprintf(p->instance, sizeof(p->instance), "%s", opts->instance ? opts->instance : "");
    p->opts.instance = p->instance;
    p->cbs = *cbs;
    p->userdata = userdata;
    bufferevent_setcb(bev, on_read, NULL, on_event, p);
    int r = bufferevent_enable(bev, EV_READ | EV_WRITE) < 0 ? -EIO : send_hello(p);
    if (r < 0) {
        peer_destroy(p);
        return r;
    }
    *ret = p;
    return 0;
}

int ipc_peer_new(struct event_base *base, int fd, const IpcPeerOptions *opts,
                 const IpcPeerCallbacks *cbs, void *userdata, IpcPeer **ret) {
    evutil_make_socket_nonblocking(fd);
    evutil_make_socket_closeonexec(fd);
    struct bufferevent *bev = bufferevent_socket_new(base, fd, BEV_OPT_CLOSE_ON_FREE);
    if (!bev) {
        close(fd);
        return -ENOMEM;
    }
    return peer_new(base, bev, opts, cbs, userdata, ret);
}

int ipc_peer_connect_unix(struct event_base *base, const char *path, const IpcPeerOptions *opts,
                          const IpcPeerCallbacks *cbs, void *userdata, IpcPeer **ret) {
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    if (strlen(path) >= sizeof(sa.sun_path))
        return -ENAMETOOLONG;
    strcpy(sa.sun_path, path);
    struct bufferevent *bev = bufferevent_socket_new(base, -1, BEV_OPT_CLOSE_ON_FREE);
    if (!bev)
        return -ENOMEM;
    if (bufferevent_socket_connect(bev, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
        int e = errno ? -errno : -ECONNREFUSED;
        bufferevent_free(bev);
        return e;
    }
    return peer_new(base, bev, opts, cbs, userdata, ret);
}

static void peer_destroy(IpcPeer *p) {
    while (p->pending) {
        Pending *pd = p->pending;
        p->pending = pd->next;
        event_free(pd->timer);
        free(pd);
    }
    if (p->bev)
        bufferevent_free(p->bev);
    if (p->hello_env)
        hype__envelope__free_unpacked(p->hello_env, NULL);
    free(p);
}

IpcPeer *ipc_peer_free(IpcPeer *p) {
    if (!p)
        return NULL;
    if (p->dispatching) {
        p->free_requested = true;
        return NULL;
    }
    peer_destroy(p);
    return NULL;
}

int ipc_peer_send(IpcPeer *p, Hype__Envelope *env) {
    env->id = 0;
    env->reply_to = 0;
    return send_envelope(p, env);
}

static void on_request_timeout(evutil_socket_t fd, short what, void *arg) {
    Pending *pd = arg;
    IpcPeer *p = pd->peer;
    pending_take(p, pd->id);
    enter(p);
    pending_complete(pd, NULL, -ETIMEDOUT);
    leave(p);
}

int ipc_peer_request(IpcPeer *p, Hype__Envelope *env, ipc_reply_cb cb, void *userdata) {
    if (p->closed)
        return -ECONNRESET;
    Pending *pd = calloc(1, sizeof(*pd));
    if (!pd)
        return -ENOMEM;
    *pd = (Pending){.peer = p, .id = ++p->next_id, .cb = cb, .userdata = userdata};
    pd->timer = evtimer_new(p->base, on_request_timeout, pd);
    env->id = pd->id;
    env->reply_to = 0;
    int r = pd->timer ? send_envelope(p, env) : -ENOMEM;
    if (r < 0) {
        if (pd->timer)
            event_free(pd->timer);
        free(pd);
        return r;
    }
    timer_arm_ms(pd->timer, p->opts.request_timeout_ms);
    pd->next = p->pending;
    p->pending = pd;
    p->n_pending++;
    return 0;
}

int ipc_peer_reply(IpcPeer *p, const Hype__Envelope *request, Hype__Envelope *reply) {
    reply->id = 0;
    reply->reply_to = request->id;
    return send_envelope(p, reply);
}

int ipc_peer_reply_error(IpcPeer *p, const Hype__Envelope *request, Hype__Error__Code code,
                         const char *message) {
    Hype__Error err = HYPE__ERROR__INIT;
    Hype__Envelope env = HYPE__ENVELOPE__INIT;
    err.code = code;
    err.message = (char *)message;
    env.body_case = HYPE__ENVELOPE__BODY_ERROR;
    env.error = &err;
    return ipc_peer_reply(p, request, &env);
}

bool ipc_peer_is_ready(const IpcPeer *p) {
    return p->hello_env && !p->closed;
}

const Hype__Hello *ipc_peer_hello(const IpcPeer *p) {
    return p->hello_env ? p->hello_env->hello : NULL;
}

size_t ipc_peer_pending_requests(const IpcPeer *p) {
    return p->n_pending;
}

size_t ipc_peer_output_pending(const IpcPeer *p) {
    return p->closed ? 0 : evbuffer_get_length(bufferevent_get_output(p->bev));
}
