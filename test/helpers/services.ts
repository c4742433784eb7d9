import { access, constants } from 'node:fs/promises';
import { connect } from 'node:net';
import { delimiter, join } from 'node:path';

/** The real services the machines run; tests talk to them, never to mocks of them. */
export const SERVICES = {
  redis: { host: '127.0.0.1', port: 6379 },
  nats: { host: '127.0.0.1', port: 4222 },
  mqtt: { host: '127.0.0.1', port: 1883 },
  rabbitmq: { host: '127.0.0.1', port: 5672 },
  postgres: { host: '127.0.0.1', port: 5432 },
} as const;

/** How tests log in to PostgreSQL: trust auth on the machines, database `test`. */
export const POSTGRES = { ...SERVICES.postgres, user: process.env.PGUSER ?? 'postgres', database: process.env.PGDATABASE ?? 'test' } as const;

export type ServiceName = keyof typeof SERVICES;

function reachable(host: string, port: number, timeoutMs = 5000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/**
 * Resolves to `false` when the service is reachable, or to a skip reason when it is not. With
 * `CI=true` an unreachable service throws instead, so CI fails rather than silently skipping.
 *
 * @example
 * const skip = await skipUnless('redis');
 * describe('RedisCache', { skip }, () => { ... });
 */
export async function skipUnless(name: ServiceName): Promise<string | false> {
  const { host, port } = SERVICES[name];
  // Twice, 5 s each: a loaded machine (test files in parallel spawning processes) can stall one probe.
  if ((await reachable(host, port)) || (await reachable(host, port))) return false;
  const message = `${name} is not reachable on ${host}:${port}`;
  if (process.env.CI === 'true') throw new Error(`${message} and CI=true: failing instead of skipping`);
  const banner = '!'.repeat(72);
  console.error(`\n${banner}\n!! SKIPPING ${name.toUpperCase()} TESTS: ${message}\n${banner}\n`);
  return `SKIPPED: ${message}`;
}

async function onPath(command: string): Promise<boolean> {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (dir === '') continue;
    try {
      await access(join(dir, command), constants.X_OK);
      return true;
    } catch {
      // not in this directory
    }
  }
  return false;
}

/**
 * Like `skipUnless`, for tests that start servers of their own: `false` when every command is on
 * PATH, else a skip reason (loudly printed), or a throw with `CI=true`.
 */
export async function skipUnlessOnPath(commands: readonly string[], purpose: string): Promise<string | false> {
  const missing: string[] = [];
  for (const command of commands) if (!(await onPath(command))) missing.push(command);
  if (missing.length === 0) return false;
  const message = `${missing.join(' and ')} not on PATH: cannot start ${purpose}`;
  if (process.env.CI === 'true') throw new Error(`${message} and CI=true: failing instead of skipping`);
  const banner = '!'.repeat(72);
  console.error(`\n${banner}\n!! SKIPPING ${purpose.toUpperCase()} TESTS: ${message}\n${banner}\n`);
  return `SKIPPED: ${message}`;
}
