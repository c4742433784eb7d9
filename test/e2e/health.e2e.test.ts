import 'reflect-metadata';
import assert from 'node:assert/strict';
import { after, afterEach, describe, it } from 'node:test';
import { Controller, Get, type INestApplication, Module } from '@nestjs/common';
import { HealthCheck, HealthCheckService, TerminusModule } from '@nestjs/terminus';
import { Redis } from 'ioredis';
import { MemoryBus, RedisStore, WarpModule, type WarpModuleOptions } from '../../lib/index.js';
import { WarpHealthIndicator } from '../../lib/health/warp.health.js';
import { startHttpApp } from '../helpers/http-app.js';
import { redisTestRun } from '../helpers/redis-test-run.js';
import { SERVICES, skipUnless } from '../helpers/services.js';

@Controller('health')
class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly warp: WarpHealthIndicator,
  ) {}

  @Get()
  @HealthCheck()
  check() {
    return this.health.check([() => this.warp.isHealthy('warp')]);
  }
}

async function start(options: WarpModuleOptions): Promise<{ app: INestApplication; url: string }> {
  @Module({
    imports: [TerminusModule.forRoot({ logger: false }), WarpModule.forRoot(options)],
    controllers: [HealthController],
    providers: [WarpHealthIndicator],
  })
  class HealthAppModule {}
  const { app, url } = await startHttpApp(HealthAppModule);
  return { app, url: `${url}/health` };
}

describe('WarpHealthIndicator in a Nest app with TerminusModule', () => {
  let app: INestApplication | undefined;
  afterEach(async () => {
    await app?.close();
    app = undefined;
  });

  it('is up with the bus connected and reports the membership, and no Redis when none is configured', async () => {
    const bus = new MemoryBus();
    const peer = bus.node();
    let url: string;
    ({ app, url } = await start({ bus: bus.node(), nodeId: 'health-a' }));
    const other = await start({ bus: peer, nodeId: 'health-b' });
    try {
      let body: any;
      for (let i = 0; i < 100; i++) {
        body = await (await fetch(url)).json();
        if (body.details.warp.members === 2) break;
        await bus.flush();
      }
      assert.equal(body.status, 'ok');
      assert.deepEqual(body.details.warp, { status: 'up', nodeId: 'health-a', bus: 'connected', members: 2, redis: 'n/a' });
    } finally {
      await other.app.close();
    }
  });

  it('is down, with HTTP 503, when the node no longer hears the bus', async () => {
    const bus = new MemoryBus();
    const view = bus.node();
    let url: string;
    ({ app, url } = await start({ bus: view }));
    view.disconnect();
    const response = await fetch(url);
    assert.equal(response.status, 503);
    const body: any = await response.json();
    assert.equal(body.error.warp.status, 'down');
    assert.equal(body.error.warp.bus, 'disconnected');
    assert.match(body.error.warp.message, /not connected to the cluster bus/);
  });
});

const skip = await skipUnless('redis');

describe('WarpHealthIndicator with a Redis-backed store', { skip }, () => {
  const run = redisTestRun('health');
  let app: INestApplication | undefined;
  after(() => app?.close());

  it('pings the store\'s Redis client: up while reachable, down once it is gone', async () => {
    const client = new Redis({ ...SERVICES.redis });
    let url: string;
    ({ app, url } = await start({ store: new RedisStore(client, { prefix: run.freshPrefix() }) }));
    await new Promise<void>((resolve) => (client.status === 'ready' ? resolve() : client.once('ready', () => resolve())));
    const up: any = await (await fetch(url)).json();
    assert.equal(up.details.warp.redis, 'up');
    await client.quit();
    const response = await fetch(url);
    assert.equal(response.status, 503);
    const down: any = await response.json();
    assert.equal(down.error.warp.redis, 'down');
    assert.match(down.error.warp.message, /Redis unreachable/);
  });
});
