-- GET {base}/Users?filter=userName eq "x": a random existing userName (names file given),
-- or a random name that matches nobody ("miss"). Arguments: base, seed, names file | miss.
local common = dofile(debug.getinfo(1, "S").source:match("^@(.*/)") .. "common.lua")

function init(args)
  local source = common.start(args)[1]
  names = source ~= "miss" and common.lines(source) or nil
end

function request()
  local name = names and common.pick(names)
    or string.format("nobody-%d-%d@example.com", thread_id, math.random(1, 1e9))
  local filter = common.urlencode('userName eq "' .. name .. '"')
  return wrk.format("GET", base .. "/Users?filter=" .. filter)
end
