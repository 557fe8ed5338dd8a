-- wrk script for query_bench.py: replay request paths from a file (one per line, the Zipf
-- stream), each thread from its own offset; count X-Cache hits; print one JSON line.
-- Usage: wrk ... -s wrk_paths.lua URL -- PATHS_FILE

local threads = {}

function setup(thread)
  thread:set("id", #threads)
  table.insert(threads, thread)
end

function init(args)
  paths = {}
  for line in io.lines(args[1]) do
    if #line > 0 then paths[#paths + 1] = line end
  end
  counter = (tonumber(wrk.thread:get("id")) * 7919) % #paths
  hits, misses = 0, 0
end

function request()
  counter = counter + 1
  if counter > #paths then counter = 1 end
  return wrk.format("GET", paths[counter])
end

function response(status, headers, body)
  local cache = headers["X-Cache"]
  if cache == "hit" then
    hits = hits + 1
  elseif cache == "miss" then
    misses = misses + 1
  end
end

function done(summary, latency, requests)
  local h, m = 0, 0
  for _, t in ipairs(threads) do
    h = h + t:get("hits")
    m = m + t:get("misses")
  end
  local e = summary.errors
  io.write(string.format(
    'WRKJSON {"requests": %d, "duration_us": %d, "errors": %d, "p50_us": %d, "p99_us": %d, ' ..
    '"mean_us": %d, "hits": %d, "misses": %d}\n',
    summary.requests, summary.duration, e.connect + e.read + e.write + e.status + e.timeout,
    latency:percentile(50), latency:percentile(99), latency.mean, h, m))
end
