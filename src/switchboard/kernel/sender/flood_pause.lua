-- Pause every send of a bot; the same rules as InMemoryFloodBackend.pause (backend.py).
-- KEYS: 1 bot state hash. ARGV: 1 now ('' = the server's clock), 2 seconds.
local state = KEYS[1]
local now = tonumber(ARGV[1])
if not now then
  local t = redis.call('TIME')
  now = tonumber(t[1]) + tonumber(t[2]) / 1000000
end
local latest = tonumber(redis.call('HGET', state, 'latest'))
if latest and latest > now then now = latest end
local paused_until = now + tonumber(ARGV[2])
local current = tonumber(redis.call('HGET', state, 'paused_until'))
if not current or current < paused_until then
  redis.call('HSET', state, 'paused_until', string.format('%.17g', paused_until))
end
local ttl = redis.call('PTTL', state)
local needed = math.ceil(tonumber(ARGV[2]) * 1000) + 60000
if ttl < needed then redis.call('PEXPIRE', state, needed) end
return 1
