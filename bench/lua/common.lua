-- Shared by the bench's wrk scripts: argument files, URL encoding, counting non-2xx
-- responses per thread, and a done() that prints one machine-readable line:
--   BENCH_JSON {"requests":..,"duration_us":..,"p50_us":..,"p99_us":..,"non2xx":..,...}
-- Script arguments (after wrk's "--"): base path, seed, then the script's own.
-- Optional: a script that sets `limit` stops wrk after that many responses: the thread
-- stops and sends SIGINT to wrk's main thread (LuaJIT's ffi), whose Ctrl-C handler ends
-- the run early; wrk then reports as usual.
local M = {}
local ffi = require("ffi")
ffi.cdef("int tgkill(int tgid, int tid, int sig); int getpid(void);")

local threads = {}
bad, bad_status, bad_body, seen, limit = 0, 0, "", 0, 0
thread_id = 0

function M.lines(path)
  local out = {}
  for line in io.lines(path) do
    if line ~= "" then out[#out + 1] = line end
  end
  assert(#out > 0, "no lines in " .. path)
  return out
end

function M.urlencode(text)
  return (text:gsub("[^%w%-%._~]", function(c) return string.format("%%%02X", string.byte(c)) end))
end

-- init() of every script starts here: base path, seed, and the remaining arguments.
function M.start(args)
  base = args[1]
  math.randomseed(tonumber(args[2]) + thread_id * 7919)
  local rest = {}
  for i = 3, #args do rest[#rest + 1] = args[i] end
  return rest
end

-- The -H headers of the command line plus a JSON body type: wrk.format uses the headers
-- it is given instead of wrk.headers, not on top of them.
function M.json_headers()
  local headers = {}
  for name, value in pairs(wrk.headers) do headers[name] = value end
  headers["Content-Type"] = "application/scim+json"
  return headers
end

function M.pick(list)
  return list[math.random(#list)]
end

function setup(thread)
  threads[#threads + 1] = thread
  thread:set("thread_id", #threads)
end

function response(status, headers, body)
  seen = seen + 1
  if status < 200 or status > 299 then
    bad = bad + 1
    if bad == 1 then
      bad_status, bad_body = status, string.sub(body or "", 1, 300)
    end
  end
  if limit > 0 and seen == limit then
    wrk.thread:stop()
    local pid = ffi.C.getpid()
    ffi.C.tgkill(pid, pid, 2)
  end
end

local function quote(text)
  local escaped = text:gsub('[%c"\\]', function(c) return string.format("\\u%04x", string.byte(c)) end)
  return '"' .. escaped .. '"'
end

function done(summary, latency, requests)
  local non2xx, status, body = 0, 0, ""
  for _, thread in ipairs(threads) do
    non2xx = non2xx + thread:get("bad")
    if status == 0 and thread:get("bad_status") ~= 0 then
      status, body = thread:get("bad_status"), thread:get("bad_body")
    end
  end
  local e = summary.errors
  io.write(string.format(
    'BENCH_JSON {"requests":%d,"duration_us":%d,"p50_us":%d,"p99_us":%d,"mean_us":%.1f,'
      .. '"non2xx":%d,"socket_errors":%d,"timeouts":%d,"first_bad_status":%d,"first_bad_body":%s}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    latency.mean, non2xx, e.connect + e.read + e.write, e.timeout, status, quote(body)))
end

return M
