/* signal-metrics: hype-signal's /metrics page (Prometheus text format). */
#include "signal-metrics.h"

#include <event2/buffer.h>
#include <inttypes.h>
#include <stddef.h>
#include <string.h>

#include "signal-http.h"

static void metric(struct evbuffer *b, const char *name, const char *type, const char *help,
                   uint64_t value) {
    evbuffer_add_printf(b, "# HELP %s %s\n# TYPE %s %s\n%s %" PRIu64 "\n", name, help, name, type,
                        name, value);
}

/* ---- the media workers: one labelled sample per live worker, from its last WorkerLoad ---- */

typedef struct WorkerMetric {
    const char *name, *type, *help; /* type and help NULL: another label of the one above */
    size_t offset, size;            /* of the field in WorkerLoad */
    const char *reason;             /* a "reason" label too */
} WorkerMetric;

#define LOAD(f)                                                                                    \
    offsetof(Hype__SignalMedia__WorkerLoad, f), sizeof(((Hype__SignalMedia__WorkerLoad *)0)->f)
#define PER_WORKER "hype_signal_media_worker_"

static const WorkerMetric worker_metrics[] = {
    {PER_WORKER "routers", "gauge", "Routers on each media worker", LOAD(routers), NULL},
    {PER_WORKER "transports", "gauge", "WebRTC transports on each media worker", LOAD(transports),
     NULL},
    {PER_WORKER "producers", "gauge", "Producers on each media worker", LOAD(producers), NULL},
    {PER_WORKER "consumers", "gauge", "Consumers on each media worker", LOAD(consumers), NULL},
    {PER_WORKER "packets_in_total", "counter", "Packets each media worker received",
     LOAD(packets_in), NULL},
    {PER_WORKER "packets_out_total", "counter", "Packets each media worker sent", LOAD(packets_out),
     NULL},
    {PER_WORKER "bytes_in_total", "counter", "Bytes each media worker received", LOAD(bytes_in),
     NULL},
    {PER_WORKER "bytes_out_total", "counter", "Bytes each media worker sent", LOAD(bytes_out),
     NULL},
    {PER_WORKER "dropped_total", "counter",
     "Packets each media worker dropped, by reason (malformed; unauthenticated: from an address "
     "that has not completed ICE; srtp: failed to unprotect; no_route: no producer for it)",
     LOAD(dropped_malformed), "malformed"},
    {PER_WORKER "dropped_total", NULL, NULL, LOAD(dropped_unauthenticated), "unauthenticated"},
    {PER_WORKER "dropped_total", NULL, NULL, LOAD(dropped_srtp), "srtp"},
    {PER_WORKER "dropped_total", NULL, NULL, LOAD(dropped_no_route), "no_route"},
};

static uint64_t load_field(const WorkerInfo *w, const WorkerMetric *m) {
    const char *p = (const char *)&w->load + m->offset;
    if (m->size == sizeof(uint32_t)) {
        uint32_t v;
        memcpy(&v, p, sizeof(v));
        return v;
    }
    uint64_t v;
    memcpy(&v, p, sizeof(v));
    return v;
}

static void worker_metrics_add(struct evbuffer *b, const Workers *workers) {
    metric(b, "hype_signal_media_workers", "gauge", "Media workers registered and linked",
           workers_count(workers));
    WorkersStats st = workers_stats(workers);
    metric(b, "hype_signal_media_registered_total", "counter",
           "Media worker registrations accepted", st.registered);
    metric(b, "hype_signal_media_refused_total", "counter",
           "Media worker registrations refused (a live duplicate id, an overlapping port slice)",
           st.refused);
    metric(b, "hype_signal_media_gone_total", "counter", "Registered media workers that went away",
           st.gone);
    metric(b, "hype_signal_media_requests_total", "counter", "Requests to media workers",
           st.requests);
    metric(b, "hype_signal_media_requests_failed_total", "counter",
           "Requests no media worker answered (absent, gone or timed out)", st.requests_failed);
    evbuffer_add_printf(b, "# HELP " PER_WORKER "info Each live media worker: its pid, UDP port "
                           "slice and announced address\n# TYPE " PER_WORKER "info gauge\n");
    for (const WorkerInfo *w = workers_first(workers); w; w = workers_next(workers, w))
        evbuffer_add_printf(b,
                            PER_WORKER "info{worker=\"%u\",pid=\"%u\",min_port=\"%u\","
                                       "max_port=\"%u\",announced_ip=\"%s\"} 1\n",
                            w->id, w->pid, w->min_port, w->max_port, w->announced_ip);
    evbuffer_add_printf(b, "# HELP " PER_WORKER "max_transports Transports each media worker "
                           "accepts at most\n# TYPE " PER_WORKER "max_transports gauge\n");
    for (const WorkerInfo *w = workers_first(workers); w; w = workers_next(workers, w))
        evbuffer_add_printf(b, PER_WORKER "max_transports{worker=\"%u\"} %u\n", w->id,
                            w->max_transports);
    for (size_t i = 0; i < sizeof(worker_metrics) / sizeof(worker_metrics[0]); i++) {
        const WorkerMetric *m = &worker_metrics[i];
        if (m->help)
            evbuffer_add_printf(b, "# HELP %s %s\n# TYPE %s %s\n", m->name, m->help, m->name,
                                m->type);
        for (const WorkerInfo *w = workers_first(workers); w; w = workers_next(workers, w)) {
            if (m->reason)
                evbuffer_add_printf(b, "%s{worker=\"%u\",reason=\"%s\"} %" PRIu64 "\n", m->name,
                                    w->id, m->reason, load_field(w, m));
            else
                evbuffer_add_printf(b, "%s{worker=\"%u\"} %" PRIu64 "\n", m->name, w->id,
                                    load_field(w, m));
        }
    }
}

void metrics_reply(HttpRequest *req, const WsHub *hub, const SessionRegistry *sessions,
                   const SignalIpc *ipc, const Bus *bus, const Calls *calls,
                   const Workers *workers) {
    struct evbuffer *b = evbuffer_new();
    if (!b) {
        signal_http_error(req, 503, "Out of memory");
        return;
    }
    const WsStats *ws = ws_hub_stats(hub);
    metric(b, "hype_signal_ws_connections", "gauge",
           "WebSocket connections open or finishing their close", ws_hub_count(hub));
    metric(b, "hype_signal_ws_messages_received_total", "counter",
           "WebSocket messages received from clients", ws->messages_in);
    metric(b, "hype_signal_ws_messages_sent_total", "counter", "WebSocket messages sent to clients",
           ws->messages_out);
    metric(b, "hype_signal_ws_writes_total", "counter",
           "Socket writes carrying WebSocket frames (several frames per write under load)",
           ws->writes);
    evbuffer_add_printf(b, "# HELP hype_signal_ws_closed_total WebSocket connections closed, by "
                           "close code (1006: dropped without a close frame)\n"
                           "# TYPE hype_signal_ws_closed_total counter\n");
    for (size_t i = 0; i < WS_STATS_CODES; i++)
        evbuffer_add_printf(b, "hype_signal_ws_closed_total{code=\"%u\"} %" PRIu64 "\n",
                            ws_stats_codes[i], ws->closed[i]);
    evbuffer_add_printf(b, "hype_signal_ws_closed_total{code=\"other\"} %" PRIu64 "\n",
                        ws->closed_other);
    SessionStats st = sessions_stats(sessions);
    evbuffer_add_printf(b,
                        "# HELP hype_signal_sessions Sessions by state.\n"
                        "# TYPE hype_signal_sessions gauge\n"
                        "hype_signal_sessions{state=\"ready\"} %zu\n"
                        "hype_signal_sessions{state=\"authenticating\"} %zu\n"
                        "hype_signal_sessions{state=\"detached\"} %zu\n",
                        st.ready, st.authenticating, st.detached);
    metric(b, "hype_signal_sessions_resumed_total", "counter",
           "Sessions resumed with the events they missed", st.resumed);
    metric(b, "hype_signal_sessions_resume_failed_total", "counter",
           "Resume attempts answered with invalid_session", st.resume_failed);
    metric(b, "hype_signal_auth_failed_total", "counter",
           "Connections closed with 4001 (no or bad token)", st.auth_failed);
    metric(b, "hype_signal_events_delivered_total", "counter", "Events sent to sessions",
           st.delivered);
    SignalIpcStats api = signal_ipc_stats(ipc);
    metric(b, "hype_signal_api_connected", "gauge", "Whether hype-api is connected (signal.sock)",
           signal_ipc_api_connected(ipc));
    metric(b, "hype_signal_api_events_total", "counter", "Events received from hype-api",
           api.events);
    metric(b, "hype_signal_api_calls_total", "counter",
           "Requests to hype-api: typed, and client actions relayed", api.calls);
    metric(b, "hype_signal_api_calls_failed_total", "counter",
           "Requests hype-api did not answer (absent, busy or timed out)", api.calls_failed);
    metric(b, "hype_signal_api_requests_served_total", "counter", "Requests of hype-api answered",
           api.served);
    metric(b, "hype_signal_topics", "gauge", "Channels, servers, users and rooms with subscribers",
           bus_topic_count(bus));
    metric(b, "hype_signal_calls", "gauge", "1:1 calls ringing or active", calls_live(calls));
    worker_metrics_add(b, workers);
    size_t len = evbuffer_get_length(b);
    http_reply(req, 200, "text/plain; version=0.0.4", (const char *)evbuffer_pullup(b, -1), len);
    evbuffer_free(b);
}
