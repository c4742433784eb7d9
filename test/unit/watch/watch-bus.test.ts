import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { firstValueFrom, from, take, toArray } from 'rxjs';
import type { BusMessage } from '../../../lib/cluster/bus-protocol.js';
import { NOOP_METRICS } from '../../../lib/metrics/warp-metrics.interface.js';
import type { Cluster } from '../../../lib/cluster/cluster.js';
import { WatchBus } from '../../../lib/watch/watch-bus.js';
import { WatchSubscription } from '../../../lib/watch/watch-subscription.js';
import { InvalidKeyError, InvalidOptionsError, PayloadTooLargeError, SerializationError, WarpClosedError } from '../../../lib/common/warp.errors.js';
import { WarpFactory } from '../../helpers/warp-factory.js';

const bytes = (text: string) => new TextEncoder().encode(text);
const text = (payload: Uint8Array) => new TextDecoder().decode(payload);

/** A transport that records what the watch bus sends and lets the test deliver messages to it. */
class RecordingTransport implements Pick<Cluster, 'on' | 'publish'> {
  readonly sent: Array<{ kind: string; body: any }> = [];
  handler?: (message: BusMessage) => void;
  on(_kind: string, handler: (message: BusMessage) => void): void {
    this.handler = handler;
  }
  async publish(kind: string, body: unknown): Promise<void> {
    this.sent.push({ kind, body });
  }
  deliver(from: string, body: unknown): void {
    this.handler!({ v: 2, ns: 'warp', from, inc: 'i1', seq: 0, at: Date.now(), kind: 'watch', body });
  }
}

function watchBus(bufferSize?: number, dropped: string[] = []) {
  const transport = new RecordingTransport();
  const metrics = { ...NOOP_METRICS, busDropped: (reason: string) => dropped.push(reason) };
  return { transport, bus: new WatchBus({ transport, nodeId: 'me', namespace: 'warp', metrics, bufferSize }) };
}

describe('WatchBus', () => {
  it('delivers a publication to local subscribers of the exact topic and of matching prefixes only', async () => {
    const { bus } = watchBus();
    const exact = bus.watch('orders.created');
    const prefix = bus.watch({ prefix: 'orders.' });
    const other = bus.watch({ prefix: 'users.' });
    await bus.publish('orders.created', bytes('42'));
    const [a, b] = [await exact.next(), await prefix.next()];
    assert.equal(a.done, false);
    assert.deepEqual(a.value, { topic: 'orders.created', payload: bytes('42'), origin: 'me', seq: 0 });
    assert.deepEqual(b.value, a.value);
    assert.equal(other.buffered, 0);
  });

  it('sends the payload base64-encoded with the topic and a per-publisher sequence number', async () => {
    const { bus, transport } = watchBus();
    await bus.publish('t', new Uint8Array([0, 255, 1]));
    await bus.publish('t', new Uint8Array([]));
    assert.deepEqual(transport.sent, [
      { kind: 'watch', body: { t: 't', p: 'AP8B', s: 0 } },
      { kind: 'watch', body: { t: 't', p: '', s: 1 } },
    ]);
  });

  it('delivers remote publications as plain Uint8Array bytes with the publisher as origin', async () => {
    const { bus, transport } = watchBus();
    const sub = bus.watch({ prefix: 'a' });
    transport.deliver('peer', { t: 'ab', p: Buffer.from([1, 2, 3]).toString('base64'), s: 7 });
    const { value } = await sub.next();
    assert.equal(Object.getPrototypeOf(value!.payload), Uint8Array.prototype);
    assert.deepEqual(value, { topic: 'ab', payload: new Uint8Array([1, 2, 3]), origin: 'peer', seq: 7 });
  });

  it('drops and counts malformed watch messages', () => {
    const dropped: string[] = [];
    const { bus, transport } = watchBus(undefined, dropped);
    const sub = bus.watch({ prefix: 'a' });
    transport.deliver('peer', { t: 'a', p: 5, s: 1 });
    transport.deliver('peer', { t: '', p: '', s: 1 });
    transport.deliver('peer', null);
    assert.deepEqual(dropped, ['malformed', 'malformed', 'malformed']);
    assert.equal(sub.buffered, 0);
  });

  it('drops the oldest buffered events when a subscriber falls behind, and counts them', async () => {
    const { bus } = watchBus(3);
    const slow = bus.watch('t');
    const roomy = bus.watch('t', { bufferSize: 10 });
    for (let i = 0; i < 5; i++) await bus.publish('t', bytes(String(i)));
    assert.equal(slow.dropped, 2);
    assert.equal(roomy.dropped, 0);
    const seen: string[] = [];
    for (let i = 0; i < 3; i++) seen.push(text((await slow.next()).value!.payload));
    assert.deepEqual(seen, ['2', '3', '4']);
  });

  it('resolves a waiting next() as soon as an event is published', async () => {
    const { bus } = watchBus();
    const sub = bus.watch('t');
    const pending = sub.next();
    await bus.publish('t', bytes('x'));
    assert.equal(text((await pending).value!.payload), 'x');
  });

  it('frees the subscription on return() and on break out of for-await', async () => {
    const { bus } = watchBus();
    const sub = bus.watch('t');
    const waiting = sub.next();
    await sub.return();
    assert.deepEqual(await waiting, { done: true, value: undefined });
    assert.equal(bus.subscriptions, 0);

    const looped = bus.watch({ prefix: 't' });
    await bus.publish('t1', bytes('a'));
    for await (const event of looped) {
      assert.equal(event.topic, 't1');
      break;
    }
    assert.equal(looped.closed, true);
    assert.equal(bus.subscriptions, 0);
    await bus.publish('t1', bytes('b'));
    assert.equal(looped.buffered, 0);
  });

  it('is an rxjs Observable through observable() and from(), and unsubscribing frees it', async () => {
    const { bus } = watchBus();
    const sub = bus.watch('t');
    const firstTwo = firstValueFrom(sub.observable().pipe(take(2), toArray()));
    await bus.publish('t', bytes('1'));
    await bus.publish('t', bytes('2'));
    assert.deepEqual((await firstTwo).map((e) => text(e.payload)), ['1', '2']);
    assert.equal(sub.closed, true); // take(2) unsubscribed
    assert.equal(bus.subscriptions, 0);

    const viaFrom = bus.watch('u');
    const first = firstValueFrom(from(viaFrom));
    await bus.publish('u', bytes('z'));
    assert.equal(text((await first).payload), 'z');
  });

  it('validates topics, prefixes, payloads and buffer sizes', async () => {
    const { bus } = watchBus();
    await assert.rejects(bus.publish('', bytes('x')), InvalidKeyError);
    await assert.rejects(bus.publish('x'.repeat(1025), bytes('x')), InvalidKeyError);
    await assert.rejects(bus.publish('t', 'text' as unknown as Uint8Array), SerializationError);
    assert.throws(() => bus.watch(''), InvalidKeyError);
    assert.throws(() => bus.watch({ prefix: '' }), InvalidKeyError);
    assert.throws(() => bus.watch('t', { bufferSize: 0 }), InvalidOptionsError);
  });

  it('rejects a payload that cannot fit in one bus message with PayloadTooLargeError, before sending anything', async () => {
    const { bus, transport } = watchBus();
    const sub = bus.watch('big');
    await assert.rejects(bus.publish('big', new Uint8Array(800 * 1024)), (error: unknown) => {
      assert.ok(error instanceof PayloadTooLargeError);
      assert.match(error.message, /819200 bytes on "big".*1048576-byte bus message/);
      return true;
    });
    assert.equal(transport.sent.length, 0);
    assert.equal(sub.buffered, 0);
    await bus.publish('big', new Uint8Array(700 * 1024)); // fits
  });

  it('ends every subscription on close, letting consumers drain what was buffered, and refuses new ones', async () => {
    const { bus } = watchBus();
    const sub = bus.watch('t');
    await bus.publish('t', bytes('last'));
    bus.close();
    assert.equal(text((await sub.next()).value!.payload), 'last');
    assert.equal((await sub.next()).done, true);
    assert.throws(() => bus.watch('t'), WarpClosedError);
    await assert.rejects(bus.publish('t', bytes('x')), WarpClosedError);
  });
});

describe('Warp publish and watch', () => {
  const warps = new WarpFactory();
  afterEach(() => warps.closeAll());

  it('delivers to watchers on the same node and ends them on close', async () => {
    const warp = await warps.start({ watch: { bufferSize: 2 } });
    const sub = warp.watch({ prefix: 'jobs.' });
    assert.equal(sub.bufferSize, 2);
    await warp.publish('jobs.1', bytes('run'));
    assert.equal(text((await sub.next()).value!.payload), 'run');
    await warp.close();
    assert.equal((await sub.next()).done, true);
  });

  it('validates the watch options at construction', async () => {
    await assert.rejects(warps.start({ watch: { bufferSize: 0 } }), /watch\.bufferSize/);
  });
});

describe('a watch subscription over its buffer', () => {
  it('releases each dropped payload at once', () => {
    const subscription = new WatchSubscription({ prefix: 'x' } as never, 1, () => {});
    const payloads = Array.from({ length: 100 }, (_, seq) => ({ topic: 'x', payload: new Uint8Array(8), origin: 'n', seq }));
    for (const event of payloads) subscription.push(event);
    const retained = (subscription as unknown as { queue: unknown[] }).queue.filter((e) => e !== undefined);
    assert.equal(retained.length, 1);
    assert.equal(subscription.dropped, 99);
  });
});
