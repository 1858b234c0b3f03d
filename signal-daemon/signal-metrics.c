/* signal-metrics: hype-signal's /metrics page (Prometheus text format). */
#include "signal-metrics.h"

#include <event2/buffer.h>
#include <inttypes.h>

#include "signal-http.h"

static void metric(struct evbuffer *b, const char *name, const char *type, const char *help,
                   uint64_t value) {
    evbuffer_add_printf(b, "# HELP %s %s\n# TYPE %s %s\n%s %" PRIu64 "\n", name, help, name, type,
                        name, value);
}

void metrics_reply(HttpRequest *req, const WsHub *hub, const SessionRegistry *sessions,
                   const SignalIpc *ipc, const Bus *bus, const Calls *calls) {
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
    size_t len = evbuffer_get_length(b);
    http_reply(req, 200, "text/plain; version=0.0.4", (const char *)evbuffer_pullup(b, -1), len);
    evbuffer_free(b);
}
