import { createHash } from 'node:crypto';
import type { Cluster, Redis } from 'ioredis';

/** A Lua script with its SHA1, run by `EVALSHA` (falling back to `EVAL` on a cold script cache). */
export interface LuaScript {
  readonly lua: string;
  readonly sha: string;
}

/** A `LuaScript` of `lua`, its SHA1 computed once. */
export function luaScript(lua: string): LuaScript {
  return { lua, sha: createHash('sha1').update(lua).digest('hex') };
}

/**
 * Runs `script` on `client` by SHA, loading it with `EVAL` when the server does not know it yet
 * (first use, restart, `SCRIPT FLUSH`). Leaves the user's client untouched (no `defineCommand`).
 * On a Cluster every key must hash to one slot (use hash tags).
 *
 * @typeParam R - What the script returns, as ioredis converts it (integer: number, nil/false: null).
 */
export async function runScript<R = number>(
  client: Redis | Cluster,
  { lua, sha }: LuaScript,
  keys: readonly string[],
  args: ReadonlyArray<string | number | Buffer>,
): Promise<R> {
  // Both client types share the commander API; the union's overloads are not callable as-is.
  const commander = client as Redis;
  try {
    return (await commander.evalsha(sha, keys.length, ...keys, ...args)) as R;
  } catch (error) {
    if (!(error instanceof Error) || !error.message.startsWith('NOSCRIPT')) throw error;
    return (await commander.eval(lua, keys.length, ...keys, ...args)) as R;
  }
}
