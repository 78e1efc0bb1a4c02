import type { RelayKeys } from '../redis/keys.js';
import { DEPLOY_JOB_NAME, DEPLOY_QUEUE, deployJobOptions, deployJobSchema } from './jobs.js';

/**
 * Deploy jobs written inside the history's own script, in the same step as their deployments: a
 * webhook then costs Redis one script instead of two, the API process none of BullMQ's per-add
 * work (a Job object, MessagePack of its options, a second command), and a deployment is stored
 * if and only if its job is, with nothing to withdraw when half of a write failed.
 *
 * It writes what BullMQ's `addStandardJob` writes for the one kind of job the relay adds (its own
 * id, no delay, priority, parent, deduplication or LIFO): the job hash, the `added` and `waiting`
 * events, the id on the wait list and the marker that wakes a worker (none while the queue is
 * paused or at its global concurrency). test/integration/inline-add.test.ts compares it with
 * `queue.add` on the installed BullMQ, so an upgrade that changes the format fails there first.
 */

/** BullMQ names a queue's keys `<prefix>:<queue>:<type>`, and a job's hash `<prefix>:<queue>:<id>`. */
export function deployQueueKeys(keys: RelayKeys) {
  const head = `${keys.queuePrefix}:${DEPLOY_QUEUE}:`;
  return { head, scriptKeys: ['wait', 'meta', 'id', 'active', 'events', 'marker'].map((type) => head + type) };
}

/** How many keys `deployQueueKeys` passes; the scripts read them in that order. */
export const DEPLOY_QUEUE_KEY_COUNT = 6;

/** A JSON text with the deployment id left out, as the two Lua strings around it. */
function around(json: (id: string) => string): string {
  const mark = 'DEPLOYMENT-ID';
  const [before, after] = json(mark).split(mark);
  // Long brackets take the JSON as it is: it holds no "]=]".
  return `[=[${before}]=], [=[${after}]=]`;
}

const dataAround = around((deploymentId) => JSON.stringify(deployJobSchema.parse({ deploymentId })));
const optsAround = around((jobId) => JSON.stringify({ ...deployJobOptions, jobId }));

/**
 * Lua: `deployQueue(first, head)` reads the queue's state once (its KEYS from index `first`, in
 * `deployQueueKeys` order; `head` the job key head) and returns `add(id, timestamp)` and
 * `removeWaiting(id)`. Ids are deployment ids, which the job schema keeps to [A-Za-z0-9_-].
 */
export const DEPLOY_QUEUE_LUA = `
local function deployQueue(first, head)
  local wait, meta, counter, active, events, marker = KEYS[first], KEYS[first + 1], KEYS[first + 2], KEYS[first + 3], KEYS[first + 4], KEYS[first + 5]
  local dataBefore, dataAfter = ${dataAround}
  local optsBefore, optsAfter = ${optsAround}
  local function maxEvents()
    local n = redis.call('HGET', meta, 'opts.maxLenEvents')
    if not n then
      n = 10000
      redis.call('HSET', meta, 'opts.maxLenEvents', n)
    end
    return n
  end
  local function held()
    local state = redis.call('HMGET', meta, 'paused', 'concurrency')
    if state[1] then return true end
    return state[2] and redis.call('LLEN', active) >= tonumber(state[2]) or false
  end
  local queue = {}
  function queue.add(id, timestamp)
    local key = head .. id
    redis.call('INCR', counter)
    local most = maxEvents()
    if redis.call('EXISTS', key) == 1 then
      redis.call('XADD', events, 'MAXLEN', '~', most, '*', 'event', 'duplicated', 'jobId', id)
      return
    end
    redis.call('HMSET', key, 'name', '${DEPLOY_JOB_NAME}', 'data', dataBefore .. id .. dataAfter, 'opts', optsBefore .. id .. optsAfter,
      'timestamp', timestamp, 'delay', 0, 'priority', 0)
    redis.call('XADD', events, '*', 'event', 'added', 'jobId', id, 'name', '${DEPLOY_JOB_NAME}')
    redis.call('LPUSH', wait, id)
    if not held() then redis.call('ZADD', marker, 0, '0') end
    redis.call('XADD', events, 'MAXLEN', '~', most, '*', 'event', 'waiting', 'jobId', id)
  end
  -- A job a worker has taken is left alone: it finds no deployment and ends.
  function queue.removeWaiting(id)
    if redis.call('LREM', wait, 1, id) == 1 then
      redis.call('DEL', head .. id)
      redis.call('XADD', events, 'MAXLEN', '~', maxEvents(), '*', 'event', 'removed', 'jobId', id, 'prev', 'waiting')
    end
  end
  return queue
end
`;
