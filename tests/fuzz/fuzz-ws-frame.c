/* fuzz-ws-frame: a server WebSocket connection fed arbitrary client bytes (framing, fragmentation,
 * UTF-8, control and close frames), through a real WsConn on a bufferevent pair. */
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "hype-ws.h"
#include "signal-ws.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void on_message(WsConn *ws, bool text, const char *msg, size_t len, void *userdata) {
    if (msg[len] != '\0') /* the contract: NUL-terminated */
        abort();
    ws_conn_send(ws, text, msg, len);
}

static void on_close(WsConn *ws, uint16_t code, void *userdata) {
    *(int *)userdata = 1;
}

/* The same bytes through the pure header parser, frame by frame, as a stream. */
static void parse_headers(const uint8_t *data, size_t size) {
    size_t off = 0;
    while (off < size) {
        WsFrameHeader h;
        uint16_t code;
        int r = ws_frame_header_parse(data + off, size - off, &h, &code);
        if (r <= 0 || h.payload_len > size - off - (size_t)r)
            return;
        uint8_t payload[256];
        size_t n = h.payload_len < sizeof(payload) ? (size_t)h.payload_len : sizeof(payload);
        memcpy(payload, data + off + r, n);
        ws_mask_apply(payload, n, h.mask, 0);
        off += (size_t)r + (size_t)h.payload_len;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    parse_headers(data, size);
    struct event_base *base = event_base_new();
    struct bufferevent *pair[2];
    if (!base || bufferevent_pair_new(base, BEV_OPT_CLOSE_ON_FREE, pair) < 0)
        abort();
    static const WsConnCallbacks cbs = {on_message, on_close};
    WsConnOptions opts = {.max_message = 4096, .output_limit = 8192};
    int closed = 0;
    WsHub *hub = NULL;
    WsConn *ws = NULL;
    if (ws_hub_new(base, &hub) < 0 || ws_conn_new(hub, pair[0], &opts, &cbs, &closed, &ws) < 0)
        abort();
    /* In input-derived pieces, so frames split at every possible place get exercised. */
    size_t step = size ? (size_t)data[0] % 31 + 1 : 1;
    for (size_t off = 0; off < size; off += step) {
        size_t n = size - off < step ? size - off : step;
        bufferevent_write(pair[1], data + off, n);
        event_base_loop(base, EVLOOP_NONBLOCK);
        struct evbuffer *in = bufferevent_get_input(pair[1]);
        evbuffer_drain(in, evbuffer_get_length(in));
    }
    event_base_loop(base, EVLOOP_NONBLOCK);
    bufferevent_free(pair[1]);
    event_base_loop(base, EVLOOP_NONBLOCK);
    ws_hub_free(hub);
    event_base_free(base);
    return 0;
}
