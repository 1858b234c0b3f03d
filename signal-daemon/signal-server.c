/* signal-server: the hype-signal manager: owns the loop's parts (HTTP/WebSocket listener, client
 * connections) and their start and stop. */
#include "signal-server.h"

#include <errno.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "hype-json.h"
#include "hype-log.h"
#include "hype-notify.h"
#include "hype-ws.h"
#include "signal-bus.h"
#include "signal-echo.h"
#include "signal-eio.h"
#include "signal-sio.h"
#include "signal-events.h"
#include "signal-gateway.h"
#include "signal-ipc.h"
#include "signal-session.h"
#include "signal-metrics.h"
#include "hype-time.h"

#define SHUTDOWN_GRACE_MS 5000 /* clients get this long to answer our 1001 close frames */
#define DRAIN_POLL_MS 50

void signal_reply_error(HttpRequest *req, int status, const char *message) {
    json_object *body = json_envelope_error(message, NULL);
    size_t len;
    const char *text = json_serialize(body, &len);
    http_reply(req, status, "application/json", text, len);
    json_object_put(body);
}

WsConn *signal_accept_websocket(Signal *sig, HttpRequest *req, const WsConnCallbacks *cbs,
                                void *userdata) {
    char accept[WS_ACCEPT_LEN + 1];
    const char *reason = NULL;
    int status = ws_handshake_check(http_request_head(req), accept, &reason);
    if (status == 0 && sig->stopping) {
        status = 503;
        reason = "Server is shutting down";
    }
    if (status == 0 &&
        !signal_config_origin_allowed(sig->cfg, http_request_header(req, "Origin"))) {
        status = 403;
        reason = "Origin not allowed";
    }
    if (status != 0) {
        if (status == 426)
            http_response_header(req, "Sec-WebSocket-Version", "13");
        signal_reply_error(req, status, reason);
        return NULL;
    }
    http_response_header(req, "Sec-WebSocket-Accept", accept);
    struct bufferevent *bev = http_reply_upgrade(req, "websocket");
    if (!bev)
        return NULL;
    WsConn *ws = NULL;
    if (ws_conn_new(sig->hub, bev, &sig->ws_opts, cbs, userdata, &ws) < 0) {
        bufferevent_free(bev);
        return NULL;
    }
    return ws;
}

static void reply_health(Signal *sig, HttpRequest *req) {
    json_object *o = json_object_new_object();
    json_object_object_add(o, "status", json_object_new_string(sig->stopping ? "stopping" : "ok"));
    json_object_object_add(o, "connections",
                           json_object_new_int64((int64_t)ws_hub_count(sig->hub)));
    /* Up without hype-api means sessions cannot authenticate: say so to whoever probes. */
    json_object_object_add(o, "api", json_object_new_boolean(signal_ipc_api_connected(sig->ipc)));
    size_t len;
    const char *text = json_serialize(o, &len);
    http_reply(req, sig->stopping ? 503 : 200, "application/json", text, len);
    json_object_put(o);
}

static void on_request(HttpRequest *req, void *userdata) {
    Signal *sig = userdata;
    const char *path = http_request_path(req);
    if (strcmp(path, "/health") == 0) {
        reply_health(sig, req);
        return;
    }
    if (strcmp(path, "/metrics") == 0) {
        metrics_reply(sig, req);
        return;
    }
    if (strcmp(path, "/") == 0 || strcmp(path, "/ws") == 0) {
        if (!http_request_header(req, "Upgrade")) {
            http_response_header(req, "Upgrade", "websocket");
            signal_reply_error(req, 426, "Upgrade Required: connect with a WebSocket client");
            return;
        }
        gateway_accept_raw(sig, req);
        return;
    }
    if (strncmp(path, "/socket.io", 10) == 0 && (path[10] == '/' || path[10] == '\0')) {
        sio_server_handle(sig->sio, req);
        return;
    }
    if (sig->eio_echo && strncmp(path, "/engine.io", 10) == 0 &&
        (path[10] == '/' || path[10] == '\0')) {
        eio_server_handle(sig->eio_echo, req);
        return;
    }
    if (strcmp(path, "/echo") == 0 && sig->cfg->ws_echo) {
        echo_accept(sig, req);
        return;
    }
    signal_reply_error(req, 404, "Not found");
}

static int listen_ws(Signal *sig) {
    int fd = notify_listen_fd("ws");
    if (fd >= 0)
        return http_server_listen_fd(sig->http, fd);
    return http_server_bind(sig->http, sig->cfg->bind_address, sig->cfg->ws_port);
}

static void on_drain_timer(evutil_socket_t fd, short what, void *userdata) {
    Signal *sig = userdata;
    size_t left = ws_hub_count(sig->hub);
    if (left == 0 || time_mono_ms() >= sig->stop_deadline_ms) {
        if (left)
            log_warning("%zu connections did not finish closing in time", left);
        event_base_loopexit(sig->base, NULL);
        return;
    }
    timer_arm_ms(sig->drain_timer, DRAIN_POLL_MS);
}

static void on_signal(evutil_socket_t signo, short what, void *userdata) {
    Signal *sig = userdata;
    if (sig->stopping) { /* a second signal: stop now */
        event_base_loopbreak(sig->base);
        return;
    }
    sig->stopping = true;
    log_info("received %s, closing %zu connections", strsignal((int)signo), ws_hub_count(sig->hub));
    notify_stopping("stopping: closing %zu connections", ws_hub_count(sig->hub));
    http_server_shutdown(sig->http, NULL, NULL);
    ws_hub_close_all(sig->hub, WS_CLOSE_GOING_AWAY, "server shutting down");
    sig->stop_deadline_ms = time_mono_ms() + SHUTDOWN_GRACE_MS;
    on_drain_timer(-1, 0, sig);
}

static void on_reset_done(int status, const char *body, void *userdata) {
    Signal *sig = userdata;
    if (status == 200) {
        sig->realtime_reset = true;
        log_info("cleared voice states and presence left by an earlier run: %s", body);
    } else
        log_warning("could not clear stale voice states and presence (HTTP %d); will retry when "
                    "hype-api reconnects",
                    status);
}

/* A hype-signal that starts has no sessions, whatever the database says of voice channels and
 * online users (a previous run may have been killed): clear that once, at the first link. */
static void on_api_ready(void *userdata) {
    Signal *sig = userdata;
    if (!sig->realtime_reset && !sig->sessions)
        signal_ipc_api_call(sig->ipc, "POST", "/internal/realtime-reset", NULL, NULL, "",
                            on_reset_done, sig);
    else
        sessions_recheck(sig); /* revocations made while we were unlinked did not reach us */
}

int signal_new(const SignalConfig *cfg, Signal **ret) {
    Signal *sig = calloc(1, sizeof(*sig));
    if (!sig)
        return -ENOMEM;
    sig->cfg = cfg;
    sig->ws_opts = (WsConnOptions){
        .max_message = cfg->max_message,
        .output_limit = cfg->output_limit,
        .ping_interval_ms = (uint32_t)cfg->ping_interval_ms,
        .ping_timeout_ms = (uint32_t)cfg->ping_timeout_ms,
    };
    sig->base = event_base_new();
    int r = sig->base ? 0 : -ENOMEM;
    if (r == 0) {
        HttpServerOptions ho = {
            .header_timeout_ms = (uint32_t)cfg->handshake_timeout_ms,
            .max_connections = (unsigned)cfg->max_connections,
            .server_name = "hype",
        };
        r = http_server_new(sig->base, &ho, on_request, sig, &sig->http);
    }
    if (r == 0)
        r = ws_hub_new(sig->base, &sig->hub);
    if (r == 0)
        r = bus_new(&sig->bus);
    if (r == 0)
        r = gateway_init(sig);
    if (r == 0)
        r = signal_ipc_new(sig->base, cfg->signal_socket, events_dispatch, on_api_ready, sig,
                           &sig->ipc);
    if (r == 0)
        r = sio_server_new(sig, cfg->conformance, &sig->sio);
    if (r == 0 && cfg->conformance)
        r = echo_eio_new(sig, &sig->eio_echo);
    if (r == 0) {
        sig->drain_timer = evtimer_new(sig->base, on_drain_timer, sig);
        r = sig->drain_timer ? 0 : -ENOMEM;
    }
    if (r < 0) {
        signal_free(sig);
        return r;
    }
    *ret = sig;
    return 0;
}

int signal_run(Signal *sig) {
    notify_raise_fd_limit();
    sig->sig_term = evsignal_new(sig->base, SIGTERM, on_signal, sig);
    sig->sig_int = evsignal_new(sig->base, SIGINT, on_signal, sig);
    if (!sig->sig_term || !sig->sig_int || evsignal_add(sig->sig_term, NULL) < 0 ||
        evsignal_add(sig->sig_int, NULL) < 0) {
        log_error("cannot install signal handlers");
        return EXIT_FAILURE;
    }
    signal(SIGPIPE, SIG_IGN);
    int r = signal_ipc_listen(sig->ipc);
    if (r < 0) {
        log_error_errno(r, "cannot listen on SIGNAL_SOCKET=%s: %m", sig->cfg->signal_socket);
        return EXIT_FAILURE;
    }
    r = listen_ws(sig);
    if (r < 0) {
        log_error_errno(r, "cannot listen on %s:%u: %m", sig->cfg->bind_address, sig->cfg->ws_port);
        return EXIT_FAILURE;
    }
    notify_watchdog_start(sig->base);
    notify_ready("serving WebSocket on port %u", http_server_port(sig->http));
    log_info("hype-signal %s serving WebSocket on %s:%u", HYPE_VERSION, sig->cfg->bind_address,
             http_server_port(sig->http));
    event_base_dispatch(sig->base);
    return sig->exit_code;
}

Signal *signal_free(Signal *sig) {
    if (!sig)
        return NULL;
    notify_watchdog_stop();
    sig->http = http_server_free(sig->http);
    sig->sio = sio_server_free(sig->sio);
    sig->eio_echo = eio_server_free(sig->eio_echo);
    sig->hub = ws_hub_free(sig->hub);
    sessions_free_all(sig);
    sig->ipc = signal_ipc_free(sig->ipc);
    sig->bus = bus_free(sig->bus);
    free(sig->scratch);
    if (sig->sig_term)
        event_free(sig->sig_term);
    if (sig->sig_int)
        event_free(sig->sig_int);
    if (sig->drain_timer)
        event_free(sig->drain_timer);
    if (sig->base)
        event_base_free(sig->base);
    free(sig);
    return NULL;
}
