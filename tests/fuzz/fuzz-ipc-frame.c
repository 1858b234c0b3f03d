/* fuzz-ipc-frame: the IPC frame decoder fed in input-derived pieces, the one-shot decoder on every
 * link, and the peer protocol's feed path (hype-ipc-peer) on the same bytes: its shared head,
 * replies checked against the requests they answer, Error replies to requests nobody serves. */
#include <stdint.h>
#include <stdlib.h>

#include "hype-ipc-api-signal.h"
#include "hype-ipc-peer.h"
#include "hype-ipc-signal-media.h"
#include "hype-log.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* ---- the peer: a fixed clock, output drained as if written, every body declined ---- */

static uint64_t fake_now;
static uint64_t f_now(void *d) {
    return fake_now;
}
static const IpcProtoBinding fixed_clock = {.now_ms = f_now};

static int f_message(IpcPeer *p, const ProtobufCMessage *env, void *ud) {
    return -EOPNOTSUPP; /* every request gets an Error reply */
}
static void f_reply(IpcPeer *p, const ProtobufCMessage *reply, int error, void *ud) {
    /* What the contract promises: a reply exactly when one came, an Error when it says so. */
    if ((reply != NULL) != (error == 0 || error == -EREMOTEIO || error == -EBADMSG))
        abort();
    if (error == -EREMOTEIO && !ipc_envelope_error(ipc_peer_link(p), reply))
        abort();
    (*(int *)ud)++;
}
static const IpcPeerCallbacks f_cbs = {f_message, NULL, NULL};

static void feed_peer(const IpcLink *link, const uint8_t *data, size_t size, size_t chunk) {
    IpcPeerOptions o = {link, HYPE__ROLE__ROLE_SIGNAL, "fuzz", 100, 64 * 1024, 4096};
    IpcPeer *p;
    if (ipc_proto_new(&o, &f_cbs, NULL, &fixed_clock, NULL, &p) < 0)
        return;
    /* Most inputs begin with something other than a Hello: give half of them one, so the
     * frames after it reach the request, reply and Error paths. */
    if (size && (data[0] & 0x80)) {
        Hype__Hello h = HYPE__HELLO__INIT;
        h.protocol_version = IPC_PROTOCOL_VERSION;
        void *mem = calloc(1, link->envelope->sizeof_message);
        uint8_t hello[64];
        int n = mem ? ipc_frame_encode_into(ipc_envelope_init_hello(link, mem, &h), hello,
                                            sizeof(hello))
                    : -1;
        if (n > 0)
            ipc_proto_feed(p, hello, (size_t)n);
        free(mem);
    }
    /* On the api-signal link, requests 1 and 2 wait for replies the input may carry. */
    int completed = 0;
    fake_now = 1000;
    if (link == &ipc_link_api_signal) {
        Hype__ApiSignal__UserSessions q = HYPE__API_SIGNAL__USER_SESSIONS__INIT;
        Hype__ApiSignal__Envelope req = HYPE__API_SIGNAL__ENVELOPE__INIT;
        req.body_case = HYPE__API_SIGNAL__ENVELOPE__BODY_USER_SESSIONS;
        req.user_sessions = &q;
        ipc_peer_request(p, &req.base, 0, f_reply, &completed);
        ipc_peer_request(p, &req.base, 0, f_reply, &completed);
    }
    const uint8_t *out;
    for (size_t off = 0; off < size; off += chunk) {
        size_t n = size - off < chunk ? size - off : chunk;
        if (ipc_proto_feed(p, data + off, n) < 0)
            break;
        if (off & 1)
            ipc_proto_output_drain(p, ipc_proto_output_peek(p, &out));
    }
    ipc_proto_tick(p, 1050); /* nothing due yet */
    ipc_proto_tick(p, 2000);
    if (ipc_peer_pending_requests(p) != 0)
        abort();
    ipc_peer_free(p);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    log_set_max_level(LOG_ERR); /* drops log warnings by design */
    const IpcLink *links[] = {&ipc_link_api_signal, &ipc_link_signal_media};
    for (size_t i = 0; i < 2; i++) {
        ProtobufCMessage *env = NULL;
        size_t used = 0;
        if (ipc_frame_decode(links[i], data, size, 0, &env, &used) == 1) {
            /* The head reads consistently whatever the body. */
            uint32_t body = ipc_envelope_body(links[i], env);
            if ((ipc_envelope_hello(links[i], env) != NULL) != (body == IPC_BODY_HELLO) ||
                (ipc_envelope_error(links[i], env) != NULL) != (body == IPC_BODY_ERROR))
                abort();
            ipc_envelope_free(env);
        }
    }

    /* The first byte picks the chunk size, as reads of any size may arrive. */
    size_t chunk = size ? (size_t)data[0] % 17 + 1 : 1;
    IpcDecoder d;
    ipc_decoder_init(&d, &ipc_link_api_signal, 4096);
    for (size_t off = 0; off < size; off += chunk) {
        size_t n = size - off < chunk ? size - off : chunk;
        if (ipc_decoder_feed(&d, data + off, n) < 0)
            break;
        int r;
        ProtobufCMessage *env;
        while ((r = ipc_decoder_next(&d, &env)) == 1)
            ipc_envelope_free(env);
        if (r < 0)
            break;
    }
    ipc_decoder_done(&d);

    feed_peer(&ipc_link_api_signal, data, size, chunk);
    feed_peer(&ipc_link_api_signal, data, size, size ? size : 1); /* whole frames in place */
    feed_peer(&ipc_link_signal_media, data, size, chunk);
    return 0;
}
