-- wrk calls done() once at the end; print one JSON line for bench/load.py to parse.
-- Times are in microseconds; `status` counts responses that were not 2xx or 3xx.
-- With `-- statuses` after the URL, each thread also counts 503 answers apart from other error statuses
-- (`response` is then defined, which makes wrk hand every response to Lua: only the rows that need it pay that).

local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  if args[1] == "statuses" then
    busy, failed = 0, 0
    response = function(status, headers, body)
      if status == 503 then
        busy = busy + 1
      elseif status > 399 then
        failed = failed + 1
      end
    end
  end
end

done = function(summary, latency, requests)
  local e = summary.errors
  local busy, failed = -1, -1  -- -1: not counted in this run
  for _, thread in ipairs(threads) do
    local b, f = thread:get("busy"), thread:get("failed")
    if b ~= nil then
      busy, failed = math.max(busy, 0) + b, math.max(failed, 0) + f
    end
  end
  io.write(string.format(
    'BENCH_JSON {"requests": %d, "duration_us": %d, "bytes": %d, ' ..
    '"connect": %d, "read": %d, "write": %d, "status": %d, "timeout": %d, ' ..
    '"status_503": %d, "status_other": %d, ' ..
    '"p50_us": %d, "p90_us": %d, "p99_us": %d, "max_us": %d, "mean_us": %.1f}\n',
    summary.requests, summary.duration, summary.bytes,
    e.connect, e.read, e.write, e.status, e.timeout, busy, failed,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max, latency.mean))
end
