-- wrk-post.lua: the benchmark request and a machine-readable result line.
-- One POST with the body from BENCH_BODY (so every target gets the same bytes
-- as the script's own sanity check); the path comes from the URL on the wrk
-- command line. done() prints exact percentiles in microseconds, which wrk's
-- human summary rounds to two decimals of varying units.
local body = os.getenv("BENCH_BODY")
assert(body and #body > 0, "BENCH_BODY is not set")

wrk.method = "POST"
wrk.body = body
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer " .. (os.getenv("BENCH_KEY") or "sim-key")

function done(summary, latency, requests)
   local e = summary.errors
   io.write(string.format(
      "RESULT requests=%d duration_us=%d p50_us=%.1f p99_us=%.1f status_errors=%d socket_errors=%d\n",
      summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
      e.status, e.connect + e.read + e.write + e.timeout))
end
