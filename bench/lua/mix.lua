-- A provisioning mix: GET by id, userName eq filter and PATCH, one third each, stopping
-- wrk after `limit` responses. Arguments: base, seed, ids file, names file, limit.
local common = dofile(debug.getinfo(1, "S").source:match("^@(.*/)") .. "common.lua")
local PATCH = '{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],'
  .. '"Operations":[{"op":"replace","value":{"active":%s}}]}'

function init(args)
  headers = common.json_headers()
  local rest = common.start(args)
  ids, names, limit = common.lines(rest[1]), common.lines(rest[2]), tonumber(rest[3])
  sent = 0
end

function request()
  sent = sent + 1
  local kind = sent % 3
  if kind == 0 then
    return wrk.format("GET", base .. "/Users/" .. common.pick(ids))
  elseif kind == 1 then
    local filter = common.urlencode('userName eq "' .. common.pick(names) .. '"')
    return wrk.format("GET", base .. "/Users?filter=" .. filter)
  end
  local body = string.format(PATCH, sent % 2 == 0 and "true" or "false")
  return wrk.format("PATCH", base .. "/Users/" .. common.pick(ids), headers, body)
end
