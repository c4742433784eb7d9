import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { RedisBus } from '../../lib/bus/redis.bus.js';
import { BusError } from '../../lib/common/warp.errors.js';
import { checkRecoveryFromKilledConnections, connectionIdsNamed } from '../helpers/redis-connections.js';
import { SERVICES, skipUnless } from '../helpers/services.js';
import { busContract } from '../../lib/testing/bus.contract.js';

const skip = await skipUnless('redis');

busContract(
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
    assert.equal((await connectionIdsNamed(admin, name)).length, 1);
    await bus.close();
    assert.equal(user.status, 'ready');
    assert.equal(await user.ping(), 'PONG');
    assert.deepEqual(await connectionIdsNamed(admin, name), []);
  });

  it('reports a killed subscriber connection as disconnected, resubscribes, reports connected, and delivers again', async () => {
    const name = `warp-bus-test-${randomUUID()}`;
    const bus = new RedisBus(client(), { connectionName: name });
    const publisher = new RedisBus(client());
    try {
      await checkRecoveryFromKilledConnections({ bus, publisher, admin: client(), name, connections: 1 });
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
