import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { RedisBus } from '../../lib/bus/redis.bus.js';
import { BusError } from '../../lib/warp.errors.js';
import { BusInbox, ConnectionLog } from '../helpers/bus-inbox.js';
import { SERVICES, skipUnless } from '../helpers/services.js';
import { syncBusContract } from '../unit/contracts/sync-bus.contract.js';

const skip = await skipUnless('redis');

syncBusContract(
  'RedisBus',
  async () => {
    const clientA = new Redis(SERVICES.redis);
    const clientB = new Redis(SERVICES.redis);
    const a = new RedisBus(clientA);
    const b = new RedisBus(clientB);
    return {
      a,
      b,
      cleanup: async () => {
        await Promise.all([a.close(), b.close()]);
        await Promise.all([clientA.quit(), clientB.quit()]);
      },
    };
  },
  { skip },
);

/** The id of the connection named `name`, from `CLIENT LIST`. */
async function clientIdByName(admin: Redis, name: string): Promise<string> {
  const list = (await admin.client('LIST')) as string;
  const line = list.split('\n').find((entry) => entry.includes(` name=${name} `));
  assert.ok(line, `no connection named ${name}`);
  return /(?:^|\s)id=(\d+)/.exec(line)![1];
}

describe('RedisBus', { skip }, () => {
  const clients: Redis[] = [];
  const client = () => {
    const created = new Redis(SERVICES.redis);
    clients.push(created);
    return created;
  };
  after(async () => {
    await Promise.all(clients.map((c) => (c.status === 'ready' ? c.quit() : c.disconnect())));
  });

  it("never closes the user's client, only the subscriber connection it opened", async () => {
    const user = client();
    const name = `warp-bus-test-${randomUUID()}`;
    const admin = client();
    const bus = new RedisBus(user, { connectionName: name });
    await bus.subscribe(`warp.test-${randomUUID()}.sync`, () => undefined);
    await clientIdByName(admin, name);
    await bus.close();
    assert.equal(user.status, 'ready');
    assert.equal(await user.ping(), 'PONG');
    const list = (await admin.client('LIST')) as string;
    assert.equal(list.includes(` name=${name} `), false);
  });

  it('reports a killed subscriber connection as disconnected, resubscribes, reports connected, and delivers again', async () => {
    const name = `warp-bus-test-${randomUUID()}`;
    const admin = client();
    const bus = new RedisBus(client(), { connectionName: name });
    const publisher = new RedisBus(client());
    const channel = `warp.test-${randomUUID()}.sync`;
    const inbox = new BusInbox();
    try {
      await bus.subscribe(channel, inbox.handler);
      await publisher.publish(channel, Buffer.from('before'));
      await inbox.take(1);
      const log = new ConnectionLog(bus);
      // Only this connection: other suites share the Redis and their subscribers must survive.
      await admin.client('KILL', 'ID', await clientIdByName(admin, name));
      await log.until([false, true]);
      assert.equal(bus.connected, true);
      await publisher.publish(channel, Buffer.from('after'));
      assert.deepEqual((await inbox.take(2)).map(String), ['before', 'after']);
    } finally {
      await Promise.all([bus.close(), publisher.close()]);
    }
  });

  it('rejects connect with BusError when Redis cannot be reached, and closes the connection it tried', async () => {
    const unreachable = new Redis({ host: '127.0.0.1', port: 1, lazyConnect: true, retryStrategy: () => null });
    clients.push(unreachable);
    const bus = new RedisBus(unreachable);
    await assert.rejects(bus.connect(), BusError);
    assert.equal(bus.connected, false);
    await bus.close();
  });

  it('rejects publish and subscribe with BusError once closed', async () => {
    const bus = new RedisBus(client());
    await bus.connect();
    await bus.close();
    await bus.close();
    assert.equal(bus.connected, false);
    await assert.rejects(bus.publish('warp.x.y', Buffer.from('x')), BusError);
    await assert.rejects(bus.subscribe('warp.x.y', () => undefined), BusError);
  });
});
