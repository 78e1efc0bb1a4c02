/**
 * Lua scripts keep each logical write atomic and to one round trip: a delivery with all its
 * deployments and indexes, or one status transition with its index moves and its publication.
 *
 * Redis does not roll a script back when a command in it fails, so these scripts are written to
 * have nothing that can fail once the first write is made: every value arrives encoded (no JSON
 * decoding in Lua, which also refused some escapes), every check runs before the first write, and
 * the `#!lua` line makes Redis refuse the whole script up front when it is out of memory, rather
 * than at the first write. Key names come from src/redis/keys.ts, as KEYS or as the fixed head of
 * a key whose variable part is read inside the script.
 */

// KEYS: 1 delivery, 2 deliveries index, 3 deliveries by source, 4 deliveries by outcome,
// 5 delivery-id -> source hash, 6 deployments index, 7 queued-status index, 8 deployments by
// source; then per deployment: its hash, its transitions, by job, by route, the job's pending set;
// last, when the content was signed, the key that remembers its signature.
// ARGV: 1 delivery JSON, 2 index member, 3 score, 4 delivery id, 5 source, 6 delivery event JSON,
// 7 events channel, 8 deployment count, 9 the delivery key head; then per deployment: id, push
// order, transition JSON, event JSON, n, and n hash field/value strings.
// Returns the stored delivery JSON when this delivery id, or this signed content, is already stored.
export const RECORD_DELIVERY = `#!lua
if redis.call('EXISTS', KEYS[1]) == 1 then return redis.call('GET', KEYS[1]) end
local signature = KEYS[9 + 5 * tonumber(ARGV[8])]
if signature then
  local seen = redis.call('GET', signature)
  if seen then
    local original = redis.call('GET', ARGV[9] .. seen)
    if original then return original end
  end
end
local member, score = ARGV[2], ARGV[3]
redis.call('SET', KEYS[1], ARGV[1])
if signature then redis.call('SET', signature, member) end
redis.call('ZADD', KEYS[2], score, member)
redis.call('ZADD', KEYS[3], score, member)
redis.call('ZADD', KEYS[4], score, member)
redis.call('HSET', KEYS[5], ARGV[4], ARGV[5])
local k, a = 9, 10
for _ = 1, tonumber(ARGV[8]) do
  local id, order, n = ARGV[a], ARGV[a + 1], tonumber(ARGV[a + 4])
  redis.call('HSET', KEYS[k], unpack(ARGV, a + 5, a + 4 + n))
  redis.call('RPUSH', KEYS[k + 1], ARGV[a + 2])
  redis.call('ZADD', KEYS[6], score, id)
  redis.call('ZADD', KEYS[7], score, id)
  redis.call('ZADD', KEYS[8], score, id)
  redis.call('ZADD', KEYS[k + 2], score, id)
  redis.call('ZADD', KEYS[k + 3], score, id)
  redis.call('ZADD', KEYS[k + 4], order, id)
  redis.call('PUBLISH', ARGV[7], ARGV[a + 3])
  k, a = k + 5, a + 5 + n
end
redis.call('PUBLISH', ARGV[7], ARGV[6])
return false
`;

// KEYS: 1 deployment hash, 2 its transitions. ARGV: 1 new status, 2 allowed-from list as ",a,b,",
// 3 transition JSON, 4 updatedAt, 5 leaves-pending flag, 6 count-attempt flag, 7 status index
// head, 8 and 9 the job's pending-set key around the job id, 10 events channel, then field/value
// strings to set with the transition.
// Returns { 1, previous } when applied, { 0, current or 'missing' } when refused.
export const TRANSITION = `#!lua
local current = redis.call('HMGET', KEYS[1], 'status', 'createdAtMs', 'jobId', 'id')
if not current[1] then return { 0, 'missing' } end
if not string.find(ARGV[2], ',' .. current[1] .. ',', 1, true) then return { 0, current[1] } end
local status = ARGV[1]
redis.call('HSET', KEYS[1], 'status', status, 'updatedAt', ARGV[4], unpack(ARGV, 11))
if ARGV[6] == '1' then redis.call('HINCRBY', KEYS[1], 'attempts', 1) end
redis.call('RPUSH', KEYS[2], ARGV[3])
if current[1] ~= status then
  redis.call('ZREM', ARGV[7] .. current[1], current[4])
  redis.call('ZADD', ARGV[7] .. status, current[2], current[4])
end
if ARGV[5] == '1' then redis.call('ZREM', ARGV[8] .. current[3] .. ARGV[9], current[4]) end
redis.call('PUBLISH', ARGV[10], cjson.encode({ type = 'deployment', id = current[4], status = status, previous = current[1] }))
return { 1, current[1], current[2] }
`;

// Undoes RECORD_DELIVERY for a delivery whose answer was a 5xx, so the sender's retry is stored as
// new: only while every one of its deployments is still queued (no worker has touched it).
// KEYS as RECORD_DELIVERY's, the queued-status index included. ARGV: 1 index member, 2 delivery id,
// 3 source, 4 deployment count, then the deployment ids. Returns 1 when forgotten, 0 when kept.
export const FORGET_DELIVERY = `#!lua
local n = tonumber(ARGV[4])
for i = 1, n do
  local status = redis.call('HGET', KEYS[4 + 5 * i], 'status')
  if status and status ~= 'queued' then return 0 end
end
local member = ARGV[1]
redis.call('DEL', KEYS[1])
redis.call('ZREM', KEYS[2], member)
redis.call('ZREM', KEYS[3], member)
redis.call('ZREM', KEYS[4], member)
if redis.call('HGET', KEYS[5], ARGV[2]) == ARGV[3] then redis.call('HDEL', KEYS[5], ARGV[2]) end
for i = 1, n do
  local id, k = ARGV[4 + i], 4 + 5 * i
  redis.call('DEL', KEYS[k], KEYS[k + 1])
  redis.call('ZREM', KEYS[6], id)
  redis.call('ZREM', KEYS[7], id)
  redis.call('ZREM', KEYS[8], id)
  redis.call('ZREM', KEYS[k + 2], id)
  redis.call('ZREM', KEYS[k + 3], id)
  redis.call('ZREM', KEYS[k + 4], id)
end
local signature = KEYS[9 + 5 * n]
if signature and redis.call('GET', signature) == member then redis.call('DEL', signature) end
return 1
`;
