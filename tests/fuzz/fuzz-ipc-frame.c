/* fuzz-ipc-frame: the IPC frame decoder fed in input-derived pieces, the one-shot decoder, and
 * the peer protocol's feed path (hype-ipc-peer) on the same bytes. */
#include <stdint.h>
#include <stdlib.h>

#include "hype-ipc-peer.h"
#include "hype-log.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* ---- the peer: a fixed clock, output drained as if written, every body declined ---- */

static uint64_t fake_now;
static uint64_t f_now(void *d) {
    return fake_now;
}
static const IpcProtoBinding fixed_clock = {.now_ms = f_now};

static int f_message(IpcPeer *p, const Hype__Envelope *env, void *ud) {
    return -EOPNOTSUPP; /* every request gets an Error reply */
}
static void f_reply(IpcPeer *p, const Hype__Envelope *reply, int error, void *ud) {
    (*(int *)ud)++;
}
static const IpcPeerCallbacks f_cbs = {f_message, NULL, NULL};

static void feed_peer(const uint8_t *data, size_t size, size_t chunk) {
    IpcPeerOptions o = {HYPE__ROLE__ROLE_SIGNAL, "fuzz", 100, 64 * 1024, 4096};
    IpcPeer *p;
    if (ipc_proto_new(&o, &f_cbs, NULL, &fixed_clock, NULL, &p) < 0)
        return;
    /* Most inputs begin with something other than a Hello: give half of them one, so the
     * frames after it reach the request, reply and Error paths. */
    if (size && (data[0] & 0x80)) {
        Hype__Hello h = HYPE__HELLO__INIT;
        Hype__Envelope env = HYPE__ENVELOPE__INIT;
        h.protocol_version = IPC_PROTOCOL_VERSION;
        env.body_case = HYPE__ENVELOPE__BODY_HELLO;
        env.hello = &h;
        uint8_t hello[64];
        int n = ipc_frame_encode_into(&env, hello, sizeof(hello));
        if (n > 0)
            ipc_proto_feed(p, hello, (size_t)n);
    }
    /* Requests 1 and 2 wait for replies the input may carry. */
    int completed = 0;
    Hype__Envelope req = HYPE__ENVELOPE__INIT;
    fake_now = 1000;
    ipc_peer_request(p, &req, f_reply, &completed);
    ipc_peer_request(p, &req, f_reply, &completed);
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
    Hype__Envelope *env = NULL;
    size_t used = 0;
    if (ipc_frame_decode(data, size, 0, &env, &used) == 1)
        hype__envelope__free_unpacked(env, NULL);

    /* The first byte picks the chunk size, as reads of any size may arrive. */
    size_t chunk = size ? (size_t)data[0] % 17 + 1 : 1;
    IpcDecoder d;
    ipc_decoder_init(&d, 4096);
    for (size_t off = 0; off < size; off += chunk) {
        size_t n = size - off < chunk ? size - off : chunk;
        if (ipc_decoder_feed(&d, data + off, n) < 0)
            break;
        int r;
        while ((r = ipc_decoder_next(&d, &env)) == 1)
            hype__envelope__free_unpacked(env, NULL);
        if (r < 0)
            break;
    }
    ipc_decoder_done(&d);

    feed_peer(data, size, chunk);
    feed_peer(data, size, size ? size : 1); /* and in one piece: whole frames decoded in place */
    return 0;
}
