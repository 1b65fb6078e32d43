-- One atomic limiter decision; the same rules as InMemoryFloodBackend.try_acquire (backend.py).
-- KEYS: 1 bot state hash, 2 bot window zset, 3 chat bucket (its "full again at" time),
--       4 group window zset. All carry the bot's hash tag, so they live on one cluster slot.
-- ARGV: 1 now ('' = the server's clock), 2 priority, 3 has chat, 4 is group,
--       5-6 bot max/window, 7-8 chat capacity/refill period, 9-10 group max/window,
--       11 lane mark grace, 12 bulk share, 13 yield retry, 14 backlog ('1': more of this
--       lane wait in the caller's process), 15 bulk turn ('1': the caller's queue gives this
--       bulk send its share), 16 chat slack (seconds off the burst tolerance).
-- Returns strings (Lua numbers would come back truncated to integers):
--       {granted '1'|'0', time, bot wait, chat wait, lane wait}.
local state, bot_key, chat_key, group_key = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local priority, has_chat, is_group = ARGV[2], ARGV[3] == '1', ARGV[4] == '1'
local bot_max, bot_window = tonumber(ARGV[5]), tonumber(ARGV[6])
local capacity, period = tonumber(ARGV[7]), tonumber(ARGV[8])
local slack = tonumber(ARGV[16]) or 0
local group_max, group_window = tonumber(ARGV[9]), tonumber(ARGV[10])
local mark_grace, bulk_share, yield_retry = tonumber(ARGV[11]), tonumber(ARGV[12]), tonumber(ARGV[13])
local rival = priority == 'interactive' and 'bulk' or 'interactive'
local own_mark, rival_mark = priority .. '_waiting_until', rival .. '_waiting_until'

-- tostring() keeps only 14 digits; times need all 17 to round-trip exactly.
local function fmt(x) return string.format('%.17g', x) end
local function ms(seconds) return math.ceil(seconds * 1000) + 1000 end

local now = tonumber(ARGV[1])
if not now then
  local t = redis.call('TIME')
  now = tonumber(t[1]) + tonumber(t[2]) / 1000000
end
local latest = tonumber(redis.call('HGET', state, 'latest'))
if latest and latest > now then now = latest end

local paused_until = tonumber(redis.call('HGET', state, 'paused_until'))
if paused_until and paused_until > now then
  return {'0', fmt(now), fmt(paused_until - now), '0', '0'}
end

-- Drop sends that left the window; return how long until one more fits (0: it fits).
local function window_wait(key, max_calls, window)
  redis.call('ZREMRANGEBYSCORE', key, '-inf', fmt(now - window))
  local count = redis.call('ZCARD', key)
  if count < max_calls then return 0 end
  local oldest = redis.call('ZRANGE', key, count - max_calls, count - max_calls, 'WITHSCORES')
  return tonumber(oldest[2]) + window - now
end

local chat_wait, full_at = 0, now
if has_chat then
  full_at = tonumber(redis.call('GET', chat_key)) or now
  if full_at < now then full_at = now end
  chat_wait = math.max(0, full_at - ((capacity - 1) * period - slack) - now)
  if is_group then chat_wait = math.max(chat_wait, window_wait(group_key, group_max, group_window)) end
end
local bot_wait = window_wait(bot_key, bot_max, bot_window)
local keep_state = ms(math.max(bot_window, group_window)) + 60000

if chat_wait > 0 then
  return {'0', fmt(now), fmt(bot_wait), fmt(chat_wait), '0'}
end
if bot_wait > 0 then
  redis.call('HSET', state, own_mark, fmt(now + bot_wait + mark_grace))
  redis.call('PEXPIRE', state, keep_state)
  return {'0', fmt(now), fmt(bot_wait), '0', '0'}
end

-- Lanes across processes (see backend.py): bulk yields to waiting interactive sends, except
-- once `bulk_share` interactive grants were made in a row while bulk waited.
local rival_until = tonumber(redis.call('HGET', state, rival_mark))
local rival_waits = rival_until ~= nil and rival_until > now
local streak = tonumber(redis.call('HGET', state, 'interactive_streak')) or 0
local bulk_due = streak >= bulk_share or ARGV[15] == '1'
local yields
if priority == 'bulk' then yields = rival_waits and not bulk_due else yields = rival_waits and bulk_due end
if yields then
  local wait = math.min(rival_until - now, yield_retry)
  redis.call('HSET', state, own_mark, fmt(now + wait + mark_grace))
  redis.call('PEXPIRE', state, keep_state)
  return {'0', fmt(now), '0', '0', fmt(wait)}
end
if priority == 'bulk' then
  redis.call('HSET', state, 'interactive_streak', 0)
elseif rival_waits then
  redis.call('HINCRBY', state, 'interactive_streak', 1)
end
if ARGV[14] ~= '1' then redis.call('HDEL', state, own_mark) end

local seq = redis.call('HINCRBY', state, 'seq', 1)
redis.call('HSET', state, 'latest', fmt(now))
redis.call('PEXPIRE', state, keep_state)
local member = fmt(now) .. '#' .. seq
redis.call('ZADD', bot_key, fmt(now), member)
redis.call('PEXPIRE', bot_key, ms(bot_window))
if has_chat then
  local next_full_at = full_at + period
  redis.call('SET', chat_key, fmt(next_full_at), 'PX', ms(next_full_at - now))
  if is_group then
    redis.call('ZADD', group_key, fmt(now), member)
    redis.call('PEXPIRE', group_key, ms(group_window))
  end
end
return {'1', fmt(now), '0', '0', '0'}
