import { luaScript as script } from '../redis/lua-script.js';

/**
 * KEYS: lock, fence counter (same hash slot). ARGV: token, ttl ms.
 * Returns the new fencing token (>= 1) when acquired, else minus the holder's remaining ms (<= 0),
 * which tells a waiter when the lease ends at the latest.
 */
export const ACQUIRE = script(`
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then
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
