-- The one line bench/http/run reads from a wrk run (latencies in microseconds). wrk counts a
-- response with status >= 400 in errors.status: the non-2xx count here (no 3xx is expected).
local M = {}

function M.done(summary, latency, requests)
    local e = summary.errors
    io.write(string.format(
        "BENCH requests=%d duration_us=%d rps=%.1f p50_us=%d p99_us=%d mean_us=%.0f max_us=%d " ..
        "non2xx=%d connect_errors=%d read_errors=%d write_errors=%d timeouts=%d\n",
        summary.requests, summary.duration, summary.requests / (summary.duration / 1e6),
        latency:percentile(50), latency:percentile(99), latency.mean, latency.max,
        e.status, e.connect, e.read, e.write, e.timeout))
end

return M
