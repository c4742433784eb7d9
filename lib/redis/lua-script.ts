import { createHash } from 'node:crypto';
import type { Cluster, Redis } from 'ioredis';

/** A Lua script with its SHA1, run by `EVALSHA` (falling back to `EVAL` on a cold script cache). */
export interface LuaScript {
  readonly lua: string;
  readonly sha: string;
}

/** The script commands of both client types (ioredis 6 types its `*Buffer` variants through `Commander` only). */
interface ScriptCommands {
  evalsha(...args: Array<string | number | Buffer>): Promise<unknown>;
  eval(...args: Array<string | number | Buffer>): Promise<unknown>;
  evalshaBuffer(...args: Array<string | number | Buffer>): Promise<unknown>;
  evalBuffer(...args: Array<string | number | Buffer>): Promise<unknown>;
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
 * @typeParam R - What the script returns, as ioredis converts it (integer: number, nil/false: null;
 * bulk strings as Buffers when `buffers`).
 */
export async function runScript<R = number>(
  client: Redis | Cluster,
  { lua, sha }: LuaScript,
  keys: readonly string[],
  args: ReadonlyArray<string | number | Buffer>,
  buffers = false,
): Promise<R> {
  // Both client types share the commander API; the union's overloads are not callable as-is.
  const commander = client as unknown as ScriptCommands;
  try {
    return (await (buffers ? commander.evalshaBuffer : commander.evalsha).call(commander, sha, keys.length, ...keys, ...args)) as R;
  } catch (error) {
    if (!(error instanceof Error) || !error.message.startsWith('NOSCRIPT')) throw error;
    return (await (buffers ? commander.evalBuffer : commander.eval).call(commander, lua, keys.length, ...keys, ...args)) as R;
  }
}
