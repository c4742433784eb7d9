import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MemoryBus } from '../../../lib/bus/memory.bus.js';
import { BusError } from '../../../lib/common/warp.errors.js';
import { BusInbox, ConnectionLog } from '../../../lib/testing/bus-inbox.js';
import { busContract } from '../../../lib/testing/bus.contract.js';

busContract('MemoryBus, one view per node', async () => {
  const bus = new MemoryBus();
  const a = bus.node();
  const b = bus.node();
  return { a, b, cleanup: async () => void (await Promise.all([a.close(), b.close()])) };
});

busContract('MemoryBus, one instance shared by both nodes', async () => {
  const bus = new MemoryBus();
  return { a: bus, b: bus, cleanup: () => bus.close() };
});

describe('MemoryBus', () => {
  it('never runs a handler inside publish', async () => {
    const bus = new MemoryBus();
    const inbox = new BusInbox();
    await bus.subscribe('ch', inbox.handler);
    const publishing = bus.publish('ch', Buffer.from('x'));
    assert.equal(inbox.received.length, 0);
    await publishing;
    assert.equal(inbox.received.length, 0);
    await inbox.take(1);
  });

  it('gives each node its own copy of the bytes', async () => {
    const bus = new MemoryBus();
    const [a, b, c] = [bus.node(), bus.node(), bus.node()];
    const mutate = (payload: Uint8Array) => payload.fill(0);
    const inbox = new BusInbox();
    await b.subscribe('ch', mutate);
    await c.subscribe('ch', inbox.handler);
    const payload = Buffer.from('intact');
    await a.publish('ch', payload);
    payload.fill(1);
    assert.equal((await inbox.take(1))[0].toString(), 'intact');
  });

  it('connects two modules that are given the same instance', async () => {
    const bus = new MemoryBus();
    const first = new BusInbox();
    const second = new BusInbox();
    await bus.subscribe('ch', first.handler);
    await bus.subscribe('ch', second.handler);
    await bus.publish('ch', Buffer.from('hello'));
    await Promise.all([first.take(1), second.take(1)]);
  });

  it('stays usable by the other modules sharing it after one of them closes it', async () => {
    const bus = new MemoryBus();
    const inbox = new BusInbox();
    await bus.subscribe('ch', inbox.handler);
    await bus.close();
    assert.equal(bus.connected, true);
    await bus.publish('ch', Buffer.from('still here'));
    assert.equal((await inbox.take(1))[0].toString(), 'still here');
  });

  it('flush() resolves once every message, replies included, has been delivered', async () => {
    const bus = new MemoryBus();
    const [a, b] = [bus.node(), bus.node()];
    const replies: string[] = [];
    await b.subscribe('ping', (payload) => void b.publish('pong', payload));
    await a.subscribe('pong', (payload) => replies.push(Buffer.from(payload).toString()));
    await a.publish('ping', Buffer.from('1'));
    await a.publish('ping', Buffer.from('2'));
    await a.flush();
    assert.deepEqual(replies, ['1', '2']);
    await bus.flush(); // nothing pending: resolves at once
  });

  describe('disconnect() and reconnect() test hooks', () => {
    async function cluster() {
      const bus = new MemoryBus();
      const [a, b, c] = [bus.node(), bus.node(), bus.node()];
      const inboxes = { a: new BusInbox(), b: new BusInbox(), c: new BusInbox() };
      await a.subscribe('ch', inboxes.a.handler);
      await b.subscribe('ch', inboxes.b.handler);
      await c.subscribe('ch', inboxes.c.handler);
      return { bus, a, b, c, inboxes };
    }

    it('cut one node off: its listeners hear false at once and its publishes reject with BusError', async () => {
      const { b } = await cluster();
      const log = new ConnectionLog(b);
      b.disconnect();
      assert.deepEqual(log.changes, [false]);
      assert.equal(b.connected, false);
      await assert.rejects(b.publish('ch', Buffer.from('x')), BusError);
      b.disconnect(); // already down: no second notification
      assert.deepEqual(log.changes, [false]);
    });

    it('lose, not delay, the messages meant for a disconnected node, while the others keep talking', async () => {
      const { a, b, inboxes } = await cluster();
      b.disconnect();
      await a.publish('ch', Buffer.from('missed'));
      await a.flush();
      assert.equal(inboxes.c.received.length, 1);
      b.reconnect();
      await a.publish('ch', Buffer.from('after'));
      await a.flush();
      assert.deepEqual(inboxes.b.received.map(String), ['after']);
      assert.deepEqual(inboxes.c.received.map(String), ['missed', 'after']);
    });

    it('drop messages already queued for a node that disconnects before they are delivered', async () => {
      const { a, b, inboxes } = await cluster();
      await a.publish('ch', Buffer.from('in flight'));
      b.disconnect();
      await a.flush();
      assert.equal(inboxes.b.received.length, 0);
      assert.equal(inboxes.a.received.length, 1);
    });

    it('reconnect() tells listeners true and keeps the subscriptions', async () => {
      const { a, b, inboxes } = await cluster();
      const log = new ConnectionLog(b);
      b.disconnect();
      b.reconnect();
      assert.deepEqual(log.changes, [false, true]);
      assert.equal(b.connected, true);
      await b.publish('ch', Buffer.from('back'));
      await Promise.all([inboxes.a.take(1), inboxes.b.take(1)]);
      await a.close();
    });

    it('cut off every module using the shared instance when called on it', async () => {
      const bus = new MemoryBus();
      const inbox = new BusInbox();
      await bus.subscribe('ch', inbox.handler);
      const other = bus.node();
      bus.disconnect();
      await other.publish('ch', Buffer.from('missed'));
      await other.flush();
      assert.equal(inbox.received.length, 0);
      bus.reconnect();
      await other.publish('ch', Buffer.from('heard'));
      assert.equal((await inbox.take(1))[0].toString(), 'heard');
    });
  });

  it('rejects every operation of a closed node with BusError', async () => {
    const bus = new MemoryBus();
    const node = bus.node();
    await node.connect();
    await node.close();
    assert.equal(node.connected, false);
    await assert.rejects(node.publish('ch', Buffer.from('x')), BusError);
    await assert.rejects(node.subscribe('ch', () => undefined), BusError);
    await assert.rejects(node.connect(), BusError);
  });
});
