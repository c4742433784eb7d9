import assert from 'node:assert/strict';
import { type ChildProcess, fork } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { RedisLocker } from '../../lib/lock/redis.locker.js';
import { deleteKeysWithPrefix } from '../helpers/redis-cleanup.js';
import { SERVICES, skipUnless } from '../helpers/services.js';
import type { LockWorkerCommand, LockWorkerMessage } from './fixtures/lock-worker.js';

const skip = await skipUnless('redis');
const workerPath = fileURLToPath(new URL('./fixtures/lock-worker.js', import.meta.url));
const runPrefix = `warp:test:lock-processes:${randomUUID()}:`;
const children = new Set<ChildProcess>();

function startWorker(command: LockWorkerCommand): ChildProcess {
  const child = fork(workerPath, [JSON.stringify(command)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}

/** The next message of `type` from `child`; rejects if the child exits first. */
function nextMessage<T extends LockWorkerMessage['type']>(
  child: ChildProcess,
  type: T,
): Promise<Extract<LockWorkerMessage, { type: T }>> {
  return new Promise((resolve, reject) => {
    const onMessage = (message: LockWorkerMessage): void => {
      if (message.type !== type) return;
      cleanup();
      resolve(message as Extract<LockWorkerMessage, { type: T }>);
    };
    const onExit = (code: number | null, signal: string | null): void => {
      cleanup();
      reject(new Error(`worker exited (code ${code}, signal ${signal}) before sending "${type}"`));
    };
    const cleanup = (): void => {
      child.off('message', onMessage);
      child.off('exit', onExit);
    };
    child.on('message', onMessage);
    child.on('exit', onExit);
  });
}

describe('Redis locks across OS processes', { skip }, () => {
  const admin = skip ? undefined : new Redis(SERVICES.redis);

  after(async () => {
    for (const child of children) child.kill('SIGKILL');
    if (admin !== undefined) {
      await deleteKeysWithPrefix(admin, runPrefix);
      await admin.quit();
    }
  });

  it('serializes read-modify-write increments from three processes: the total is exact', async () => {
    const times = 40;
    const prefix = `${runPrefix}rmw:`;
    const counter = `${prefix}counter`;
    const workers = [1, 2, 3].map(() => startWorker({ mode: 'increment', prefix, lock: 'counter', counter, times }));
    await Promise.all(workers.map((worker) => nextMessage(worker, 'ready')));
    const exits = workers.map((worker) => once(worker, 'exit'));
    for (const worker of workers) worker.send({ type: 'go' });
    await Promise.all(workers.map((worker) => nextMessage(worker, 'done')));
    for (const [code] of await Promise.all(exits)) assert.equal(code, 0);
    assert.equal(await admin!.get(counter), String(3 * times));
  });

  it('hands the lock of a SIGKILLed holder to another process after its ttl, with a greater fencing token', async () => {
    const prefix = `${runPrefix}kill:`;
    const holder = startWorker({ mode: 'hold', prefix, lock: 'leader', ttl: 1_000 });
    const { fencingToken: killedToken } = await nextMessage(holder, 'holding');

    const locker = new RedisLocker(admin!, { prefix });
    try {
      const successor = locker.acquire('leader', { ttl: 10_000, waitTimeout: 15_000 });
      // The holder's watchdog keeps renewing while it lives: nobody else gets the lock.
      await assert.rejects(locker.acquire('leader', { ttl: 10_000, waitTimeout: 0 }), /not acquired/);
      const exited = once(holder, 'exit');
      holder.kill('SIGKILL');
      const [, signal] = await exited;
      assert.equal(signal, 'SIGKILL');
      const handle = await successor;
      assert.ok(handle.fencingToken > killedToken, `${handle.fencingToken} > ${killedToken}`);
      await handle.release();
    } finally {
      await locker.close();
    }
  });
});
