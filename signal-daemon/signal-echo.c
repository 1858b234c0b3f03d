/* signal-echo: the test-only echo endpoint (/echo, WS_ECHO=1) the conformance harness drives. */
#include "signal-echo.h"

#include "signal-eio.h"

static void on_echo_message(WsConn *ws, bool text, const char *data, size_t len, void *userdata) {
    ws_conn_send(ws, text, data, len);
}

static void on_echo_close(WsConn *ws, uint16_t code, void *userdata) {
}

void echo_accept(Signal *sig, HttpRequest *req) {
    static const WsConnCallbacks cbs = {on_echo_message, on_echo_close};
    signal_accept_websocket(sig, req, &cbs, NULL);
}

static void on_eio_message(EioSocket *e, bool binary, const char *data, size_t len,
                           void *userdata) {
    eio_send(e, binary, data, len);
}

int echo_eio_new(Signal *sig, EioServer **ret) {
    static const EioCallbacks cbs = {NULL, on_eio_message, NULL};
    EioOptions opts = {
        .ping_interval_ms = (uint32_t)sig->cfg->ping_interval_ms,
        .ping_timeout_ms = (uint32_t)sig->cfg->ping_timeout_ms,
        .max_payload = sig->cfg->max_message,
    };
    return eio_server_new(sig, &opts, &cbs, NULL, ret);
}
