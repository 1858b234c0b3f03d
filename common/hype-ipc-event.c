/* hype-ipc-event: an IPC peer on a libevent base: moves bytes between its socket and the
 * loop-free peer protocol (hype-ipc-peer.h) and arms its timer. */
#include "hype-ipc-event.h"

#include <errno.h>
#include <event2/event.h>
#include <stdlib.h>
#include <unistd.h>

#include "hype-list.h"
#include "hype-time.h"

/* What the loop needs for one peer: the socket, a read and a write watch, and one timer. */
typedef struct EventIo {
    int fd;
    struct event *readable, *writable, *timer;
    uint64_t deadline_ms; /* what the timer is armed for */
    IpcPeer *peer;
} EventIo;

/* ---- hooks the peer calls ---- */

static uint64_t io_now_ms(void *data) {
    return time_mono_ms();
}

static void io_want_write(void *data) {
    EventIo *io = data;
    event_add(io->writable, NULL);
}

static void io_set_deadline(void *data, uint64_t deadline_ms) {
    EventIo *io = data;
    io->deadline_ms = deadline_ms;
    if (deadline_ms == IPC_NO_DEADLINE) {
        evtimer_del(io->timer);
        return;
    }
    uint64_t now = time_mono_ms();
    timer_arm_ms(io->timer, deadline_ms > now ? deadline_ms - now : 0);
}

static void io_closed(void *data) {
    EventIo *io = data;
    if (io->fd < 0)
        return;
    /* Deleted, not freed: we may be inside one of their callbacks; io_destroy frees them. */
    event_del(io->readable);
    event_del(io->writable);
    event_del(io->timer);
    close(io->fd);
    io->fd = -1;
}

static void io_destroy(void *data) {
    EventIo *io = data;
    if (io->readable && io->writable && io->timer)
        io_closed(io);
    else if (io->fd >= 0)
        close(io->fd);
    if (io->readable)
        event_free(io->readable);
    if (io->writable)
        event_free(io->writable);
    if (io->timer)
        event_free(io->timer);
    free(io);
}

static const IpcProtoBinding binding = {
    .now_ms = io_now_ms,
    .want_write = io_want_write,
    .set_deadline = io_set_deadline,
    .closed = io_closed,
    .destroy = io_destroy,
};

/* ---- the loop's callbacks: one call into the peer each, after which io may be gone ---- */

static void on_readable(evutil_socket_t fd, short what, void *arg) {
    EventIo *io = arg;
    ipc_proto_read_fd(io->peer, io->fd);
}

static void on_writable(evutil_socket_t fd, short what, void *arg) {
    EventIo *io = arg;
    if (ipc_proto_write_fd(io->peer, io->fd) == 0)
        event_del(io->writable);
}

static void on_timer(evutil_socket_t fd, short what, void *arg) {
    EventIo *io = arg;
    /* libevent measured the delay from its cached loop time: trust that the deadline came. */
    uint64_t now = time_mono_ms();
    ipc_proto_tick(io->peer, now > io->deadline_ms ? now : io->deadline_ms);
}

int ipc_peer_new(struct event_base *base, int fd, const IpcPeerOptions *opts,
                 const IpcPeerCallbacks *cbs, void *userdata, IpcPeer **ret) {
    evutil_make_socket_nonblocking(fd);
    evutil_make_socket_closeonexec(fd);
    EventIo *io = calloc(1, sizeof(*io));
    if (!io) {
        close(fd);
        return -ENOMEM;
    }
    io->fd = fd;
    io->deadline_ms = IPC_NO_DEADLINE;
    io->readable = event_new(base, fd, EV_READ | EV_PERSIST, on_readable, io);
    io->writable = event_new(base, fd, EV_WRITE | EV_PERSIST, on_writable, io);
    io->timer = evtimer_new(base, on_timer, io);
    int r = io->readable && io->writable && io->timer ? 0 : -ENOMEM;
    if (r == 0 && event_add(io->readable, NULL) < 0)
        r = -EIO;
    if (r == 0)
        r = ipc_proto_new(opts, cbs, userdata, &binding, io, &io->peer);
    if (r < 0) {
        io_destroy(io);
        return r;
    }
    *ret = io->peer;
    return 0;
}

int ipc_peer_connect_unix(struct event_base *base, const char *path, const IpcPeerOptions *opts,
                          const IpcPeerCallbacks *cbs, void *userdata, IpcPeer **ret) {
    int fd = ipc_proto_connect_unix(path);
    if (fd < 0)
        return fd;
    return ipc_peer_new(base, fd, opts, cbs, userdata, ret);
}

/* ---- asking a peer that may be absent ---- */

typedef struct Asked {
    struct Asked *prev, *next; /* the asker's list, until the callback ran */
    IpcAsker *asker;
    ipc_ask_cb cb;
    ipc_relay_cb relay; /* instead of cb, with typed */
    ipc_typed_fn typed;
    void *userdata;
    int failed; /* not sent (a negative errno): answered from the loop */
} Asked;

struct IpcAsker {
    const char *unavailable;
    Asked *asked;
    struct event *deferred; /* failures answered from the loop, not from the caller's stack */
    IpcAskerStats stats;
};

static void asked_done(Asked *a, const ProtobufCMessage *result, const Hype__Error *error) {
    LIST_REMOVE(a->asker->asked, a);
    if (a->relay) {
        if (a->typed && (result || error)) /* else dropped: the owner is stopping */
            a->relay(result, error, a->typed, a->userdata);
    } else if (a->cb)
        a->cb(result, error, a->userdata);
    free(a);
}

/* Ours, for a request the peer did not answer. */
static void asked_fail(Asked *a, int error) {
    Hype__Error e = HYPE__ERROR__INIT;
    e.message = (char *)a->asker->unavailable;
    switch (error) {
    case -ETIMEDOUT: e.code = HYPE__ERROR__CODE__CODE_TIMEOUT; break;
    case -EMSGSIZE:
        e.code = HYPE__ERROR__CODE__CODE_TOO_LARGE;
        e.message = "request too large";
        break;
    case -EINVAL:
        e.code = HYPE__ERROR__CODE__CODE_INTERNAL;
        e.message = "not a request of this link";
        break;
    case -EBADMSG:
        e.code = HYPE__ERROR__CODE__CODE_INTERNAL;
        e.message = "answered with another message";
        break;
    default: e.code = HYPE__ERROR__CODE__CODE_UNAVAILABLE; /* absent, gone, or out of memory */
    }
    a->asker->stats.unanswered++;
    asked_done(a, NULL, &e);
}

static void on_asked_reply(IpcPeer *peer, const ProtobufCMessage *reply, int error,
                           void *userdata) {
    Asked *a = userdata;
    if (error == 0)
        asked_done(a, reply, NULL);
    else if (error == -EREMOTEIO)
        asked_done(a, NULL, ipc_envelope_error(ipc_peer_link(peer), reply));
    else
        asked_fail(a, error);
}

static void on_deferred(evutil_socket_t fd, short what, void *userdata) {
    IpcAsker *asker = userdata;
    for (Asked *a = asker->asked, *next; a; a = next) {
        next = a->next;
        if (a->failed)
            asked_fail(a, a->failed);
    }
}

static void ask(IpcAsker *asker, IpcPeer *peer, ProtobufCMessage *request, uint32_t timeout_ms,
                const Asked *how) {
    asker->stats.asked++;
    Asked *a = calloc(1, sizeof(*a));
    if (!a) {
        Hype__Error oom = HYPE__ERROR__INIT;
        oom.code = HYPE__ERROR__CODE__CODE_UNAVAILABLE;
        oom.message = "out of memory";
        asker->stats.unanswered++;
        /* cannot defer: the caller copes with a direct call */
        if (how->relay && how->typed)
            how->relay(NULL, &oom, how->typed, how->userdata);
        else if (!how->relay && how->cb)
            how->cb(NULL, &oom, how->userdata);
        return;
    }
    *a = *how;
    a->asker = asker;
    LIST_PREPEND(asker->asked, a);
    int r = peer && ipc_peer_is_ready(peer)
                ? ipc_peer_request(peer, request, timeout_ms, on_asked_reply, a)
                : -ENOTCONN;
    if (r < 0) {
        a->failed = r;
        event_active(asker->deferred, EV_TIMEOUT, 0);
    }
}

void ipc_ask(IpcAsker *asker, IpcPeer *peer, ProtobufCMessage *request, uint32_t timeout_ms,
             ipc_ask_cb cb, void *userdata) {
    ask(asker, peer, request, timeout_ms, &(Asked){.cb = cb, .userdata = userdata});
}

void ipc_ask_typed(IpcAsker *asker, IpcPeer *peer, ProtobufCMessage *request, uint32_t timeout_ms,
                   ipc_relay_cb relay, ipc_typed_fn typed, void *userdata) {
    ask(asker, peer, request, timeout_ms,
        &(Asked){.relay = relay, .typed = typed, .userdata = userdata});
}

int ipc_asker_new(struct event_base *base, const char *unavailable, IpcAsker **ret) {
    IpcAsker *asker = calloc(1, sizeof(*asker));
    if (!asker)
        return -ENOMEM;
    asker->unavailable = unavailable;
    asker->deferred = event_new(base, -1, 0, on_deferred, asker);
    if (!asker->deferred) {
        free(asker);
        return -ENOMEM;
    }
    *ret = asker;
    return 0;
}

IpcAsker *ipc_asker_free(IpcAsker *asker) {
    if (!asker)
        return NULL;
    while (asker->asked)
        asked_done(asker->asked, NULL, NULL); /* dropped */
    event_free(asker->deferred);
    free(asker);
    return NULL;
}

IpcAskerStats ipc_asker_stats(const IpcAsker *asker) {
    return asker->stats;
}
