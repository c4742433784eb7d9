import 'reflect-metadata';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { INestApplication } from '@nestjs/common';
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
