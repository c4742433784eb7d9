import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { BusProtocol } from '../../../lib/cluster/bus-protocol.js';
import { MemoryBus, type MemoryBusNode } from '../../../lib/bus/memory.bus.js';
import { MemoryCache } from '../../../lib/cache/memory.cache.js';
import { Mode } from '../../../lib/common/mode.js';
import type { Warp } from '../../../lib/engine/warp.js';
import type { WarpOptions } from '../../../lib/interfaces/warp-options.interface.js';
import { MemoryStore } from '../../../lib/store/memory.store.js';
import { InvalidOptionsError } from '../../../lib/common/warp.errors.js';
import { eventually } from '../../helpers/deferred.js';
import { RecordingLogger, WarpFactory } from '../../helpers/warp-factory.js';

const HEARTBEAT = 40;
const NAMESPACE = 'members';
const CHANNEL = `warp.${NAMESPACE}.sync`;
const factory = new WarpFactory();
afterEach(() => factory.closeAll());

interface Captured {
  payload: Uint8Array;
  kind: string;
  from: string;
}

/** A process on the bus that only listens and replays: what an attacker who can publish can do. */
async function eavesdropper(bus: MemoryBus): Promise<{ view: MemoryBusNode; captured: Captured[]; replay(message: Captured): Promise<void> }> {
  const view = bus.node();
  await view.connect();
  const captured: Captured[] = [];
  await view.subscribe(CHANNEL, (payload) => {
    // A signed message is the signed JSON with the signature spliced in front: still one JSON object.
    const { kind, from } = JSON.parse(Buffer.from(payload).toString()) as { kind: string; from: string };
    captured.push({ payload: Buffer.from(payload), kind, from });
  });
  return { view, captured, replay: (message) => view.publish(CHANNEL, message.payload) };
}

function node(bus: MemoryBus, nodeId: string, extra: WarpOptions = {}): Promise<Warp> {
  return factory.start({
    nodeId,
    namespace: NAMESPACE,
    bus: bus.node(),
    heartbeatInterval: HEARTBEAT,
    keys: [{ key: 'st', mode: Mode.StrongDistributed }],
    ...extra,
  });
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('membership under replayed messages (signed bus)', () => {
  it('keeps a restarted node a member when the goodbye of its earlier incarnation is replayed', async () => {
    const bus = new MemoryBus();
    const spy = await eavesdropper(bus);
    const store = new MemoryStore();
    const common = { secret: 's3cret', store };
    const a = await node(bus, 'a', common);
    const b1 = await node(bus, 'b', common);
    await eventually(() => a.cluster.livePeers().includes('b'));
    await b1.close();
    await eventually(() => spy.captured.some((m) => m.kind === 'bye' && m.from === 'b'));
    const bye = spy.captured.find((m) => m.kind === 'bye' && m.from === 'b')!;
    const bCache = new MemoryCache();
    const b2 = await node(bus, 'b', { ...common, cache: bCache });
    await eventually(() => a.cluster.livePeers().includes('b') && b2.cluster.admitted);
    await a.set('st', 'old');
    assert.equal(await b2.get('st'), 'old');
    await spy.replay(bye);
    await pause(HEARTBEAT / 2);
    assert.deepEqual(a.cluster.livePeers(), ['b']);
    await a.set('st', 'new');
    assert.equal(await b2.get('st'), 'new');
  });

  it('does not count a departed node live again when its heartbeats are replayed', async () => {
    const bus = new MemoryBus();
    const spy = await eavesdropper(bus);
    const common = { secret: 's3cret', store: new MemoryStore(), publishTimeout: 1_000 };
    const a = await node(bus, 'a', common);
    const c = await node(bus, 'c', common);
    await eventually(() => a.cluster.livePeers().includes('c'));
    await c.close();
    await eventually(() => !a.cluster.livePeers().includes('c'));
    for (const heartbeat of spy.captured.filter((m) => m.kind === 'hb' && m.from === 'c')) await spy.replay(heartbeat);
    await pause(HEARTBEAT / 2);
    assert.deepEqual(a.cluster.livePeers(), []);
    const started = performance.now();
    await a.set('st', 1); // waits for nobody
    assert.ok(performance.now() - started < 500, `set took ${performance.now() - started} ms`);
  });

  it('delivers a replayed watch event once', async () => {
    const bus = new MemoryBus();
    const spy = await eavesdropper(bus);
    const common = { secret: 's3cret', store: new MemoryStore() };
    const a = await node(bus, 'a', common);
    const b = await node(bus, 'b', common);
    await eventually(() => a.cluster.livePeers().includes('b'));
    const events: string[] = [];
    const subscription = a.watch('orders');
    const reading = (async () => {
      for await (const event of subscription) events.push(Buffer.from(event.payload).toString());
    })();
    await b.publish('orders', Buffer.from('paid'));
    await eventually(() => events.length === 1);
    const watchMessage = spy.captured.find((m) => m.from === 'b' && m.kind !== 'hb')!;
    await spy.replay(watchMessage);
    await pause(HEARTBEAT);
    assert.deepEqual(events, ['paid']);
    subscription.unsubscribe();
    await reading;
  });
});

describe('membership under forged node ids (no secret)', () => {
  it('keeps the peer table bounded and answers a flood of newcomers with a few heartbeats', async () => {
    const bus = new MemoryBus();
    const spy = await eavesdropper(bus);
    const a = await node(bus, 'a', { store: new MemoryStore() });
    await pause(HEARTBEAT);
    const before = spy.captured.filter((m) => m.from === 'a' && m.kind === 'hb').length;
    for (let i = 0; i < 3_000; i++) {
      const forged = { v: 2, ns: NAMESPACE, from: `forged-${i}`, inc: 'x', seq: 0, at: Date.now(), kind: 'hb', body: {} };
      await spy.view.publish(CHANNEL, Buffer.from(JSON.stringify(forged)));
    }
    await pause(3 * HEARTBEAT);
    const replies = spy.captured.filter((m) => m.from === 'a' && m.kind === 'hb').length - before;
    assert.ok(a.cluster.livePeers().length <= 1_024, `${a.cluster.livePeers().length} peers`);
    // Its own periodic heartbeats plus a handful of coalesced replies, not one per newcomer.
    assert.ok(replies <= 10, `${replies} heartbeats sent`);
  });
});

describe('node identity', () => {
  it('reports two live processes that use one node id, on both, within a few heartbeats', async () => {
    const bus = new MemoryBus();
    const logs = [new RecordingLogger(), new RecordingLogger()];
    const first = await node(bus, 'dup', { store: new MemoryStore(), logger: logs[0] });
    const second = await node(bus, 'dup', { store: new MemoryStore(), logger: logs[1] });
    await eventually(() => first.cluster.duplicateNodeIds().includes('dup') && second.cluster.duplicateNodeIds().includes('dup'), 10 * HEARTBEAT);
    for (const logger of logs) assert.ok(logger.lines.some((line) => line.startsWith('error:') && line.includes('"dup"')), logger.lines.join('\n'));
  });

  it('makes a node restarted with its old node id a newcomer whose first strong write every peer sees', async () => {
    const bus = new MemoryBus();
    const store = new MemoryStore();
    const view = bus.node();
    await node(bus, 'a', { store, bus: view });
    const bCache = new MemoryCache();
    const b = await node(bus, 'b', { store, cache: bCache });
    await eventually(() => b.cluster.livePeers().includes('a') && b.cluster.admitted);
    await store.set('st', 'old');
    assert.equal(await b.get('st'), 'old');
    view.disconnect(); // "a" crashes: no goodbye
    const restarted = await node(bus, 'a', { store });
    await restarted.set('st', 'new');
    assert.equal(await b.get('st'), 'new');
  });

  it('refuses to start with distributed keys when no cluster-wide locker can be derived, naming "locks"', async () => {
    // A bus of the user's own (not Redis, not a MemoryBus): Warp cannot know it spans one process.
    const warp = factory.create({ bus: wrap(new MemoryBus().node()), keys: [{ key: 'st', mode: Mode.StrongDistributed }] });
    await assert.rejects(warp.start(), (error: unknown) => error instanceof InvalidOptionsError && /"locks"/.test(error.message));
  });
});

/** A plain WarpBus object delegating to `bus` (so it is no MemoryBus instance). */
function wrap(bus: MemoryBusNode) {
  return {
    get connected() {
      return bus.connected;
    },
    connect: () => bus.connect(),
    publish: (channel: string, payload: Uint8Array) => bus.publish(channel, payload),
    subscribe: (channel: string, handler: (payload: Uint8Array) => void) => bus.subscribe(channel, handler),
    onConnectionChange: (listener: (up: boolean) => void) => bus.onConnectionChange(listener),
    close: () => bus.close(),
  };
}

describe('StrongDistributed acknowledgements across versions', () => {
  it('counts the acknowledgement a member of an older version broadcasts on the cluster channel (it ignores the reply channel)', async () => {
    const bus = new MemoryBus();
    // An older member: heartbeats, and answers every prepare with an ack to everyone.
    const old = bus.node();
    await old.connect();
    const protocol = new BusProtocol({ namespace: NAMESPACE, nodeId: 'old' });
    let acks = 0;
    await old.subscribe(CHANNEL, (payload) => {
      const decoded = protocol.decode(payload);
      if (!decoded.ok || decoded.message.kind !== 'prep') return;
      const body = decoded.message.body as { id: number };
      acks++;
      void old.publish(CHANNEL, protocol.encode('ack', { id: body.id, to: `${decoded.message.from}/${decoded.message.inc}` }));
    });
    const beat = setInterval(() => void old.publish(CHANNEL, protocol.encode('hb', {})), HEARTBEAT);
    try {
      await old.publish(CHANNEL, protocol.encode('hb', {}));
      // quorum 1: the write rejects unless the old member's broadcast acknowledgement counted.
      const writer = await node(bus, 'new', { store: new MemoryStore(), quorum: 1 });
      await eventually(() => writer.cluster.livePeers().includes('old') && writer.cluster.admitted);
      await writer.set('st', 1);
      assert.equal(acks, 1);
    } finally {
      clearInterval(beat);
    }
  });
});
