import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { afterEach, describe, it } from 'node:test';
import type { WarpBus } from '../bus/bus.interface.js';
import { BusInbox } from './bus-inbox.js';
import { eventually } from './eventually.js';

/** Two nodes on the same bus backend, and what closes everything `makePair` opened. */
export interface BusPair {
  a: WarpBus;
  b: WarpBus;
  cleanup(): Promise<void>;
}

/** Resources that keep a process alive (sockets, ref'ed timers), by kind. */
function liveResources(): string[] {
  return process.getActiveResourcesInfo().filter((kind) => kind !== 'TTYWrap' && kind !== 'FSReqCallback');
}

/**
 * The behaviour every `WarpBus` backend keeps, checked with two nodes `a` and `b`. Channels are
 * unique per test, so suites can share a real broker with other suites running concurrently.
 */
export function busContract(name: string, makePair: () => Promise<BusPair>, opts: { skip?: string | false } = {}): void {
  describe(`WarpBus contract: ${name}`, { skip: opts.skip }, () => {
    let pair: BusPair | undefined;
    const channel = (label: string) => `warp.contract-${randomUUID().slice(0, 8)}.${label}`;

    async function connected(): Promise<BusPair> {
      pair = await makePair();
      await Promise.all([pair.a.connect(), pair.b.connect()]);
      return pair;
    }

    afterEach(async () => {
      await pair?.cleanup();
      pair = undefined;
    });

    it('reports connected once connect resolves, and connect is idempotent', async () => {
      const { a, b } = await connected();
      assert.equal(a.connected, true);
      assert.equal(b.connected, true);
      await a.connect();
      assert.equal(a.connected, true);
    });

    it('delivers the exact bytes one node publishes to a subscriber on another node', async () => {
      const { a, b } = await connected();
      const inbox = new BusInbox();
      const ch = channel('exact');
      await b.subscribe(ch, inbox.handler);
      const payload = Buffer.from('{"v":1,"kind":"inv","body":{"keys":["user:1"]}}');
      await a.publish(ch, payload);
      const [received] = await inbox.take(1);
      assert.ok(received.equals(payload));
    });

    it('delivers a node its own messages', async () => {
      const { a } = await connected();
      const inbox = new BusInbox();
      const ch = channel('echo');
      await a.subscribe(ch, inbox.handler);
      await a.publish(ch, Buffer.from('echo'));
      assert.equal((await inbox.take(1))[0].toString(), 'echo');
    });

    it("keeps one publisher's order over 500 messages", async () => {
      const { a, b } = await connected();
      const inbox = new BusInbox();
      const ch = channel('order');
      await b.subscribe(ch, inbox.handler);
      const sends: Promise<void>[] = [];
      for (let i = 0; i < 500; i++) {
        const payload = Buffer.alloc(4);
        payload.writeUInt32BE(i);
        sends.push(a.publish(ch, payload));
      }
      await Promise.all(sends);
      const received = await inbox.take(500);
      assert.deepEqual(
        received.map((payload) => payload.readUInt32BE(0)),
        Array.from({ length: 500 }, (_, i) => i),
      );
    });

    it('has a subscription active as soon as subscribe resolves', async () => {
      const { a, b } = await connected();
      for (let round = 0; round < 5; round++) {
        const inbox = new BusInbox();
        const ch = channel(`fresh${round}`);
        await b.subscribe(ch, inbox.handler);
        await a.publish(ch, Buffer.from(`round ${round}`));
        assert.equal((await inbox.take(1))[0].toString(), `round ${round}`);
      }
    });

    it('stops delivering to a handler once its unsubscribe resolved', async () => {
      const { a, b } = await connected();
      const ch = channel('unsub');
      const removed = new BusInbox();
      const kept = new BusInbox();
      const unsubscribe = await b.subscribe(ch, removed.handler);
      await b.subscribe(ch, kept.handler);
      await a.publish(ch, Buffer.from('first'));
      await removed.take(1);
      await kept.take(1);
      await unsubscribe();
      await unsubscribe(); // idempotent
      await a.publish(ch, Buffer.from('second'));
      await kept.take(2);
      assert.equal(removed.received.length, 1);
    });

    it('stops delivering a channel once its last handler unsubscribed', async () => {
      const { a, b } = await connected();
      const gone = channel('gone');
      const marker = channel('marker');
      const goneInbox = new BusInbox();
      const markerInbox = new BusInbox();
      const unsubscribe = await b.subscribe(gone, goneInbox.handler);
      await b.subscribe(marker, markerInbox.handler);
      await unsubscribe();
      // Same publisher, same connection: every transport here delivers these two in order, so
      // once the marker arrives the message on the unsubscribed channel would have too.
      await a.publish(gone, Buffer.from('lost'));
      await a.publish(marker, Buffer.from('marker'));
      await markerInbox.take(1);
      assert.equal(goneInbox.received.length, 0);
      const again = new BusInbox();
      await b.subscribe(gone, again.handler);
      await a.publish(gone, Buffer.from('back'));
      assert.equal((await again.take(1))[0].toString(), 'back');
      assert.equal(goneInbox.received.length, 0);
    });

    it('carries binary payloads with every byte value intact', async () => {
      const { a, b } = await connected();
      const inbox = new BusInbox();
      const ch = channel('binary');
      await b.subscribe(ch, inbox.handler);
      const everyByte = Buffer.from(Array.from({ length: 1024 }, (_, i) => i % 256));
      const invalidUtf8 = Buffer.from([0xff, 0xfe, 0x00, 0xc3, 0x28, 0xed, 0xa0, 0x80]);
      const large = randomBytes(64 * 1024);
      for (const payload of [everyByte, invalidUtf8, large]) await a.publish(ch, new Uint8Array(payload));
      const received = await inbox.take(3);
      assert.ok(received[0].equals(everyByte));
      assert.ok(received[1].equals(invalidUtf8));
      assert.ok(received[2].equals(large));
    });

    it('keeps delivering to other handlers when one handler throws', async () => {
      const { a, b } = await connected();
      const ch = channel('throws');
      const inbox = new BusInbox();
      const warnings: Error[] = [];
      const onWarning = (warning: Error) => warnings.push(warning);
      process.on('warning', onWarning);
      try {
        await b.subscribe(ch, () => {
          throw new Error('handler bug');
        });
        await b.subscribe(ch, inbox.handler);
        await a.publish(ch, Buffer.from('one'));
        await a.publish(ch, Buffer.from('two'));
        assert.deepEqual((await inbox.take(2)).map(String), ['one', 'two']);
        await eventually(() => warnings.some((w) => w.message === 'handler bug'));
      } finally {
        process.off('warning', onWarning);
      }
    });

    it('lets a connection listener be removed', async () => {
      const { a } = await connected();
      const remove = a.onConnectionChange(() => assert.fail('removed listener called'));
      remove();
      remove();
    });

    it('releases every connection and timer on close, so the process can exit', async () => {
      const baseline = liveResources().length;
      const { a, b } = await connected();
      const inbox = new BusInbox();
      const ch = channel('close');
      await b.subscribe(ch, inbox.handler);
      await a.subscribe(ch, () => undefined);
      await a.publish(ch, Buffer.from('bye'));
      await inbox.take(1);
      await a.close();
      await a.close(); // idempotent
      await b.close();
      await pair!.cleanup();
      pair = undefined;
      await eventually(() => liveResources().length <= baseline, 5000).catch(() => {
        assert.fail(`resources still open after close: ${JSON.stringify(liveResources())} (baseline ${baseline})`);
      });
    });
  });
}
