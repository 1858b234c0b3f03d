/* signal-metrics: hype-signal's /metrics page (Prometheus text format). */
#include "signal-metrics.h"

#include <event2/buffer.h>
#include <inttypes.h>

static void metric(struct evbuffer *b, const char *name, const char *type, const char *help,
                   uint64_t value) {
    evbuffer_add_printf(b, "# HELP %s %s\n# TYPE %s %s\n%s %" PRIu64 "\n", name, help, name, type,
                        name, value);
}

void metrics_reply(Signal *sig, HttpRequest *req) {
    struct evbuffer *b = evbuffer_new();
    if (!b) {
        signal_reply_error(req, 503, "Out of memory");
        return;
    }
    const WsStats *ws = ws_conn_stats();
    metric(b, "hype_signal_ws_connections", "gauge",
           "WebSocket connections open or finishing their close", ws_conn_count());
    metric(b, "hype_signal_ws_messages_received_total", "counter",
           "WebSocket messages received from clients", ws->messages_in);
    metric(b, "hype_signal_ws_messages_sent_total", "counter", "WebSocket messages sent to clients",
           ws->messages_out);
    evbuffer_add_printf(b, "# HELP hype_signal_ws_closed_total WebSocket connections closed, by "
                           "close code (1006: dropped without a close frame)\n"
                           "# TYPE hype_signal_ws_closed_total counter\n");
    for (size_t i = 0; i < WS_STATS_CODES; i++)
        evbuffer_add_printf(b, "hype_signal_ws_closed_total{code=\"%u\"} %" PRIu64 "\n",
                            ws_stats_codes[i], ws->closed[i]);
    evbuffer_add_printf(b, "hype_signal_ws_closed_total{code=\"other\"} %" PRIu64 "\n",
                        ws->closed_other);
    size_t len = evbuffer_get_length(b);
    http_reply(req, 200, "text/plain; version=0.0.4", (const char *)evbuffer_pullup(b, -1), len);
    evbuffer_free(b);
}
