/* signal-echo: the test-only echo endpoint (/echo, WS_ECHO=1) the conformance harness drives. */
#include "signal-echo.h"

static void on_echo_message(WsConn *ws, bool text, const char *data, size_t len, void *userdata) {
    ws_conn_send(ws, text, data, len);
}

static void on_echo_close(WsConn *ws, uint16_t code, void *userdata) {
}

void echo_accept(Signal *sig, HttpRequest *req) {
    static const WsConnCallbacks cbs = {on_echo_message, on_echo_close};
    signal_accept_websocket(sig, req, &cbs, NULL);
}
