-- Shared by every scenario: counts non-2xx answers and prints the result as one JSON line
-- ("BENCH_RESULT {...}") that scripts/bench.d/bench.py reads. A path scenario runs this file
-- alone; a Lua scenario loads it first and adds its own request().
--
-- A scenario builds its requests with wrk.format(method, path, headers, body), so each one may
-- carry its own body and headers. Each wrk thread has its own Lua state: a write scenario can
-- number its threads in setup() and make a unique key per request in request(), e.g.
--   wrk.format("POST", "/api/pledges",
--              {["Content-Type"] = "application/json", ["Idempotency-Key"] = id .. "-" .. n}, body)

local threads = {}

function setup(thread)
    table.insert(threads, thread)
end

function init(args)
    non_2xx = 0
end

function response(status, headers, body)
    if status < 200 or status > 299 then
        non_2xx = non_2xx + 1
    end
end

function done(summary, latency, requests)
    local non_2xx_total = 0
    for _, thread in ipairs(threads) do
        non_2xx_total = non_2xx_total + thread:get("non_2xx")
    end
    local e = summary.errors
    io.write(string.format(
        'BENCH_RESULT {"requests": %d, "duration_us": %d, "bytes": %d, "p50_us": %d, '
            .. '"p90_us": %d, "p99_us": %d, "mean_us": %.1f, "max_us": %d, "errors": '
            .. '{"connect": %d, "read": %d, "write": %d, "timeout": %d, "non_2xx": %d}}\n',
        summary.requests, summary.duration, summary.bytes, latency:percentile(50),
        latency:percentile(90), latency:percentile(99), latency.mean, latency.max,
        e.connect, e.read, e.write, e.timeout, non_2xx_total))
end
