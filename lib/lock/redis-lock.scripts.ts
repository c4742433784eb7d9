import { luaScript as script } from '../redis/lua-script.js';

/**
 * KEYS: lock, fence counter (same hash slot). ARGV: token, ttl ms.
 * Returns the new fencing token (>= 1) when acquired, else minus the holder's remaining ms (<= 0),
 * which tells a waiter when the lease ends at the latest.
 *
 * A missing counter starts at the server's time in ms × 1024: a counter lost with Redis's data
 * (a restart without persistence, a failover to a lagging replica) restarts above every token it
 * gave, unless those averaged over 1024 acquisitions per ms, so a store still holding an old token
 * accepts the next holder. Exact in a double until the year 2248.
 */
export const ACQUIRE = script(`
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then
  if redis.call('EXISTS', KEYS[2]) == 0 then
    local now = redis.call('TIME')
    local ms = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000)
    redis.call('SET', KEYS[2], string.format('%.0f', ms * 1024))
  end
  return redis.call('INCR', KEYS[2])
end
local pttl = redis.call('PTTL', KEYS[1])
if pttl < 0 then pttl = 0 end
return -pttl
`);

/** `ACQUIRE` without a fencing counter: returns 1 when acquired, else minus the holder's remaining ms (<= 0). */
export const ACQUIRE_UNFENCED = script(`
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then
  return 1
end
local pttl = redis.call('PTTL', KEYS[1])
if pttl < 0 then pttl = 0 end
return -pttl
`);

/** KEYS: lock. ARGV: token, ttl ms. Returns 1 when the lease was extended, 0 when the token is gone. */
export const RENEW = script(`
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0
`);

/**
 * KEYS: lock. ARGV: token, release channel, lock name. Deletes the lock only if it still holds
 * the token, then publishes the name so waiters on every process retry at once. Returns 1 when
 * deleted, 0 when the token was gone.
 */
export const RELEASE = script(`
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('DEL', KEYS[1])
  redis.call('PUBLISH', ARGV[2], ARGV[3])
  return 1
end
return 0
`);
