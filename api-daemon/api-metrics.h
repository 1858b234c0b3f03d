/* api-metrics: request counts and latency histograms by route and status, rendered as Prometheus
 * text. */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "api-request.h"

/* Records one finished request. route NULL: no route matched. Single-threaded (the loop). */
void api_metrics_record(const ApiRoute *route, HttpMethod method, int status, uint64_t usec);

/* Appends the Prometheus text exposition of every series, plus the gauges of api, to out
 * (a malloc'ed buffer, grown as needed). Returns 0 or -ENOMEM. */
int api_metrics_render(Api *api, char **out, size_t *len);
