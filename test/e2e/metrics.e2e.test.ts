import 'reflect-metadata';
import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import { Controller, type DynamicModule, Get, Injectable, Module, Param, type INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { PrometheusModule } from '@willsoto/nestjs-prometheus';
import { register } from 'prom-client';
import { Mode, WarpKey, WarpModule, type WarpModuleOptions, WarpService } from '../../lib/index.js';
import { AppModule } from '../../sample/app.module.js';
import { startHttpApp } from '../helpers/http-app.js';
import { metricValue } from '../helpers/prometheus-text.js';

describe('the sample app with metrics: true and PrometheusModule', () => {
  let app: INestApplication;
  let url: string;
  before(async () => {
    ({ app, url } = await startHttpApp(AppModule));
  });
  after(() => app.close());

  it('serves warp_* counters on /metrics after hits, misses and sets, labelled by pattern', async () => {
    await fetch(`${url}/products/1`); // miss, load, set
    await fetch(`${url}/products/1`); // hit
    await fetch(`${url}/products/1`); // hit
    await fetch(`${url}/counter/incr?by=2`, { method: 'POST' }); // set, then a read
    const response = await fetch(`${url}/metrics`);
    assert.equal(response.status, 200);
    const text = await response.text();
    assert.ok(metricValue(text, 'warp_cache_misses_total', { pattern: 'product:*' }) >= 1);
    assert.ok(metricValue(text, 'warp_cache_hits_total', { pattern: 'product:*' }) >= 2);
    assert.ok(metricValue(text, 'warp_loads_total', { pattern: 'product:*' }) >= 1);
    assert.ok(metricValue(text, 'warp_sets_total', { pattern: 'counter' }) >= 1);
    assert.ok(metricValue(text, 'warp_cache_entries') >= 2);
    assert.equal(metricValue(text, 'warp_bus_connected'), 1);
    assert.match(text, /# TYPE warp_load_duration_seconds histogram/);
    assert.doesNotMatch(text, /product:1/, 'raw keys never become labels');
    // prom-client's default metrics, from PrometheusModule, are served alongside.
    assert.match(text, /process_cpu_user_seconds_total/);
  });
});

@Injectable()
class Gadgets {
  @WarpKey('gadget:{0}', Mode.EventualDistributed)
  async find(id: string): Promise<{ id: string }> {
    return { id };
  }
}

@Controller('gadgets')
class GadgetController {
  constructor(private readonly gadgets: Gadgets) {}

  @Get(':id')
  find(@Param('id') id: string): Promise<{ id: string }> {
    return this.gadgets.find(id);
  }
}

/** prom-client's process metrics register once per process: the sample app's PrometheusModule did. */
const NO_DEFAULT_METRICS = { defaultMetrics: { enabled: false } };

/** An app as its users write it: PrometheusModule (its options as given) next to WarpModule. */
function appWith(prometheus: DynamicModule, warp: WarpModuleOptions): new () => unknown {
  @Module({ imports: [prometheus, WarpModule.forRoot(warp)], controllers: [GadgetController], providers: [Gadgets] })
  class GadgetsModule {}
  return GadgetsModule;
}

/** Two reads of one gadget (a miss, then a hit), then the text PrometheusModule serves on its path. */
async function scrapeAfterTwoReads(url: string, path = '/metrics'): Promise<string> {
  await fetch(`${url}/gadgets/1`);
  await fetch(`${url}/gadgets/1`);
  const response = await fetch(`${url}${path}`);
  assert.equal(response.status, 200);
  return response.text();
}

describe('an app importing PrometheusModule', () => {
  const apps: INestApplication[] = [];
  async function start(module: new () => unknown): Promise<string> {
    const { app, url } = await startHttpApp(module);
    apps.push(app);
    return url;
  }
  afterEach(async () => {
    await Promise.all(apps.splice(0).map((app) => app.close()));
    register.setDefaultLabels({}); // registerAsync's defaultLabels are set on the global registry
  });

  it('serves warp_* metrics on its /metrics without the metrics option', async () => {
    const text = await scrapeAfterTwoReads(await start(appWith(PrometheusModule.register(NO_DEFAULT_METRICS), { namespace: 'prom-default' })));
    assert.equal(metricValue(text, 'warp_cache_hits_total', { pattern: 'gadget:*' }), 1);
    assert.equal(metricValue(text, 'warp_cache_misses_total', { pattern: 'gadget:*' }), 1);
    assert.match(text, /# TYPE warp_cache_entries gauge/);
  });

  it('serves them on the path and with the default labels its registerAsync options give', async () => {
    const prometheus = PrometheusModule.registerAsync({ useFactory: () => ({ ...NO_DEFAULT_METRICS, path: '/prom', defaultLabels: { app: 'gadgets' } }) });
    const text = await scrapeAfterTwoReads(await start(appWith(prometheus, { namespace: 'prom-async' })), '/prom');
    assert.ok(metricValue(text, 'warp_cache_hits_total', { pattern: 'gadget:*', app: 'gadgets' }) >= 1);
  });

  it('records nothing of Warp with metrics: false', async () => {
    const before = metricValue(await register.metrics(), 'warp_cache_hits_total', { pattern: 'gadget:*' });
    const url = await start(appWith(PrometheusModule.register(NO_DEFAULT_METRICS), { namespace: 'prom-off', metrics: false }));
    const text = await scrapeAfterTwoReads(url);
    assert.equal(metricValue(text, 'warp_cache_hits_total', { pattern: 'gadget:*' }), before);
  });
});

describe('an app without PrometheusModule', () => {
  it('records in prom-client\'s default registry with metrics: true, and nowhere without it', async () => {
    @Module({ imports: [WarpModule.forRoot({ namespace: 'prom-client-only', metrics: true, keys: [{ key: 'bare:*', mode: Mode.StrongLocal }] })] })
    class OnModule {}
    @Module({ imports: [WarpModule.forRoot({ namespace: 'prom-client-none', keys: [{ key: 'silent:*', mode: Mode.StrongLocal }] })] })
    class OffModule {}
    for (const [module, key] of [[OnModule, 'bare:1'], [OffModule, 'silent:1']] as const) {
      const app = await Test.createTestingModule({ imports: [module] }).compile();
      await app.init();
      await app.get(WarpService).get(key);
      await app.close();
    }
    const text = await register.metrics();
    assert.equal(metricValue(text, 'warp_cache_misses_total', { pattern: 'bare:*' }), 1);
    assert.equal(metricValue(text, 'warp_cache_misses_total', { pattern: 'silent:*' }), 0);
  });
});
