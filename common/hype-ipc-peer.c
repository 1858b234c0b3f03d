/* hype-ipc-peer: the IPC peer protocol (Hello, requests with timeouts, replies, events) on no
 * event loop: bytes in, frames out; a loop binding moves the bytes and arms one timer. */
#include "hype-ipc-peer.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "hype-log.h"

#define DEFAULT_TIMEOUT_MS 5000
#define DEFAULT_MAX_OUTPUT (16u << 20)
#define READ_CHUNK (64u << 10)
/* An output buffer that grew past this for a burst is given back once it has drained. */
#define OUTPUT_KEEP (256u << 10)

/* A request waiting for its reply. The list is in deadline order, which is also id order since
 * every request gets the same timeout: the head is the next to time out and, replies coming
 * mostly in order, usually the one a reply completes. */
typedef struct Pending {
    struct Pending *prev, *next;
    uint64_t id;
    uint64_t deadline_ms;
    uint32_t result; /* the body case that answers it */
    ipc_reply_cb cb;
    void *userdata;
} Pending;

struct IpcPeer {
    IpcPeerOptions opts;
    const IpcLink *link; /* opts.link */
    uint32_t peer_roles; /* IPC_ROLE_BIT()s a Hello may announce; 0 = any */
    char instance[64];
    IpcPeerCallbacks cbs;
    void *userdata;
    const IpcProtoBinding *binding;
    void *binding_data;

    IpcDecoder in; /* at most one partial frame: whole ones are decoded where they arrive */
    uint8_t *out;  /* queued output is out[out_start, out_end) */
    size_t out_start, out_end, out_cap;

    ProtobufCMessage *hello_env; /* the peer's Hello, kept for ipc_peer_hello() */
    void *scratch;               /* an Envelope of the link, for the Hello and Error we build */
    bool closed;
    unsigned depth; /* our calls on the stack: a free from inside them is deferred to the last */
    bool free_requested;

    uint64_t next_id;
    Pending *pending, *pending_tail;
    size_t n_pending;
    uint64_t armed; /* the deadline last given to set_deadline */
};

static uint64_t mono_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

#define HOOK(p, name) ((p)->binding && (p)->binding->name)

static uint64_t now_ms(const IpcPeer *p) {
    return HOOK(p, now_ms) ? p->binding->now_ms(p->binding_data) : mono_ms();
}

static bool alive(const IpcPeer *p) {
    return !p->closed && !p->free_requested;
}

static void peer_destroy(IpcPeer *p) {
    while (p->pending) {
        Pending *pd = p->pending;
        p->pending = pd->next;
        free(pd);
    }
    ipc_envelope_free(p->hello_env);
    ipc_decoder_done(&p->in);
    free(p->out);
    free(p->scratch);
    if (HOOK(p, destroy))
        p->binding->destroy(p->binding_data);
    free(p);
}

/* Every call that can run an owner callback brackets its work with enter/leave, so an owner
 * freeing the peer from inside a callback only marks it; the last leave frees. leave returns
 * what the driving calls return: 0 while the peer is open, -ECONNRESET once it is closed or
 * freed (and then p may be gone). */
static void enter(IpcPeer *p) {
    p->depth++;
}

static int leave(IpcPeer *p) {
    int r = alive(p) ? 0 : -ECONNRESET;
    if (--p->depth == 0 && p->free_requested)
        peer_destroy(p);
    return r;
}

static const char *peer_name(const IpcPeer *p) {
    const Hype__Hello *h = ipc_peer_hello(p);
    return h && h->instance && *h->instance ? h->instance : "(before hello)";
}

/* ---- pending requests ---- */

static void pending_unlink(IpcPeer *p, Pending *pd) {
    if (pd->prev)
        pd->prev->next = pd->next;
    else
        p->pending = pd->next;
    if (pd->next)
        pd->next->prev = pd->prev;
    else
        p->pending_tail = pd->prev;
    p->n_pending--;
}

/* Inserted from the tail: a clock that stood still or a shorter timeout walks back a little. */
static void pending_insert(IpcPeer *p, Pending *pd) {
    Pending *after = p->pending_tail;
    while (after && after->deadline_ms > pd->deadline_ms)
        after = after->prev;
    pd->prev = after;
    pd->next = after ? after->next : p->pending;
    if (pd->next)
        pd->next->prev = pd;
    else
        p->pending_tail = pd;
    if (after)
        after->next = pd;
    else
        p->pending = pd;
    p->n_pending++;
}

static Pending *pending_find(IpcPeer *p, uint64_t id) {
    for (Pending *pd = p->pending; pd; pd = pd->next)
        if (pd->id == id)
            return pd;
    return NULL;
}

/* pd is already unlinked; it is freed before the callback, which may free the peer. */
static void pending_complete(IpcPeer *p, Pending *pd, const ProtobufCMessage *reply, int error) {
    ipc_reply_cb cb = pd->cb;
    void *userdata = pd->userdata;
    free(pd);
    cb(p, reply, error, userdata);
}

static void arm(IpcPeer *p, uint64_t deadline_ms) {
    p->armed = deadline_ms;
    if (HOOK(p, set_deadline))
        p->binding->set_deadline(p->binding_data, deadline_ms);
}

/* ---- closing ---- */

/* Drops the connection once: logs why, tells the binding, fails pending requests, tells the
 * owner. Output still queued is discarded: nobody will write it. */
static void peer_close(IpcPeer *p, int error, const char *why) {
    if (p->closed)
        return;
    p->closed = true;
    if (error)
        log_warning("IPC peer %s dropped: %s", peer_name(p), why);
    else
        log_debug("IPC peer %s closed the connection", peer_name(p));
    p->armed = IPC_NO_DEADLINE;
    if (HOOK(p, closed))
        p->binding->closed(p->binding_data);
    free(p->out);
    p->out = NULL;
    p->out_start = p->out_end = p->out_cap = 0;
    ipc_decoder_done(&p->in);
    while (p->pending && !p->free_requested) {
        Pending *pd = p->pending;
        pending_unlink(p, pd);
        pending_complete(p, pd, NULL, -ECONNRESET);
    }
    if (p->cbs.on_close && !p->free_requested)
        p->cbs.on_close(p, error, p->userdata);
}

int ipc_proto_close(IpcPeer *p, int error, const char *why) {
    enter(p);
    if (!p->free_requested)
        peer_close(p, error, why);
    return leave(p);
}

/* ---- output ---- */

static int out_reserve(IpcPeer *p, size_t size) {
    if (p->out_cap - p->out_end >= size)
        return 0;
    if (p->out_start > 0) {
        memmove(p->out, p->out + p->out_start, p->out_end - p->out_start);
        p->out_end -= p->out_start;
        p->out_start = 0;
        if (p->out_cap - p->out_end >= size)
            return 0;
    }
    size_t cap = p->out_cap ? p->out_cap : 4096;
    while (cap - p->out_end < size)
        cap *= 2;
    uint8_t *out = realloc(p->out, cap);
    if (!out)
        return -ENOMEM;
    p->out = out;
    p->out_cap = cap;
    return 0;
}

/* Encodes env at the end of the output. Over max_output queued, the peer is dropped: call it
 * between enter and leave, since on_close may free the peer. */
static int queue_envelope(IpcPeer *p, const ProtobufCMessage *env) {
    if (!alive(p))
        return -ECONNRESET;
    size_t size = ipc_frame_size(env);
    if (size - IPC_HEADER_SIZE > IPC_FRAME_MAX)
        return -EMSGSIZE;
    size_t queued = p->out_end - p->out_start;
    if (queued + size > p->opts.max_output) {
        peer_close(p, -ENOBUFS, "it does not read: output limit exceeded");
        return -ENOBUFS;
    }
    int r = out_reserve(p, size);
    if (r < 0)
        return r;
    r = ipc_frame_encode_into(env, p->out + p->out_end, size);
    if (r < 0)
        return r;
    p->out_end += (size_t)r;
    if (queued == 0 && HOOK(p, want_write))
        p->binding->want_write(p->binding_data);
    return 0;
}

static int send_envelope(IpcPeer *p, const ProtobufCMessage *env) {
    enter(p);
    int r = queue_envelope(p, env);
    leave(p);
    return r;
}

size_t ipc_proto_output_peek(const IpcPeer *p, const uint8_t **ret_data) {
    *ret_data = p->out ? p->out + p->out_start : NULL;
    return p->out_end - p->out_start;
}

void ipc_proto_output_drain(IpcPeer *p, size_t n) {
    size_t queued = p->out_end - p->out_start;
    p->out_start += n < queued ? n : queued;
    if (p->out_start < p->out_end)
        return;
    p->out_start = p->out_end = 0;
    if (p->out_cap > OUTPUT_KEEP) {
        free(p->out);
        p->out = NULL;
        p->out_cap = 0;
    }
}

/* ---- input ---- */

static void reply_unknown(IpcPeer *p, const ProtobufCMessage *env) {
    char msg[64];
    snprintf(msg, sizeof(msg), "unknown message body %u on the %s link",
             ipc_envelope_body(p->link, env), p->link->name);
    ipc_peer_reply_error(p, ipc_envelope_id(p->link, env), HYPE__ERROR__CODE__CODE_UNKNOWN_BODY,
                         msg);
}

/* The first frame: the peer's Hello, in our version and an accepted role, or the end. */
static bool handle_hello(IpcPeer *p, ProtobufCMessage *env) {
    char why[96];
    const Hype__Hello *hello = ipc_envelope_hello(p->link, env);
    if (!hello) {
        peer_close(p, -EPROTO, "first frame is not a Hello");
        return false;
    }
    if (hello->protocol_version != IPC_PROTOCOL_VERSION) {
        snprintf(why, sizeof(why), "protocol version %u, we speak %u", hello->protocol_version,
                 IPC_PROTOCOL_VERSION);
        peer_close(p, -EPROTO, why);
        return false;
    }
    unsigned role = (unsigned)hello->role;
    if (p->peer_roles && (role >= 32 || !(p->peer_roles & IPC_ROLE_BIT(role)))) {
        snprintf(why, sizeof(why), "role %u (instance \"%s\") may not use this link", role,
                 hello->instance ? hello->instance : "");
        peer_close(p, -EPROTO, why);
        return false;
    }
    p->hello_env = env;
    if (p->cbs.on_hello)
        p->cbs.on_hello(p, hello, p->userdata);
    return true;
}

/* What a reply to pd says: its result, a refusal, or something else. */
static int reply_error(const IpcPeer *p, const Pending *pd, const ProtobufCMessage *reply) {
    uint32_t body = ipc_envelope_body(p->link, reply);
    if (body == pd->result)
        return 0;
    if (body == IPC_BODY_ERROR)
        return -EREMOTEIO;
    log_debug("IPC peer %s: reply to request %llu has body %u, not %u", peer_name(p),
              (unsigned long long)pd->id, body, pd->result);
    return -EBADMSG;
}

/* Handles one whole frame, which it consumes. */
static void handle_frame(IpcPeer *p, ProtobufCMessage *env) {
    if (!p->hello_env) {
        if (!handle_hello(p, env))
            ipc_envelope_free(env);
        return;
    }
    uint64_t reply_to = ipc_envelope_reply_to(p->link, env);
    if (reply_to) {
        Pending *pd = pending_find(p, reply_to);
        if (pd) {
            pending_unlink(p, pd);
            pending_complete(p, pd, env, reply_error(p, pd, env));
        } else
            log_debug("IPC peer %s: reply to unknown request %llu", peer_name(p),
                      (unsigned long long)reply_to);
    } else {
        int r = p->cbs.on_message ? p->cbs.on_message(p, env, p->userdata) : -EOPNOTSUPP;
        if (r == -EOPNOTSUPP && ipc_envelope_id(p->link, env) && alive(p))
            reply_unknown(p, env);
    }
    ipc_envelope_free(env);
}

static void drop_undecodable(IpcPeer *p, int r) {
    peer_close(p, r,
               r == -EMSGSIZE ? "frame over the size limit"
               : r == -ENOMEM ? "out of memory for its input"
                              : "undecodable frame");
}

int ipc_proto_feed(IpcPeer *p, const void *data, size_t n) {
    const uint8_t *d = data;
    enter(p);
    while (n > 0 && alive(p)) {
        ProtobufCMessage *env = NULL;
        int r;
        if (p->in.len == 0) {
            /* Whole frames are decoded where they are; only a partial one is copied. */
            size_t used = 0;
            r = ipc_frame_decode(p->link, d, n, p->opts.max_frame, &env, &used);
            if (r == 0) {
                r = ipc_decoder_feed(&p->in, d, n);
                used = n;
            }
            d += used;
            n -= used;
        } else {
            /* Complete the buffered frame and no more, so the decoder never holds a second. */
            size_t take = ipc_decoder_missing(&p->in);
            take = take < n ? take : n;
            r = ipc_decoder_feed(&p->in, d, take);
            d += take;
            n -= take;
            if (r >= 0)
                r = ipc_decoder_next(&p->in, &env);
        }
        if (r < 0)
            drop_undecodable(p, r);
        else if (r == 1)
            handle_frame(p, env);
    }
    return leave(p);
}

/* ---- time ---- */

uint64_t ipc_proto_next_deadline(const IpcPeer *p) {
    return p->pending ? p->pending->deadline_ms : IPC_NO_DEADLINE;
}

int ipc_proto_tick(IpcPeer *p, uint64_t now) {
    enter(p);
    while (p->pending && p->pending->deadline_ms <= now && alive(p)) {
        Pending *pd = p->pending;
        pending_unlink(p, pd);
        pending_complete(p, pd, NULL, -ETIMEDOUT);
    }
    /* The binding's timer is spent: always re-arm (or disarm) it. */
    if (alive(p))
        arm(p, ipc_proto_next_deadline(p));
    return leave(p);
}

/* ---- creating, freeing ---- */

static int queue_hello(IpcPeer *p) {
    Hype__Hello hello = HYPE__HELLO__INIT;
    hello.protocol_version = IPC_PROTOCOL_VERSION;
    hello.role = p->opts.role;
    hello.instance = p->instance;
    hello.pid = (uint32_t)getpid();
    ProtobufCMessage *env = ipc_envelope_init_hello(p->link, p->scratch, &hello);
    /* Checked here, so that no owner callback runs from inside the constructor. */
    if (ipc_frame_size(env) > p->opts.max_output)
        return -ENOBUFS;
    return queue_envelope(p, env);
}

int ipc_proto_new(const IpcPeerOptions *opts, const IpcPeerCallbacks *cbs, void *userdata,
                  const IpcProtoBinding *binding, void *binding_data, IpcPeer **ret) {
    if (!opts->link)
        return -EINVAL;
    IpcPeer *p = calloc(1, sizeof(*p));
    if (!p)
        return -ENOMEM;
    p->opts = *opts;
    p->link = opts->link;
    p->opts.request_timeout_ms =
        opts->request_timeout_ms ? opts->request_timeout_ms : DEFAULT_TIMEOUT_MS;
    p->opts.max_output = opts->max_output ? opts->max_output : DEFAULT_MAX_OUTPUT;
    p->opts.max_frame = opts->max_frame ? opts->max_frame : IPC_FRAME_MAX;
    snprintf(p->instance, sizeof(p->instance), "%s", opts->instance ? opts->instance : "");
    p->opts.instance = p->instance;
    p->cbs = *cbs;
    p->userdata = userdata;
    p->binding = binding;
    p->binding_data = binding_data;
    p->armed = IPC_NO_DEADLINE;
    ipc_decoder_init(&p->in, p->link, p->opts.max_frame);
    p->scratch = calloc(1, p->link->envelope->sizeof_message);
    int r = p->scratch ? queue_hello(p) : -ENOMEM;
    if (r < 0) {
        p->binding = NULL; /* the binding cleans up after itself on failure */
        peer_destroy(p);
        return r;
    }
    *ret = p;
    return 0;
}

IpcPeer *ipc_peer_free(IpcPeer *p) {
    if (!p)
        return NULL;
    if (p->depth) {
        p->free_requested = true;
        return NULL;
    }
    peer_destroy(p);
    return NULL;
}

/* ---- the owner's calls ---- */

int ipc_peer_expect_roles(IpcPeer *p, uint32_t roles) {
    if (p->closed)
        return -ECONNRESET;
    if (p->hello_env)
        return -EALREADY;
    p->peer_roles = roles;
    return 0;
}

int ipc_peer_send(IpcPeer *p, ProtobufCMessage *env) {
    if (env->descriptor != p->link->envelope)
        return -EINVAL;
    ipc_envelope_set_ids(p->link, env, 0, 0);
    return send_envelope(p, env);
}

int ipc_peer_request(IpcPeer *p, ProtobufCMessage *env, uint32_t timeout_ms, ipc_reply_cb cb,
                     void *userdata) {
    if (env->descriptor != p->link->envelope)
        return -EINVAL;
    uint32_t result = ipc_link_result_of(p->link, ipc_envelope_body(p->link, env));
    if (!result)
        return -EINVAL;
    if (!alive(p))
        return -ECONNRESET;
    Pending *pd = calloc(1, sizeof(*pd));
    if (!pd)
        return -ENOMEM;
    *pd = (Pending){.id = ++p->next_id, .result = result, .cb = cb, .userdata = userdata};
    ipc_envelope_set_ids(p->link, env, pd->id, 0);
    enter(p);
    int r = queue_envelope(p, env);
    if (r < 0)
        free(pd);
    else {
        pd->deadline_ms = now_ms(p) + (timeout_ms ? timeout_ms : p->opts.request_timeout_ms);
        pending_insert(p, pd);
        if (pd->deadline_ms < p->armed)
            arm(p, pd->deadline_ms);
    }
    leave(p);
    return r;
}

int ipc_peer_reply(IpcPeer *p, uint64_t request_id, ProtobufCMessage *reply) {
    if (reply->descriptor != p->link->envelope || request_id == 0)
        return -EINVAL;
    ipc_envelope_set_ids(p->link, reply, 0, request_id);
    return send_envelope(p, reply);
}

int ipc_peer_reply_error(IpcPeer *p, uint64_t request_id, Hype__Error__Code code,
                         const char *message) {
    Hype__Error err = HYPE__ERROR__INIT;
    err.code = code;
    err.message = (char *)(message ? message : "");
    return ipc_peer_reply(p, request_id, ipc_envelope_init_error(p->link, p->scratch, &err));
}

const IpcLink *ipc_peer_link(const IpcPeer *p) {
    return p->link;
}

bool ipc_peer_is_ready(const IpcPeer *p) {
    return p->hello_env && !p->closed;
}

const Hype__Hello *ipc_peer_hello(const IpcPeer *p) {
    return p->hello_env ? ipc_envelope_hello(p->link, p->hello_env) : NULL;
}

size_t ipc_peer_pending_requests(const IpcPeer *p) {
    return p->n_pending;
}

size_t ipc_peer_output_pending(const IpcPeer *p) {
    return p->out_end - p->out_start;
}

/* ---- sockets, for the bindings ---- */

static int close_on_socket_error(IpcPeer *p, int errnum) {
    char buf[64], why[96];
    snprintf(why, sizeof(why), "socket error: %s", strerror_r(errnum, buf, sizeof(buf)));
    return ipc_proto_close(p, -ECONNRESET, why);
}

int ipc_proto_read_fd(IpcPeer *p, int fd) {
    uint8_t buf[READ_CHUNK];
    if (!alive(p))
        return -ECONNRESET;
    ssize_t n;
    do
        n = read(fd, buf, sizeof(buf));
    while (n < 0 && errno == EINTR);
    if (n > 0)
        return ipc_proto_feed(p, buf, (size_t)n);
    if (n == 0)
        return ipc_proto_close(p, 0, "EOF");
    if (errno == EAGAIN || errno == EWOULDBLOCK)
        return 0;
    return close_on_socket_error(p, errno);
}

int ipc_proto_write_fd(IpcPeer *p, int fd) {
    const uint8_t *data;
    size_t len;
    if (!alive(p))
        return -ECONNRESET;
    while ((len = ipc_proto_output_peek(p, &data)) > 0) {
        ssize_t n = send(fd, data, len, MSG_NOSIGNAL);
        if (n > 0)
            ipc_proto_output_drain(p, (size_t)n);
        else if (n < 0 && errno == EINTR)
            continue;
        else if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK)
            return close_on_socket_error(p, errno);
        else
            return 1;
    }
    return 0;
}

int ipc_proto_connect_unix(const char *path) {
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    if (strlen(path) >= sizeof(sa.sun_path))
        return -ENAMETOOLONG;
    strcpy(sa.sun_path, path);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -errno;
    /* A Unix stream connect completes or fails at once; EINPROGRESS (not seen on Linux) would
     * end in writability, or in a socket error on the first read or write. */
    if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 && errno != EINPROGRESS) {
        int r = -errno;
        close(fd);
        return r;
    }
    return fd;
}
