-- wrk script: machine-readable summary line, and (when WRK_COUNT_ERRORS=1) counts of responses by cf-vpc-error code.
-- Used by scripts/loadtest.sh and scripts/bench.sh. Extra request headers come from wrk's -H flags, the
-- gateway token from WRK_GATEWAY_TOKEN.
local count_errors = os.getenv("WRK_COUNT_ERRORS") == "1"
-- The worker's gateway token comes from the environment, not from a -H flag: a command line is visible to every
-- local user (ps), the environment only to the process's owner.
local gateway_token = os.getenv("WRK_GATEWAY_TOKEN")
if gateway_token ~= nil and gateway_token ~= "" then
  wrk.headers["Proxy-Authorization"] = "Bearer " .. gateway_token
end
local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  codes = {}
  non2xx = 0
end

if count_errors then
  function response(status, headers, body)
    if status < 200 or status > 399 then
      non2xx = non2xx + 1
    end
    local code = headers["cf-vpc-error"] or headers["Cf-Vpc-Error"] or headers["CF-VPC-ERROR"]
    if code ~= nil then
      codes[code] = (codes[code] or 0) + 1
    end
  end
end

function done(summary, latency, requests)
  local agg = {}
  local bad = 0
  for _, t in ipairs(threads) do
    local c = t:get("codes") or {}
    for k, v in pairs(c) do agg[k] = (agg[k] or 0) + v end
    bad = bad + (t:get("non2xx") or 0)
  end
  local e = summary.errors
  io.write(string.format(
    "WRK requests=%d duration_us=%d bytes=%d p50=%d p90=%d p99=%d max=%d mean=%.0f err_connect=%d err_read=%d err_write=%d err_status=%d err_timeout=%d non2xx=%d\n",
    summary.requests, summary.duration, summary.bytes,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max, latency.mean,
    e.connect, e.read, e.write, e.status, e.timeout, bad))
  for k, v in pairs(agg) do
    io.write(string.format("WRKCODE %s %d\n", k, v))
  end
end
