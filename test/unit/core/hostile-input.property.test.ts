import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import fc from 'fast-check';
import { BusProtocol } from '../../../lib/cluster/bus-protocol.js';
import { MemoryBus } from '../../../lib/bus/memory.bus.js';
import { Mode } from '../../../lib/common/mode.js';
import { Warp } from '../../../lib/engine/warp.js';
import { compileKeyTemplate } from '../../../lib/decorators/key-template.js';
import { NOOP_METRICS, type WarpMetrics } from '../../../lib/metrics/warp-metrics.interface.js';
import { MemoryStore } from '../../../lib/store/memory.store.js';
import { WarpError } from '../../../lib/common/warp.errors.js';
import { ChaosStore } from '../../helpers/chaos.store.js';
import { RecordingLogger, WarpFactory } from '../../helpers/warp-factory.js';

const RUNS = { numRuns: 300 };

/** Runs `fn`, sync or async, and fails unless it succeeds or fails with a WarpError. */
async function onlyWarpErrors(fn: () => unknown): Promise<'ok' | WarpError> {
  try {
    await fn();
    return 'ok';
  } catch (error) {
    assert.ok(error instanceof WarpError, `expected a WarpError, got ${String(error)} (${(error as Error)?.constructor?.name})`);
    return error;
  }
}

/** Anything a caller could pass: strings of every shape, numbers, objects, functions, symbols. */
const hostile = fc.oneof(
  fc.string(),
  fc.string({ unit: 'grapheme', maxLength: 400 }),
  fc.string({ minLength: 1000, maxLength: 1500 }),
  fc.constantFrom('', '*', '**', 'a**b', ':*:', '__proto__', 'constructor', 'user:*', '\u0000', '\ud800'),
  fc.anything(),
  fc.func(fc.anything()),
  fc.bigInt(),
  fc.constant(Symbol('s')),
);

describe('hostile input through the public API (fast-check)', () => {
  const factory = new WarpFactory();
  afterEach(() => factory.closeAll());

  it('keys: get, set, invalidate, register and unregister fail only with WarpErrors', async () => {
    const warp = await factory.start({ keys: [{ key: 'user:*', mode: Mode.StrongLocal }] });
    await fc.assert(
      fc.asyncProperty(hostile, async (key) => {
        const k = key as string;
        await onlyWarpErrors(() => warp.get(k));
        await onlyWarpErrors(() => warp.set(k, 1));
        await onlyWarpErrors(() => warp.invalidate(k));
        await onlyWarpErrors(() => warp.getMany([k]));
        await onlyWarpErrors(() => warp.lock(k, { waitTimeout: 0 }).then((handle) => handle.release()));
        const registered = await onlyWarpErrors(() => warp.register(k, Mode.StrongLocal, { ttl: 10 }));
        if (registered === 'ok') await onlyWarpErrors(() => warp.unregister(k));
      }),
      RUNS,
    );
    warp.register('final:*', Mode.StrongLocal);
    assert.equal(await warp.get('final:1'), undefined, 'the registry still works');
  });

  it('registration options: any mode, ttl or merge fails only with WarpErrors', async () => {
    const warp = await factory.start();
    await fc.assert(
      fc.asyncProperty(hostile, fc.anything(), async (mode, ttl) => {
        await onlyWarpErrors(() => warp.register('p:*', mode as Mode, { ttl: ttl as number }));
        await onlyWarpErrors(() => warp.register('p:*', Mode.StrongLocal, ttl as never));
      }),
      RUNS,
    );
  });

  it('values: set either stores exactly the value or fails with a WarpError and leaves the previous one', async () => {
    const store = new ChaosStore<unknown>();
    const warp = await factory.start({ store, keys: [{ key: 'v:*', mode: Mode.EventualDistributed }] });
    await warp.set('v:1', 'initial');
    await fc.assert(
      fc.asyncProperty(hostile, fc.boolean(), async (value, storeFails) => {
        const before = await warp.get('v:1');
        store.failWrites = storeFails ? 1 : 0;
        const outcome = await onlyWarpErrors(() => warp.set('v:1', value));
        store.failWrites = 0;
        const after = await warp.get('v:1');
        if (outcome === 'ok') assert.equal(after, value);
        else assert.equal(after, before);
        assert.equal(await store.inner.get('v:1'), after, 'the store and the cache agree');
      }),
      RUNS,
    );
  });

  it('a random sequence of set, get and invalidate matches a plain Map model', async () => {
    const keys = ['m:a', 'm:b', 'm:c'];
    const op = fc.oneof(
      fc.record({ kind: fc.constant('set' as const), key: fc.constantFrom(...keys), value: fc.jsonValue() }),
      fc.record({ kind: fc.constant('invalidate' as const), key: fc.constantFrom(...keys) }),
      fc.record({ kind: fc.constant('evict' as const), key: fc.constantFrom(...keys) }),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(op, { maxLength: 40 }), fc.constantFrom(Mode.StrongLocal, Mode.EventualDistributed), async (ops, mode) => {
        const warp = await factory.start({ keys: [{ key: 'm:*', mode }] });
        const model = new Map<string, unknown>();
        for (const step of ops) {
          if (step.kind === 'set') {
            if (step.value === undefined) continue;
            await warp.set(step.key, step.value);
            model.set(step.key, step.value);
          } else if (step.kind === 'invalidate') {
            await warp.invalidate(step.key); // the store keeps the value
          } else {
            warp.cache.evictLocal!([step.key]);
          }
          for (const key of keys) assert.deepEqual(await warp.get(key), model.get(key));
        }
        await warp.close();
      }),
      { numRuns: 100 },
    );
  });

  it('key templates: any template and arguments compile and resolve to a valid key or throw InvalidKeyError', async () => {
    const template = fc.oneof(
      hostile,
      fc.array(fc.oneof(fc.string({ maxLength: 5 }), fc.constantFrom('{0}', '{1}', '{0.id}', '{0.__proto__}', '{0.constructor}', '{9}', '{0.a.b}')), { maxLength: 6 }).map((parts) => parts.join('')),
    );
    const warp = await factory.start();
    await fc.assert(
      fc.asyncProperty(template, fc.array(fc.oneof(hostile, fc.record({ id: hostile, a: fc.record({ b: hostile }) })), { maxLength: 3 }), async (t, args) => {
        await onlyWarpErrors(() => {
          const compiled = compileKeyTemplate(t as string, 'Test.method');
          if (compiled.pattern !== undefined) void onlyWarpErrors(() => warp.register(compiled.pattern!, Mode.StrongLocal));
          const key = compiled.resolve(args);
          assert.equal(typeof key, 'string');
        });
      }),
      RUNS,
    );
  });

  it('engine options: any options object is accepted or rejected with a WarpError', async () => {
    const options = fc.oneof(
      fc.anything(),
      fc.record(
        {
          namespace: hostile,
          nodeId: hostile,
          publishTimeout: hostile,
          quorum: hostile,
          defaultTtl: hostile,
          heartbeatInterval: hostile,
          invalidationDelay: hostile,
          warmupConcurrency: hostile,
          secret: hostile,
          storeTimeout: hostile,
          failSafe: fc.oneof(hostile, fc.record({ grace: hostile, maxEntries: hostile })),
          validator: fc.oneof(hostile, fc.record({ mode: fc.oneof(hostile, fc.constantFrom('noop', 'alert')), interval: hostile, batchSize: hostile })),
          keys: fc.oneof(hostile, fc.array(fc.record({ key: hostile, mode: hostile, ttl: hostile }))),
        },
        { requiredKeys: [] },
      ),
    );
    await fc.assert(
      fc.asyncProperty(options, async (candidate) => {
        let warp: Warp | undefined;
        await onlyWarpErrors(() => {
          warp = new Warp({ logger: new RecordingLogger(), ...(candidate as object) });
        });
        await warp?.close();
      }),
      RUNS,
    );
  });
});

/** Counts what the engine reports, by kind, for assertions. */
class CountingMetrics {
  readonly dropped = new Map<string, number>();
  readonly sink: WarpMetrics = { ...NOOP_METRICS, busDropped: (reason) => this.dropped.set(reason, (this.dropped.get(reason) ?? 0) + 1) };
}

describe('hostile bus payloads through a real MemoryBus', () => {
  const factory = new WarpFactory();
  afterEach(() => factory.closeAll());

  async function cluster() {
    const bus = new MemoryBus();
    const store = new MemoryStore<unknown>();
    const counting = new CountingMetrics();
    const namespace = 'hostile';
    const keys = [{ key: 'k:*', mode: Mode.EventualDistributed }];
    const target = await factory.start({ bus: bus.node(), store, namespace, keys, metrics: counting.sink, nodeId: 'target' });
    const peer = await factory.start({ bus: bus.node(), store, namespace, keys, nodeId: 'peer' });
    const attacker = bus.node();
    const channel = new BusProtocol({ namespace, nodeId: 'attacker' }).channel('sync');
    const send = async (payload: Uint8Array | string) => {
      await attacker.publish(channel, typeof payload === 'string' ? Buffer.from(payload) : payload);
      await bus.flush();
    };
    return { bus, target, peer, send, dropped: counting.dropped };
  }

  const message = (kind: string, body: unknown) => JSON.stringify({ v: 1, ns: 'hostile', from: 'attacker', seq: 0, kind, body });

  it('rejects and counts oversized, malformed and __proto__-carrying payloads, and keeps serving', async () => {
    const { target, send, dropped } = await cluster();
    await target.set('k:1', 'kept');
    await send(Buffer.alloc(1024 * 1024 + 1, 0x7b));
    await send(Buffer.from([0xff, 0xfe, 0x00]));
    await send('{"v":1');
    await send(message('inv', { keys: ['k:1'], __proto__: { polluted: true } }).replace('"keys"', '"__proto__":{"polluted":true},"keys"'));
    await send(`{"v":1,"ns":"hostile","from":"attacker","seq":0,"kind":"inv","body":{"keys":["k:1"],"\\u005f_proto__":{"polluted":true}}}`);
    await send(message('inv', { keys: [1, 2] }));
    await send(message('sinv', { keys: ['k:1'], id: 'x' }));
    await send(message('inv', { keys: Array.from({ length: 600 }, (_, i) => `k:${i}`) }));
    await send(message('inv', null));
    await send(message('sinv', 42));
    assert.equal(dropped.get('oversized'), 1);
    assert.equal(dropped.get('malformed'), 9);
    assert.equal(({} as Record<string, unknown>).polluted, undefined, 'no prototype pollution');
    assert.equal(target.cache.peek!('k:1')?.value, 'kept', 'no rejected message evicted anything');
  });

  it('survives any bytes and any well-formed message a stranger sends: values always match the store', async () => {
    const { target, peer, send, bus } = await cluster();
    // A handler that throws is reported as a process warning by the bus: there must be none.
    const warnings: Error[] = [];
    const onWarning = (warning: Error) => warnings.push(warning);
    process.on('warning', onWarning);
    const kinds = fc.constantFrom('hb', 'bye', 'inv', 'sinv', 'ack', 'lease', 'watch', 'zzz');
    const payload = fc.oneof(
      fc.uint8Array({ maxLength: 512 }),
      fc.tuple(kinds, fc.jsonValue()).map(([kind, body]) => message(kind, body)),
      fc.tuple(kinds, fc.array(fc.oneof(fc.constantFrom('k:1', 'k:2', '__proto__'), fc.string()), { maxLength: 5 })).map(([kind, keys]) => message(kind, { keys, id: 1, ts: 1, at: 0 })),
    );
    await fc.assert(
      fc.asyncProperty(payload, fc.jsonValue(), async (bytes, value) => {
        if (value === undefined) return;
        await peer.set('k:1', value);
        await send(bytes);
        await bus.flush();
        assert.deepEqual(await target.store.get('k:1'), value);
        // The target either has not cached it, or caches what the store holds.
        const cached = target.cache.peek!('k:1');
        if (cached !== undefined) assert.deepEqual(cached.value, value);
      }),
      { numRuns: 200 },
    );
    process.off('warning', onWarning);
    assert.deepEqual(warnings.map(String), []);
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
  });
});
