/**
 * Lua scripts keep each logical write atomic and to one round trip: a delivery with all its
 * deployments and indexes, or one status transition with its index moves and its publication.
 */

// KEYS[1] delivery key. ARGV: prefix, delivery JSON, index member, score, source, outcome, count,
// delivery id, delivery event JSON, then per deployment: id, jobId, route, order, transition JSON,
// event JSON, n, and n hash field/value pairs. Everything arrives encoded: decoding or encoding
// JSON in Lua was a third of the script's cost.
export const RECORD_DELIVERY = `
if redis.call('EXISTS', KEYS[1]) == 1 then return redis.call('GET', KEYS[1]) end
local p = ARGV[1]
local score = ARGV[4]
local source = ARGV[5]
redis.call('SET', KEYS[1], ARGV[2])
redis.call('ZADD', p .. ':dlvs', score, ARGV[3])
redis.call('ZADD', p .. ':dlvs:source:' .. source, score, ARGV[3])
redis.call('ZADD', p .. ':dlvs:outcome:' .. ARGV[6], score, ARGV[3])
redis.call('HSET', p .. ':dlv-sources', ARGV[8], source)
local i = 10
for _ = 1, tonumber(ARGV[7]) do
  local id, jobId = ARGV[i], ARGV[i + 1]
  local hash = p .. ':dep:' .. id
  redis.call('HSET', hash, unpack(cjson.decode(ARGV[i + 6])))
  redis.call('RPUSH', hash .. ':tr', ARGV[i + 4])
  redis.call('ZADD', p .. ':deps', score, id)
  redis.call('ZADD', p .. ':deps:job:' .. jobId, score, id)
  redis.call('ZADD', p .. ':deps:status:queued', score, id)
  redis.call('ZADD', p .. ':deps:route:' .. ARGV[i + 2], score, id)
  redis.call('ZADD', p .. ':deps:source:' .. source, score, id)
  redis.call('ZADD', p .. ':job:' .. jobId .. ':pending', ARGV[i + 3], id)
  redis.call('PUBLISH', p .. ':events', ARGV[i + 5])
  i = i + 7
end
redis.call('PUBLISH', p .. ':events', ARGV[9])
return false
`;

// KEYS[1] deployment hash, KEYS[2] its transitions list. ARGV: prefix, new status,
// allowed-from list as ",a,b,", transition JSON, updatedAt, extra field/value list as JSON, leaves-pending flag.
// Returns { 1, previous } when applied, { 0, current or 'missing' } when refused.
export const TRANSITION = `
local current = redis.call('HMGET', KEYS[1], 'status', 'createdAtMs', 'jobId', 'id')
if not current[1] then return { 0, 'missing' } end
if not string.find(ARGV[3], ',' .. current[1] .. ',', 1, true) then return { 0, current[1] } end
local p, status = ARGV[1], ARGV[2]
local fields = { 'status', status, 'updatedAt', ARGV[5] }
for _, v in ipairs(cjson.decode(ARGV[6])) do fields[#fields + 1] = v end
redis.call('HSET', KEYS[1], unpack(fields))
if ARGV[8] == '1' then redis.call('HINCRBY', KEYS[1], 'attempts', 1) end
redis.call('RPUSH', KEYS[2], ARGV[4])
if current[1] ~= status then
  redis.call('ZREM', p .. ':deps:status:' .. current[1], current[4])
  redis.call('ZADD', p .. ':deps:status:' .. status, current[2], current[4])
end
if ARGV[7] == '1' then redis.call('ZREM', p .. ':job:' .. current[3] .. ':pending', current[4]) end
redis.call('PUBLISH', p .. ':events', cjson.encode({ type = 'deployment', id = current[4], status = status, previous = current[1] }))
return { 1, current[1] }
`;
