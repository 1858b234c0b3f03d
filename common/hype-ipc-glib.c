/* hype-ipc-glib: an IPC peer on a GLib main context: moves bytes between its socket and the
 * loop-free peer protocol (hype-ipc-peer.h) and arms its timer. */
#include "hype-ipc-glib.h"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

/* One GSource per peer: the socket as a unix fd tag (G_IO_OUT only while output waits) and the
 * earliest request deadline as the source's ready time, so there is one thing to destroy. */
typedef struct PeerSource {
    GSource source;
    int fd;
    gpointer tag;
    bool closed;
    uint64_t deadline_ms; /* what the ready time is set for */
    IpcPeer *peer;
} PeerSource;

/* ---- hooks the peer calls ---- */

static uint64_t ps_now_ms(void *data) {
    return (uint64_t)g_get_monotonic_time() / 1000;
}

static void ps_want_write(void *data) {
    PeerSource *ps = data;
    if (!ps->closed)
        g_source_modify_unix_fd(&ps->source, ps->tag, G_IO_IN | G_IO_OUT);
}

static void ps_set_deadline(void *data, uint64_t deadline_ms) {
    PeerSource *ps = data;
    ps->deadline_ms = deadline_ms;
    if (!ps->closed)
        g_source_set_ready_time(&ps->source,
                                deadline_ms == IPC_NO_DEADLINE ? -1 : (gint64)deadline_ms * 1000);
}

static void ps_closed(void *data) {
    PeerSource *ps = data;
    if (ps->closed)
        return;
    ps->closed = true;
    /* Detached from the context (allowed from inside our own dispatch), then the fd goes. */
    g_source_destroy(&ps->source);
    close(ps->fd);
    ps->fd = -1;
}

static void ps_destroy(void *data) {
    PeerSource *ps = data;
    ps_closed(ps);
    g_source_unref(&ps->source); /* GLib keeps its own reference while it dispatches us */
}

static const IpcProtoBinding binding = {
    .now_ms = ps_now_ms,
    .want_write = ps_want_write,
    .set_deadline = ps_set_deadline,
    .closed = ps_closed,
    .destroy = ps_destroy,
};

/* ---- the context's dispatch: after a negative return from the peer, ps may be gone ---- */

static gboolean ps_dispatch(GSource *source, GSourceFunc callback, gpointer user_data) {
    PeerSource *ps = (PeerSource *)source;
    IpcPeer *p = ps->peer;
    GIOCondition events = g_source_query_unix_fd(source, ps->tag);
    if ((events & (G_IO_IN | G_IO_HUP | G_IO_ERR)) && ipc_proto_read_fd(p, ps->fd) < 0)
        return G_SOURCE_CONTINUE;
    if (events & G_IO_OUT) {
        int r = ipc_proto_write_fd(p, ps->fd);
        if (r < 0)
            return G_SOURCE_CONTINUE;
        if (r == 0)
            g_source_modify_unix_fd(source, ps->tag, G_IO_IN);
    }
    gint64 ready = g_source_get_ready_time(source);
    if (ready >= 0 && g_source_get_time(source) >= ready) {
        /* Disarmed first: the tick re-arms it for the next deadline, if any. */
        g_source_set_ready_time(source, -1);
        uint64_t now = ps_now_ms(ps);
        ipc_proto_tick(p, now > ps->deadline_ms ? now : ps->deadline_ms);
    }
    return G_SOURCE_CONTINUE;
}

static GSourceFuncs peer_source_funcs = {
    .dispatch = ps_dispatch,
};

int ipc_gpeer_new(GMainContext *ctx, int fd, const IpcPeerOptions *opts,
                  const IpcPeerCallbacks *cbs, void *userdata, IpcPeer **ret) {
    int flags = fcntl(fd, F_GETFL);
    if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0 ||
        fcntl(fd, F_SETFD, FD_CLOEXEC) < 0) {
        int r = -errno;
        close(fd);
        return r;
    }
    PeerSource *ps = (PeerSource *)g_source_new(&peer_source_funcs, sizeof(PeerSource));
    g_source_set_name(&ps->source, "hype-ipc-peer");
    ps->fd = fd;
    ps->deadline_ms = IPC_NO_DEADLINE;
    ps->tag = g_source_add_unix_fd(&ps->source, fd, G_IO_IN);
    /* Attached only once the peer exists: nothing dispatches a half-made source. */
    int r = ipc_proto_new(opts, cbs, userdata, &binding, ps, &ps->peer);
    if (r < 0) {
        ps_destroy(ps);
        return r;
    }
    g_source_attach(&ps->source, ctx);
    *ret = ps->peer;
    return 0;
}

int ipc_gpeer_connect_unix(GMainContext *ctx, const char *path, const IpcPeerOptions *opts,
                           const IpcPeerCallbacks *cbs, void *userdata, IpcPeer **ret) {
    int fd = ipc_proto_connect_unix(path);
    if (fd < 0)
        return fd;
    return ipc_gpeer_new(ctx, fd, opts, cbs, userdata, ret);
}
