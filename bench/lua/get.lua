-- GET {base}/Users/{id} of a random user. Arguments: base, seed, ids file.
local common = dofile(debug.getinfo(1, "S").source:match("^@(.*/)") .. "common.lua")

function init(args)
  ids = common.lines(common.start(args)[1])
end

function request()
  return wrk.format("GET", base .. "/Users/" .. common.pick(ids))
end
