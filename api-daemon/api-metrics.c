/* api-metrics: request counts and latency histograms by route and status, rendered as Prometheus
 * text. */
#include "api-metrics.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api-events.h"
#include "api-signal.h"
#include "api-router.h"
#include "api-server.h"

#define SERIES_MAX 512
static const double buckets[] = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                 0.1,    0.25,  0.5,    1,     2.5,  10};
#define N_BUCKETS (sizeof(buckets) / sizeof(buckets[0]))

/* One (route, method, status) series; latency is kept per series too, which keeps the
 * exposition simple and costs 14 counters each. */
typedef struct Series {
    const ApiRoute *route;
    HttpMethod method;
    int status;
    uint64_t count;
    uint64_t bucket[N_BUCKETS];
    double sum_seconds;
} Series;

static Series series[SERIES_MAX];
static size_t n_series;
static uint64_t dropped; /* requests of series beyond SERIES_MAX */

static Series *series_for(const ApiRoute *route, HttpMethod method, int status) {
    for (size_t i = 0; i < n_series; i++)
        if (series[i].route == route && series[i].method == method && series[i].status == status)
            return &series[i];
    if (n_series == SERIES_MAX)
        return NULL;
    series[n_series] = (Series){.route = route, .method = method, .status = status};
    return &series[n_series++];
}

void api_metrics_record(const ApiRoute *route, HttpMethod method, int status, uint64_t usec) {
    Series *s = series_for(route, method, status);
    if (!s) {
        dropped++;
        return;
    }
    double seconds = (double)usec / 1e6;
    s->count++;
    s->sum_seconds += seconds;
    for (size_t b = 0; b < N_BUCKETS; b++)
        if (seconds <= buckets[b])
            s->bucket[b]++;
}

static void labels_of(const Series *s, char *buf, size_t size) {
    snprintf(buf, size, "method=\"%s\",route=\"%s\",status=\"%d\"", http_method_name(s->method),
             s->route ? s->route->path : "unmatched", s->status);
}

/* Each metric family is one contiguous group, as the exposition format requires. */
static void render_requests(FILE *f) {
    char labels[256];
    fprintf(f, "# HELP hype_http_requests_total HTTP requests by route, method and status.\n"
               "# TYPE hype_http_requests_total counter\n");
    for (size_t i = 0; i < n_series; i++) {
        labels_of(&series[i], labels, sizeof(labels));
        fprintf(f, "hype_http_requests_total{%s} %llu\n", labels,
                (unsigned long long)series[i].count);
    }
    fprintf(f, "# HELP hype_http_request_duration_seconds Time from complete request to reply.\n"
               "# TYPE hype_http_request_duration_seconds histogram\n");
    for (size_t i = 0; i < n_series; i++) {
        const Series *s = &series[i];
        labels_of(s, labels, sizeof(labels));
        for (size_t b = 0; b < N_BUCKETS; b++)
            fprintf(f, "hype_http_request_duration_seconds_bucket{%s,le=\"%g\"} %llu\n", labels,
                    buckets[b], (unsigned long long)s->bucket[b]);
        fprintf(f, "hype_http_request_duration_seconds_bucket{%s,le=\"+Inf\"} %llu\n", labels,
                (unsigned long long)s->count);
        fprintf(f, "hype_http_request_duration_seconds_sum{%s} %.6f\n", labels, s->sum_seconds);
        fprintf(f, "hype_http_request_duration_seconds_count{%s} %llu\n", labels,
                (unsigned long long)s->count);
    }
}

static void render_gauges(FILE *f, Api *api) {
    DbPoolStats st;
    db_pool_stats(api->db, &st);
    fprintf(f,
            "# HELP hype_db_pool_connections PostgreSQL connections of the pool.\n"
            "# TYPE hype_db_pool_connections gauge\n"
            "hype_db_pool_connections{state=\"configured\"} %u\n"
            "hype_db_pool_connections{state=\"connected\"} %u\n"
            "hype_db_pool_connections{state=\"busy\"} %u\n",
            st.size, st.connected, st.busy);
    fprintf(f,
            "# HELP hype_db_pool_queued Queries waiting for a connection.\n"
            "# TYPE hype_db_pool_queued gauge\nhype_db_pool_queued %zu\n",
            st.queued);
    fprintf(f,
            "# HELP hype_db_queries_total Queries completed.\n"
            "# TYPE hype_db_queries_total counter\nhype_db_queries_total %llu\n"
            "# HELP hype_db_errors_total Queries that failed.\n"
            "# TYPE hype_db_errors_total counter\nhype_db_errors_total %llu\n",
            (unsigned long long)st.queries, (unsigned long long)st.errors);
    fprintf(f,
            "# HELP hype_http_connections Open client connections.\n"
            "# TYPE hype_http_connections gauge\nhype_http_connections %zu\n",
            http_server_connections(api->http));
    fprintf(f,
            "# HELP hype_workpool_queued Password hashes waiting for a thread.\n"
            "# TYPE hype_workpool_queued gauge\nhype_workpool_queued %zu\n",
            workpool_queued(api->work));
    fprintf(f,
            "# HELP hype_ratelimit_untracked_total Requests allowed untracked (table full).\n"
            "# TYPE hype_ratelimit_untracked_total counter\nhype_ratelimit_untracked_total %llu\n",
            (unsigned long long)ratelimit_overflows(api->limiter));
    ApiEventStats ev = api_events_stats(api->events);
    ApiSignalStats link = api_signal_stats(api->signal);
    fprintf(f,
            "# HELP hype_signal_link_up Whether hype-signal is connected over signal.sock.\n"
            "# TYPE hype_signal_link_up gauge\nhype_signal_link_up %llu\n"
            "# HELP hype_events_published_total Live events handed to hype-signal.\n"
            "# TYPE hype_events_published_total counter\nhype_events_published_total %llu\n"
            "# HELP hype_events_undelivered_total Live events dropped: hype-signal absent.\n"
            "# TYPE hype_events_undelivered_total counter\nhype_events_undelivered_total %llu\n"
            "# HELP hype_signal_calls_total API calls relayed by hype-signal for its clients.\n"
            "# TYPE hype_signal_calls_total counter\nhype_signal_calls_total %llu\n"
            "# HELP hype_signal_requests_total Other requests of hype-signal served.\n"
            "# TYPE hype_signal_requests_total counter\nhype_signal_requests_total %llu\n",
            (unsigned long long)link.connected, (unsigned long long)ev.published,
            (unsigned long long)ev.undelivered, (unsigned long long)link.calls,
            (unsigned long long)link.served);
    fprintf(f,
            "# HELP hype_metrics_series_dropped_total Requests beyond the series limit.\n"
            "# TYPE hype_metrics_series_dropped_total counter\n"
            "hype_metrics_series_dropped_total %llu\n",
            (unsigned long long)dropped);
}

int api_metrics_render(Api *api, char **out, size_t *len) {
    FILE *f = open_memstream(out, len);
    if (!f)
        return -ENOMEM;
    render_requests(f);
    render_gauges(f, api);
    return fclose(f) == 0 ? 0 : -ENOMEM;
}
