-- wrk script for bench/run: at the end, print one machine-readable line
--   BENCH rps=<req/s> p50=<ms> p90=<ms> p99=<ms> max=<ms> requests=<n> errors=<n> non2xx=<n>
-- Latencies come from wrk's histogram (microseconds) and are printed in ms.
-- "errors" counts socket errors (connect, read, write, timeout); "non2xx" counts
-- HTTP responses with a status outside 200..399 (wrk's errors.status).
done = function(summary, latency, requests)
   local e = summary.errors
   local rps = summary.requests / (summary.duration / 1e6)
   io.write(string.format(
      "BENCH rps=%.1f p50=%.3f p90=%.3f p99=%.3f max=%.3f requests=%d errors=%d non2xx=%d\n",
      rps,
      latency:percentile(50) / 1000,
      latency:percentile(90) / 1000,
      latency:percentile(99) / 1000,
      latency.max / 1000,
      summary.requests,
      e.connect + e.read + e.write + e.timeout,
      e.status))
end
