-- POST {base}/Users: a new Okta-like user whose userName is unique in the run (a random
-- prefix per wrk run: its seed; the thread id; a per-thread counter). Arguments: base, seed.
local common = dofile(debug.getinfo(1, "S").source:match("^@(.*/)") .. "common.lua")
local USER = '{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User",'
  .. '"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],'
  .. '"userName":"%s","name":{"givenName":"Bench","familyName":"User %d"},'
  .. '"displayName":"Bench User %d","active":true,'
  .. '"emails":[{"value":"%s","type":"work","primary":true}],'
  .. '"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"department":"Engineering"}}'

function init(args)
  headers = common.json_headers()
  common.start(args)
  prefix = args[2]
  sent = 0
end

function request()
  sent = sent + 1
  local name = string.format("bench-%s-%d-%d@example.com", prefix, thread_id, sent)
  return wrk.format("POST", base .. "/Users", headers, string.format(USER, name, sent, sent, name))
end
