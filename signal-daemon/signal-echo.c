/* signal-echo: the test-only echo endpoints: /echo (WS_ECHO=1) the conformance harness drives, and
 * the Engine.IO suite's reference server at /engine.io/ (SIGNAL_CONFORMANCE=1). */
#include "signal-echo.h"

static void on_echo_message(WsConn *ws, bool text, const char *data, size_t len, void *userdata) {
    ws_conn_send(ws, text, data, len);
}

static void on_echo_close(WsConn *ws, uint16_t code, void *userdata) {
}

void echo_accept(SignalHttp *http, HttpRequest *req) {
    static const WsConnCallbacks cbs = {on_echo_message, on_echo_close};
    signal_http_accept_websocket(http, req, &cbs, NULL);
}

static void on_eio_message(EioSocket *e, bool binary, const char *data, size_t len,
                           void *userdata) {
    eio_send(e, binary, data, len);
}

int echo_eio_new(SignalHttp *http, EioServer **ret) {
    static const EioCallbacks cbs = {NULL, on_eio_message, NULL};
    return eio_server_new(http, &cbs, NULL, ret);
}
