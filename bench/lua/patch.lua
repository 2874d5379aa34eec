-- PATCH {base}/Users/{id} of a random user, cycling Okta's deactivate, reactivate and a
-- displayName replace. Arguments: base, seed, ids file.
local common = dofile(debug.getinfo(1, "S").source:match("^@(.*/)") .. "common.lua")
local PATCH_OP = '{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[%s]}'
local BODIES = {
  string.format(PATCH_OP, '{"op":"replace","value":{"active":false}}'),
  string.format(PATCH_OP, '{"op":"replace","value":{"active":true}}'),
}

function init(args)
  headers = common.json_headers()
  ids = common.lines(common.start(args)[1])
  sent = 0
end

function request()
  sent = sent + 1
  local body = BODIES[sent % 3 + 1] or string.format(PATCH_OP,
    string.format('{"op":"replace","path":"displayName","value":"Renamed %d-%d"}', thread_id, sent))
  return wrk.format("PATCH", base .. "/Users/" .. common.pick(ids), headers, body)
end
