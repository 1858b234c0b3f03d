/* hype-ipc-serve: what one end of a link answers: a table of request handlers by body, and the
 * requests being served until their handler replies; on no event loop. */
#include "hype-ipc-serve.h"

#include <errno.h>
#include <stdlib.h>

#include "hype-list.h"

typedef struct Handler {
    ipc_handler fn;
    void *userdata;
} Handler;

struct IpcCall {
    IpcCall *prev, *next; /* the table's calls, while it lives */
    IpcServe *serve;      /* NULL once the table is gone */
    IpcPeer *peer;        /* NULL once the peer is gone */
    uint64_t request_id;
};

struct IpcServe {
    const IpcLink *link;
    Handler *handlers; /* by request body case, up to the link's highest */
    uint32_t n_handlers;
    IpcCall *calls; /* unanswered */
    uint64_t count;
};

int ipc_serve_new(const IpcLink *link, IpcServe **ret) {
    IpcServe *serve = calloc(1, sizeof(*serve));
    if (!serve)
        return -ENOMEM;
    serve->link = link;
    for (size_t i = 0; i < link->n_pairs; i++)
        if (link->pairs[i].request >= serve->n_handlers)
            serve->n_handlers = link->pairs[i].request + 1;
    serve->handlers = calloc(serve->n_handlers ? serve->n_handlers : 1, sizeof(Handler));
    if (!serve->handlers) {
        free(serve);
        return -ENOMEM;
    }
    *ret = serve;
    return 0;
}

IpcServe *ipc_serve_free(IpcServe *serve) {
    if (!serve)
        return NULL;
    for (IpcCall *c = serve->calls; c; c = c->next) {
        c->serve = NULL;
        c->peer = NULL;
    }
    free(serve->handlers);
    free(serve);
    return NULL;
}

int ipc_serve_add(IpcServe *serve, uint32_t body, ipc_handler fn, void *userdata) {
    if (body >= serve->n_handlers || !ipc_link_result_of(serve->link, body) || !fn)
        return -EINVAL;
    if (serve->handlers[body].fn)
        return -EEXIST;
    serve->handlers[body] = (Handler){fn, userdata};
    return 0;
}

int ipc_serve_dispatch(IpcServe *serve, IpcPeer *peer, const ProtobufCMessage *env) {
    uint32_t body = ipc_envelope_body(serve->link, env);
    uint64_t id = ipc_envelope_id(serve->link, env);
    const Handler *h = body < serve->n_handlers ? &serve->handlers[body] : NULL;
    if (!id || !h || !h->fn)
        return -EOPNOTSUPP;
    IpcCall *call = calloc(1, sizeof(*call));
    if (!call) {
        ipc_peer_reply_error(peer, id, HYPE__ERROR__CODE__CODE_UNAVAILABLE, "out of memory");
        return 0;
    }
    call->serve = serve;
    call->peer = peer;
    call->request_id = id;
    LIST_PREPEND(serve->calls, call);
    serve->count++;
    h->fn(h->userdata, call, env);
    return 0;
}

void ipc_serve_peer_gone(IpcServe *serve, IpcPeer *peer) {
    for (IpcCall *c = serve->calls; c; c = c->next)
        if (c->peer == peer)
            c->peer = NULL;
}

static void call_done(IpcCall *call) {
    if (call->serve)
        LIST_REMOVE(call->serve->calls, call);
    free(call);
}

void ipc_serve_reply(IpcCall *call, ProtobufCMessage *reply) {
    if (call->peer)
        ipc_peer_reply(call->peer, call->request_id, reply);
    call_done(call);
}

void ipc_serve_reply_error(IpcCall *call, Hype__Error__Code code, const char *message) {
    if (call->peer)
        ipc_peer_reply_error(call->peer, call->request_id, code, message);
    call_done(call);
}

IpcPeer *ipc_serve_call_peer(const IpcCall *call) {
    return call->peer;
}

uint64_t ipc_serve_count(const IpcServe *serve) {
    return serve->count;
}
