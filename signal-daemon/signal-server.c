/* signal-server: the hype-signal manager: makes the daemon's parts (HTTP listener, WebSocket hub,
 * bus, link to hype-api, session registry, event and op tables, features, transports), routes
 * HTTP paths to them, and runs and stops them. */
#include "signal-server.h"

#include <errno.h>
#include <event2/event.h>
#include <inttypes.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "hype-http-server.h"
#include "hype-ipc-error.h"
#include "hype-json.h"
#include "hype-log.h"
#include "hype-macro.h"
#include "hype-notify.h"
#include "hype-time.h"
#include "hype-ws.h"
#include "signal-bus.h"
#include "signal-calls.h"
#include "signal-channels.h"
#include "signal-echo.h"
#include "signal-eio.h"
#include "signal-events.h"
#include "signal-gateway.h"
#include "signal-http.h"
#include "signal-ipc.h"
#include "signal-mesh.h"
#include "signal-metrics.h"
#include "signal-presence.h"
#include "signal-raw.h"
#include "signal-session.h"
#include "signal-sio.h"
#include "signal-workers.h"
#include "signal-ws.h"

#define SHUTDOWN_GRACE_MS 5000 /* clients get this long to answer our 1001 close frames */
#define DRAIN_POLL_MS 50

struct Signal {
    struct event_base *base;
    const SignalConfig *cfg;
    HttpServer *http;
    WsHub *hub;      /* every WebSocket connection */
    SignalHttp *web; /* what the endpoints share; its stopping flag is the daemon's */
    Bus *bus;
    SignalIpc *ipc;
    Workers *workers; /* the media workers linked on media.sock */
    SessionRegistry *sessions;
    Events *events;   /* what hype-api tells, and who hears it */
    Gateway *gateway; /* what clients ask */
    /* The features, in the order their session hooks run. */
    Presence *presence;
    Channels *channels;
    Mesh *mesh;
    Calls *calls;
    /* The transports. */
    RawTransport *raw;   /* / and /ws */
    SioServer *sio;      /* /socket.io/ */
    EioServer *eio_echo; /* /engine.io/, conformance mode only */
    bool realtime_reset; /* stale voice/presence state cleared since start */
    int exit_code;
    struct event *sig_term, *sig_int, *drain_timer;
    uint64_t stop_deadline_ms;
};

/* ---- HTTP paths ---- */

static void serve_health(Signal *sig, HttpRequest *req) {
    bool stopping = sig->web->stopping;
    json_object *o = json_object_new_object();
    json_object_object_add(o, "status", json_object_new_string(stopping ? "stopping" : "ok"));
    json_object_object_add(o, "connections",
                           json_object_new_int64((int64_t)ws_hub_count(sig->hub)));
    /* Up without hype-api means sessions cannot authenticate: say so to whoever probes. */
    json_object_object_add(o, "api", json_object_new_boolean(signal_ipc_api_connected(sig->ipc)));
    /* No voice or video without one: how many are linked now. */
    json_object_object_add(o, "mediaWorkers",
                           json_object_new_int64((int64_t)workers_count(sig->workers)));
    size_t len;
    const char *text = json_serialize(o, &len);
    http_reply(req, stopping ? 503 : 200, "application/json", text, len);
    json_object_put(o);
}

static void serve_metrics(Signal *sig, HttpRequest *req) {
    metrics_reply(req, sig->hub, sig->sessions, sig->ipc, sig->bus, sig->calls, sig->workers);
}

static void serve_raw(Signal *sig, HttpRequest *req) {
    raw_serve(sig->raw, req);
}

static void serve_sio(Signal *sig, HttpRequest *req) {
    sio_server_handle(sig->sio, req);
}

static void serve_eio_echo(Signal *sig, HttpRequest *req) {
    eio_server_handle(sig->eio_echo, req);
}

static void serve_echo(Signal *sig, HttpRequest *req) {
    echo_accept(sig->web, req);
}

static bool conformance_on(const Signal *sig) {
    return sig->eio_echo != NULL;
}

static bool echo_on(const Signal *sig) {
    return sig->cfg->ws_echo;
}

typedef struct Route {
    const char *path;
    bool subtree; /* also every path under it ("/socket.io/...") */
    void (*serve)(Signal *sig, HttpRequest *req);
    bool (*enabled)(const Signal *sig); /* NULL: always */
} Route;

static const Route routes[] = {
    {"/health", false, serve_health, NULL}, {"/metrics", false, serve_metrics, NULL},
    {"/", false, serve_raw, NULL},          {"/ws", false, serve_raw, NULL},
    {"/socket.io", true, serve_sio, NULL},  {"/engine.io", true, serve_eio_echo, conformance_on},
    {"/echo", false, serve_echo, echo_on},
};

static void on_request(HttpRequest *req, void *userdata) {
    Signal *sig = userdata;
    const char *path = http_request_path(req);
    for (size_t i = 0; i < ELEMENTSOF(routes); i++) {
        const Route *r = &routes[i];
        size_t len = strlen(r->path);
        if (strncmp(path, r->path, len) != 0 ||
            (path[len] != '\0' && !(r->subtree && path[len] == '/')))
            continue;
        if (r->enabled && !r->enabled(sig))
            continue;
        r->serve(sig, req);
        return;
    }
    signal_http_error(req, 404, "Not found");
}

/* ---- start and stop ---- */

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
    if (sig->web->stopping) { /* a second signal: stop now */
        event_base_loopbreak(sig->base);
        return;
    }
    sig->web->stopping = true;
    size_t n = ws_hub_count(sig->hub);
    log_info("received %s, closing %zu connections", strsignal((int)signo), n);
    notify_stopping("stopping: closing %zu connections", n);
    http_server_shutdown(sig->http, NULL, NULL);
    ws_hub_close_all(sig->hub, WS_CLOSE_GOING_AWAY, "server shutting down");
    sig->stop_deadline_ms = time_mono_ms() + SHUTDOWN_GRACE_MS;
    on_drain_timer(-1, 0, sig);
}

/* ---- the link to hype-api ---- */

static void on_api_event(const Hype__ApiSignal__Event *ev, void *userdata) {
    Signal *sig = userdata;
    events_dispatch(sig->events, ev);
}

static void on_reset_done(const Hype__ApiSignal__Envelope *result, const Hype__Error *error,
                          void *userdata) {
    Signal *sig = userdata;
    if (result) {
        sig->realtime_reset = true;
        log_info("cleared what an earlier run left: %" PRIu64 " voice states, %" PRIu64
                 " users online",
                 result->realtime_reset_result->voice_states,
                 result->realtime_reset_result->users_offline);
    } else
        log_warning("could not clear stale voice states and presence (%s: %s); will retry when "
                    "hype-api reconnects",
                    ipc_error_name(error->code), error->message);
}

/* A hype-signal that starts has no sessions, whatever the database says of voice channels and
 * online users (a previous run may have been killed): clear that once, at the first link. At
 * every link, hype-api and we agree on the calls that live. */
static void on_api_ready(void *userdata) {
    Signal *sig = userdata;
    calls_sync(sig->calls);
    if (!sig->realtime_reset && !sessions_list(sig->sessions)) {
        Hype__ApiSignal__RealtimeReset q = HYPE__API_SIGNAL__REALTIME_RESET__INIT;
        Hype__ApiSignal__Envelope env = HYPE__API_SIGNAL__ENVELOPE__INIT;
        env.body_case = HYPE__API_SIGNAL__ENVELOPE__BODY_REALTIME_RESET;
        env.realtime_reset = &q;
        signal_ipc_request(sig->ipc, &env, on_reset_done, sig);
    } else
        sessions_recheck(sig->sessions); /* revocations made while we were unlinked missed us */
}

/* ---- the parts ---- */

/* The features, then the transports that bring them clients. */
static int new_features(Signal *sig) {
    const SignalConfig *cfg = sig->cfg;
    int r = presence_new(sig->sessions, &sig->presence);
    if (r == 0)
        r = channels_new(cfg, sig->bus, sig->sessions, sig->gateway, sig->events, &sig->channels);
    if (r == 0)
        r = mesh_new(sig->bus, sig->sessions, sig->gateway, &sig->mesh);
    if (r == 0)
        r = calls_new(sig->base, cfg, sig->sessions, sig->gateway, sig->events, sig->ipc,
                      &sig->calls);
    if (r == 0)
        r = raw_new(sig->web, sig->sessions, sig->gateway, &sig->raw);
    if (r == 0)
        r = sio_server_new(sig->web, sig->sessions, sig->gateway, cfg->conformance, &sig->sio);
    if (r == 0 && cfg->conformance)
        r = echo_eio_new(sig->web, &sig->eio_echo);
    return r;
}

int signal_new(const SignalConfig *cfg, Signal **ret) {
    Signal *sig = calloc(1, sizeof(*sig));
    if (!sig)
        return -ENOMEM;
    sig->cfg = cfg;
    sig->base = event_base_new();
    int r = sig->base ? 0 : -ENOMEM;
    if (r == 0)
        r = ws_hub_new(sig->base, &sig->hub);
    if (r == 0)
        r = signal_http_new(sig->base, cfg, sig->hub, &sig->web);
    if (r == 0) {
        HttpServerOptions ho = {
            .header_timeout_ms = (uint32_t)cfg->handshake_timeout_ms,
            .max_connections = (unsigned)cfg->max_connections,
            .server_name = "hype",
        };
        r = http_server_new(sig->base, &ho, on_request, sig, &sig->http);
    }
    if (r == 0)
        r = bus_new(&sig->bus);
    if (r == 0)
        r = signal_ipc_new(sig->base, cfg->signal_socket, on_api_event, on_api_ready, sig,
                           &sig->ipc);
    if (r == 0)
        r = workers_new(sig->base, cfg->media_socket, &sig->workers);
    if (r == 0)
        r = sessions_new(sig->base, cfg, sig->bus, sig->ipc, &sig->sessions);
    if (r == 0)
        r = events_new(sig->sessions, sig->bus, &sig->events);
    if (r == 0)
        r = gateway_new(cfg, &sig->gateway);
    if (r == 0)
        r = new_features(sig);
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
    r = workers_listen(sig->workers);
    if (r < 0) {
        log_error_errno(r, "cannot listen on MEDIA_SOCKET=%s: %m", sig->cfg->media_socket);
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
    /* Connections first (no goodbyes: nothing runs any more), then the sessions, then what
     * sessions and connections call into. */
    sig->http = http_server_free(sig->http);
    sig->sio = sio_server_free(sig->sio);
    sig->eio_echo = eio_server_free(sig->eio_echo);
    sig->hub = ws_hub_free(sig->hub);
    sig->sessions = sessions_free(sig->sessions);
    sig->raw = raw_free(sig->raw);
    sig->mesh = mesh_free(sig->mesh);
    sig->calls = calls_free(sig->calls);
    sig->channels = channels_free(sig->channels);
    sig->presence = presence_free(sig->presence);
    sig->gateway = gateway_free(sig->gateway);
    sig->events = events_free(sig->events);
    sig->web = signal_http_free(sig->web);
    sig->ipc = signal_ipc_free(sig->ipc);
    sig->workers = workers_free(sig->workers);
    sig->bus = bus_free(sig->bus);
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
