import { luaScript } from '../redis/lua-script.js';

/**
 * `lower(a, b)`: whether fence `a` is below fence `b`. Fences travel as decimal strings of
 * non-negative integers without leading zeros, compared by length then digits: Lua numbers are
 * doubles, exact only up to 2^53.
 */
const LOWER = `
local function lower(a, b)
  if #a ~= #b then return #a < #b end
  return a < b
end
`;

/**
 * KEYS: value, fence record (same hash slot). ARGV: encoded value, fence ('' for none), value PX
 * and record PX ('' and '' for no expiry; `StoreWrite.ttl`, and that plus the tombstone ttl).
 * Writes the value unless the fence is below the accepted one. A fenced write records its fence;
 * any write makes the record live as long as the value again (no expiry, or until the tombstone
 * ttl after the value's) if a delete left a tombstone.
 * Returns nil when written, else the accepted fence (the write was refused, nothing changed).
 */
export const FENCED_SET = luaScript(`${LOWER}
local accepted = redis.call('GET', KEYS[2])
local fence = ARGV[2]
local px, recordPx = ARGV[3], ARGV[4]
if fence ~= '' then
  if accepted and lower(fence, accepted) then return accepted end
  if px ~= '' then redis.call('SET', KEYS[2], fence, 'PX', recordPx) else redis.call('SET', KEYS[2], fence) end
elseif accepted then
  if px ~= '' then redis.call('PEXPIRE', KEYS[2], recordPx) else redis.call('PERSIST', KEYS[2]) end
end
if px ~= '' then redis.call('SET', KEYS[1], ARGV[1], 'PX', px) else redis.call('SET', KEYS[1], ARGV[1]) end
return false
`);

/**
 * KEYS: value, fence record (same hash slot). ARGV: fence ('' for none), tombstone ttl ms.
 * Deletes the value unless the fence is below the accepted one; the fence record (the write's
 * fence, or the one already there) is kept as a tombstone for the ttl, so a stale writer cannot
 * bring the key back. Returns nil when deleted, else the accepted fence (nothing changed).
 */
export const FENCED_DELETE = luaScript(`${LOWER}
local accepted = redis.call('GET', KEYS[2])
local fence = ARGV[1]
if fence ~= '' then
  if accepted and lower(fence, accepted) then return accepted end
  redis.call('SET', KEYS[2], fence, 'PX', ARGV[2])
elseif accepted then
  redis.call('PEXPIRE', KEYS[2], ARGV[2])
end
redis.call('UNLINK', KEYS[1])
return false
`);
