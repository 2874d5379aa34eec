-- GET {base}/Users?startIndex=N&count=100. Arguments: base, seed, startIndex.
local common = dofile(debug.getinfo(1, "S").source:match("^@(.*/)") .. "common.lua")

function init(args)
  local start = common.start(args)[1]
  path = base .. "/Users?startIndex=" .. start .. "&count=100"
end

function request()
  return wrk.format("GET", path)
end
