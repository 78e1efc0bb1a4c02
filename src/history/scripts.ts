import { DEPLOY_QUEUE_LUA } from '../queue/inline-add.js';

/**
 * Lua scripts keep each logical write atomic and to one round trip: a delivery with all its
 * deployments and indexes, or one status transition with its index moves and its event.
 *
 * Redis does not roll a script back when a command in it fails, so these scripts are written to
 * have nothing that can fail once the first write is made: every value arrives encoded (no JSON
 * decoding in Lua, which also refused some escapes), every check runs before the first write, and
 * the `#!lua` line makes Redis refuse the whole script up front when it is out of memory, rather
 * than at the first write. Key names come from src/redis/keys.ts, as KEYS or as the fixed head of
 * a key whose variable part is read inside the script.
 *
 * Every record and index is written with its expiry (PEXPIREAT, in the history's clock, so that
 * a record, its index score and the trim cutoff agree): retention holds with no sweeper running.
 */

// KEYS: 1 delivery, 2 deliveries index, 3 deliveries by source, 4 deliveries by outcome,
// 5 delivery id -> source, 6 deployments index, 7 queued-status index, 8 deployments by source,
// 9-14 the deploy queue's keys (src/queue/inline-add.ts); then per deployment: its hash, its
// transitions, by route, its m per-service indexes (one per lane, and a release's own) and its p
// pending sets (one per lane); last, when the content was signed, the key that remembers its
// signature.
// ARGV: 1 delivery JSON, 2 index member, 3 score, 4 delivery expiry (ms), 5 source, 6 delivery
// event JSON, 7 events stream, 8 deployment count, 9 the delivery key head, 10 expiry (ms) of
// deployments and of the indexes, 11 expiry of the outcome index, 12 '1' when signed, 13 the deploy
// queue's job key head, 14 the events stream's cap; then per deployment: id, push order,
// transition JSON, event JSON, m, p, n, and n hash field/value strings.
// Each deployment's deploy job is written with it, so a deployment is stored if and only if its job is.
// Returns the stored delivery JSON when this delivery id, or this signed content, is already stored.
export const RECORD_DELIVERY = `#!lua
${DEPLOY_QUEUE_LUA}
if redis.call('EXISTS', KEYS[1]) == 1 then return redis.call('GET', KEYS[1]) end
local signature = ARGV[12] == '1' and KEYS[#KEYS] or nil
if signature then
  local seen = redis.call('GET', signature)
  if seen then
    local original = redis.call('GET', ARGV[9] .. seen)
    if original then return original end
  end
end
local member, score, expires = ARGV[2], ARGV[3], ARGV[10]
local function index(key, s, m, at)
  redis.call('ZADD', key, s, m)
  redis.call('PEXPIREAT', key, at)
end
redis.call('SET', KEYS[1], ARGV[1], 'PXAT', ARGV[4])
-- The signature is remembered as long as the delivery it points to.
if signature then redis.call('SET', signature, member, 'PXAT', ARGV[4]) end
redis.call('SET', KEYS[5], ARGV[5], 'PXAT', ARGV[4])
index(KEYS[2], score, member, expires)
index(KEYS[3], score, member, expires)
index(KEYS[4], score, member, ARGV[11])
local jobs = deployQueue(9, ARGV[13])
local k, a = 15, 15
local function publish(event) redis.call('XADD', ARGV[7], 'MAXLEN', '~', ARGV[14], '*', 'e', event) end
for _ = 1, tonumber(ARGV[8]) do
  local id, order, m, p, n = ARGV[a], ARGV[a + 1], tonumber(ARGV[a + 4]), tonumber(ARGV[a + 5]), tonumber(ARGV[a + 6])
  redis.call('HSET', KEYS[k], unpack(ARGV, a + 7, a + 6 + n))
  redis.call('PEXPIREAT', KEYS[k], expires)
  redis.call('RPUSH', KEYS[k + 1], ARGV[a + 2])
  redis.call('PEXPIREAT', KEYS[k + 1], expires)
  index(KEYS[6], score, id, expires)
  index(KEYS[7], score, id, expires)
  index(KEYS[8], score, id, expires)
  index(KEYS[k + 2], score, id, expires)
  for i = 1, m do index(KEYS[k + 2 + i], score, id, expires) end
  for i = 1, p do index(KEYS[k + 2 + m + i], order, id, expires) end
  jobs.add(id, score)
  publish(ARGV[a + 3])
  k, a = k + 3 + m + p, a + 7 + n
end
publish(ARGV[6])
-- Capped by length, and gone with the history when nothing is written for the whole retention.
redis.call('PEXPIREAT', ARGV[7], expires)
return false
`;

// KEYS: 1 deployment hash, 2 its transitions. ARGV: 1 new status, 2 allowed-from list as ",a,b,",
// 3 transition JSON, 4 updatedAt, 5 leaves-pending flag, 6 count-attempt flag, 7 status index
// head, 8 and 9 a pending-set key around its lane (the deployment's lanes are comma-separated), 10 events stream, 11 expiry (ms):
// every transition re-arms it, so a deployment still moving never expires under its deploy; 12 the
// events stream's cap; then field/value strings to set with the transition.
// Returns { 1, previous } when applied, { 0, current or 'missing' } when refused.
export const TRANSITION = `#!lua
-- The services' lanes name their pending sets; deployments stored before lanes existed have only a jobId.
local current = redis.call('HMGET', KEYS[1], 'status', 'createdAtMs', 'lanes', 'id', 'jobId')
if not current[1] then return { 0, 'missing' } end
if not string.find(ARGV[2], ',' .. current[1] .. ',', 1, true) then return { 0, current[1] } end
local status, expires = ARGV[1], ARGV[11]
redis.call('HSET', KEYS[1], 'status', status, 'updatedAt', ARGV[4], unpack(ARGV, 13))
if ARGV[6] == '1' then redis.call('HINCRBY', KEYS[1], 'attempts', 1) end
redis.call('RPUSH', KEYS[2], ARGV[3])
redis.call('PEXPIREAT', KEYS[1], expires)
redis.call('PEXPIREAT', KEYS[2], expires)
if current[1] ~= status then
  redis.call('ZREM', ARGV[7] .. current[1], current[4])
  redis.call('ZADD', ARGV[7] .. status, current[2], current[4])
  redis.call('PEXPIREAT', ARGV[7] .. status, expires)
end
if ARGV[5] == '1' then
  for lane in string.gmatch(current[3] or current[5], '[^,]+') do redis.call('ZREM', ARGV[8] .. lane .. ARGV[9], current[4]) end
end
redis.call('XADD', ARGV[10], 'MAXLEN', '~', ARGV[12], '*', 'e', cjson.encode({ type = 'deployment', id = current[4], status = status, previous = current[1], at = ARGV[4] }))
redis.call('PEXPIREAT', ARGV[10], expires)
return { 1, current[1], current[2] }
`;

// Undoes RECORD_DELIVERY for a delivery whose answer was a 5xx, so the sender's retry is stored as
// new: only while every one of its deployments is still queued (no worker has touched it), and
// with each deploy job a worker has not taken yet.
// KEYS as RECORD_DELIVERY's, the queued-status index included. ARGV: 1 index member, 2 delivery id,
// 3 source, 4 deployment count, 5 '1' when signed, 6 the deploy queue's job key head, then per
// deployment: id, m, p (its index and pending-set counts). Returns 1 when forgotten, 0 when kept.
export const FORGET_DELIVERY = `#!lua
${DEPLOY_QUEUE_LUA}
local n = tonumber(ARGV[4])
local k = 15
for i = 1, n do
  local status = redis.call('HGET', KEYS[k], 'status')
  if status and status ~= 'queued' then return 0 end
  k = k + 3 + tonumber(ARGV[5 + 3 * i]) + tonumber(ARGV[6 + 3 * i])
end
local member = ARGV[1]
redis.call('DEL', KEYS[1])
redis.call('ZREM', KEYS[2], member)
redis.call('ZREM', KEYS[3], member)
redis.call('ZREM', KEYS[4], member)
if redis.call('GET', KEYS[5]) == ARGV[3] then redis.call('DEL', KEYS[5]) end
local jobs = deployQueue(9, ARGV[6])
k = 15
for i = 1, n do
  local id, m, p = ARGV[4 + 3 * i], tonumber(ARGV[5 + 3 * i]), tonumber(ARGV[6 + 3 * i])
  jobs.removeWaiting(id)
  redis.call('DEL', KEYS[k], KEYS[k + 1])
  redis.call('ZREM', KEYS[6], id)
  redis.call('ZREM', KEYS[7], id)
  redis.call('ZREM', KEYS[8], id)
  for j = k + 2, k + 2 + m + p do redis.call('ZREM', KEYS[j], id) end
  k = k + 3 + m + p
end
local signature = ARGV[5] == '1' and KEYS[#KEYS] or nil
if signature and redis.call('GET', signature) == member then redis.call('DEL', signature) end
return 1
`;

// Removes what retention says is gone, at most ARGV[2] members per index per call, so a backlog
// (a lowered retention, a first run on an old Redis) drains over many calls instead of blocking
// Redis in one. allow-oom: it only deletes, and a full Redis is when it is needed most.
// KEYS: 1 deliveries index, 2 deliveries by source, 3 deployments index, 4 deployments by source,
// then one deliveries-by-outcome index per outcome, then indexes trimmed by score (deployments
// by job and by route), then the jobs' pending sets (scored by push order, not by time, so their
// members are checked for a deployment that still exists instead).
// ARGV: 1 cutoff (ms: scores at or before it are gone), 2 limit, 3 most deliveries kept,
// 4 delivery key head, 5 delivery-source key head, 6 deliveries-by-source head, 7 deployment key
// head, 8 status index head, 9 outcome count n, 10 by-score index count m, 11 pending members
// checked at each end, then n cutoffs (one per outcome index), then the statuses.
// Members are "<source>/<id>" and source names hold no "/".
// Returns { trimmed, capped }.
export const TRIM = `#!lua flags=allow-oom
local cutoff, limit, n, m = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[9]), tonumber(ARGV[10])
local trimmed, capped = 0, 0
local function older(key, before)
  return redis.call('ZRANGEBYSCORE', key, '-inf', before, 'LIMIT', 0, limit)
end
local function drop(key, members)
  if #members > 0 then trimmed = trimmed + redis.call('ZREM', key, unpack(members)) end
end
local function bySource(member)
  return ARGV[6] .. string.match(member, '^[^/]*')
end
for i = 1, 4 do drop(KEYS[i], older(KEYS[i], cutoff)) end
-- An outcome kept shorter than the retention leaves the mixed indexes with its own index.
for i = 1, n do
  local key = KEYS[4 + i]
  local old = older(key, ARGV[11 + i])
  drop(key, old)
  if #old > 0 then redis.call('ZREM', KEYS[1], unpack(old)) end
  for _, member in ipairs(old) do redis.call('ZREM', bySource(member), member) end
end
for i = 5 + n, 4 + n + m do drop(KEYS[i], older(KEYS[i], cutoff)) end
local ends = tonumber(ARGV[11]) - 1
for i = 5 + n + m, #KEYS do
  for _, range in ipairs({ 'ZRANGE', 'ZREVRANGE' }) do
    for _, id in ipairs(redis.call(range, KEYS[i], 0, ends)) do
      if redis.call('EXISTS', ARGV[7] .. id) == 0 then trimmed = trimmed + redis.call('ZREM', KEYS[i], id) end
    end
  end
end
for i = 12 + n, #ARGV do
  local key = ARGV[8] .. ARGV[i]
  drop(key, older(key, cutoff))
end
local excess = redis.call('ZCARD', KEYS[1]) - tonumber(ARGV[3])
if excess > 0 then
  local oldest = redis.call('ZRANGE', KEYS[1], 0, math.min(excess, limit) - 1)
  for _, member in ipairs(oldest) do
    local source = string.match(member, '^[^/]*')
    local id = string.sub(member, #source + 2)
    redis.call('DEL', ARGV[4] .. member)
    redis.call('ZREM', ARGV[6] .. source, member)
    for i = 1, n do redis.call('ZREM', KEYS[4 + i], member) end
    if redis.call('GET', ARGV[5] .. id) == source then redis.call('DEL', ARGV[5] .. id) end
  end
  capped = redis.call('ZREMRANGEBYRANK', KEYS[1], 0, #oldest - 1)
end
return { trimmed, capped }
`;
