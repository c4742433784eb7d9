import 'reflect-metadata';
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Injectable } from '@nestjs/common';
import { Transport } from '@nestjs/microservices';
import { Test } from '@nestjs/testing';
import {
  InvalidOptionsError,
  MemoryBus,
  Mode,
  WarpKey,
  WarpModule,
  WarpService,
  type Warp,
  type WarpModuleOptions,
} from '../../lib/index.js';
// Not public: the tests reach the engine behind WarpService through its DI token.
import { WARP_INSTANCE } from '../../lib/warp.constants.js';
import { RecordingLogger } from '../helpers/warp-factory.js';

/** Builds a testing module importing Warp with `options`; rejects where Nest would fail at startup. */
async function boot(warpModule: ReturnType<typeof WarpModule.forRoot>, providers: Array<new (...args: any[]) => unknown> = []) {
  const moduleRef = await Test.createTestingModule({ imports: [warpModule], providers }).compile();
  const app = moduleRef.createNestApplication({ logger: false });
  await app.init();
  return app;
}

/** Asserts booting with `options` fails with InvalidOptionsError matching every pattern, before any backend is used. */
async function refused(options: unknown, ...patterns: RegExp[]): Promise<void> {
  await assert.rejects(boot(WarpModule.forRoot(options as WarpModuleOptions)), (error: unknown) => {
    assert.ok(error instanceof InvalidOptionsError, `expected InvalidOptionsError, got ${String(error)}`);
    for (const pattern of patterns) assert.match(error.message, pattern);
    return true;
  });
}

describe('WarpModule.forRoot options are checked at startup', () => {
  it('refuses cache: { host, port } at startup instead of a TypeError at the first set', async () => {
    await refused({ cache: { host: '127.0.0.1', port: 6379 } }, /"cache": expected a WarpCache/, /new TieredCache\(new MemoryCache\(\), new RedisCache\(redis\)\)/);
  });

  it('refuses bus: { host, port } naming bus.transport and the accepted transports', async () => {
    await refused({ bus: { host: '127.0.0.1', port: 6379 } }, /"bus\.transport"/, /Transport\.REDIS, Transport\.NATS or Transport\.MQTT/, /got undefined/);
  });

  it('refuses Nest transport options without transport, with an unsupported one, or with fields outside options', async () => {
    await refused({ bus: { options: { host: '127.0.0.1', port: 6379 } } }, /"bus\.transport"/);
    await refused({ bus: { transport: Transport.TCP, options: {} } }, /"bus\.transport"/, /got 0/);
    await refused({ bus: { transport: Transport.REDIS, host: '127.0.0.1' } }, /Unknown Warp option "bus\.host"/, /transport, options, client/);
    await refused({ bus: { transport: Transport.REDIS, options: 'redis://x' } }, /"bus\.options"/);
  });

  it('refuses a bus object missing some WarpBus methods, naming them', async () => {
    const partial = { connect: async () => {}, publish: async () => {} };
    await refused({ bus: partial }, /"bus": expected a WarpBus/, /subscribe, onConnectionChange, close missing/);
  });

  it('refuses unknown and misspelt names, module ones included', async () => {
    await refused({ publishTimeOut: 500 }, /Unknown Warp option "publishTimeOut" \(did you mean "publishTimeout"\?\)/, /warmupOnBootstrap/);
    await refused({ ttl: 60_000 }, /did you mean "defaultTtl"\?/);
    await refused({ warmupOnBoot: true }, /did you mean "warmupOnBootstrap"\?/);
    await refused({ warmupOnBootstrap: 'yes' }, /"warmupOnBootstrap": expected true or false/);
    await refused({ metrics: 'prometheus' }, /"metrics"/);
    await refused({ keys: [{ key: 'a:*', mode: Mode.StrongLocal }, { key: 'b:*', mode: Mode.StrongLocal }, { key: 'c:*', mode: 'strong' }] }, /"keys\[2\]\.mode"/);
  });

  it('checks what a forRootAsync factory returns the same way, and reports isGlobal returned by it', async () => {
    const asyncWith = (options: object) => WarpModule.forRootAsync({ useFactory: () => options as WarpModuleOptions });
    await assert.rejects(boot(asyncWith({ publishTimeOut: 1 })), /did you mean "publishTimeout"/);
    await assert.rejects(boot(asyncWith({ isGlobal: true })), (error: unknown) => error instanceof InvalidOptionsError && /forRootAsync\(\{ isGlobal/.test(error.message));
  });

  it('accepts the module-only options and isGlobal on forRoot itself', async () => {
    const app = await boot(WarpModule.forRoot({ isGlobal: true, warmupOnBootstrap: true, metrics: false, logger: new RecordingLogger() }));
    await app.close();
  });
});

@Injectable()
class Reports {
  @WarpKey((id: string) => `report:${id}`, Mode.StrongLocal)
  async find(id: string): Promise<string> {
    return id;
  }
}

describe('WarpModule.forRoot({ logger })', () => {
  it('sends the engine\'s, the explorer\'s and the lifecycle\'s lines to the given logger', async () => {
    const logger = new RecordingLogger();
    const app = await boot(WarpModule.forRoot({ logger, warmupOnBootstrap: true }), [Reports]);
    const warp = app.get<Warp>(WARP_INSTANCE);
    assert.equal(warp.logger, logger);
    assert.ok(logger.lines.some((line) => line.startsWith('log: Warp started:')), logger.lines.join('\n'));
    assert.ok(logger.lines.some((line) => line.startsWith('log: Warmup:')));
    assert.ok(logger.lines.some((line) => line.startsWith('warn: Reports.find: @WarpKey with a function template')));
    await app.close();
  });

  it('logs one startup line with node id, incarnation, namespace, bus, cache tiers, store, locker and registrations', async () => {
    const logger = new RecordingLogger();
    const bus = new MemoryBus();
    const app = await boot(
      WarpModule.forRoot({
        logger,
        nodeId: 'node-a',
        namespace: 'shop',
        bus,
        keys: [
          { key: 'product:*', mode: Mode.EventualDistributed },
          { key: 'order:*', mode: Mode.StrongDistributed },
        ],
      }),
    );
    const warp = app.get<Warp>(WARP_INSTANCE);
    const started = logger.lines.filter((line) => line.includes('Warp started'));
    assert.equal(started.length, 1);
    assert.equal(
      started[0],
      `log: Warp started: node node-a (incarnation ${warp.incarnation}), namespace "shop", bus MemoryBus, cache MemoryCache, ` +
        'store MemoryStore, locker MemoryLocker (shared by the MemoryBus nodes of this process), 2 key registrations',
    );
    assert.match(warp.incarnation, /^[0-9a-f]{16}$/);
    await app.close();
  });

  it('keeps Nest\'s Logger when no logger is given', async () => {
    const app = await boot(WarpModule.forRoot());
    assert.equal(app.get<Warp>(WARP_INSTANCE).logger.constructor.name, 'Logger');
    assert.ok(app.get(WarpService));
    await app.close();
  });
});
