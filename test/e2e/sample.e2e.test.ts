import 'reflect-metadata';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import type { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { Redis } from 'ioredis';
import { AppModule } from '../../sample/app.module.js';
import { deleteKeysWithPrefix } from '../helpers/redis-cleanup.js';
import { SERVICES, skipUnless } from '../helpers/services.js';

async function json(url: string, init?: RequestInit): Promise<any> {
  const response = await fetch(url, init);
  return response.json();
}

describe('the sample app on the embedded in-memory defaults', () => {
  let app: INestApplication;
  let url: string;
  before(async () => {
    const moduleRef = await Test.createTestingModule({ imports: [AppModule] }).compile();
    app = moduleRef.createNestApplication({ logger: false });
    await app.listen(0, '127.0.0.1');
    url = await app.getUrl();
  });
  after(() => app.close());

  it('serves products read-through: the repository is read once', async () => {
    const first = await json(`${url}/products/1`);
    const second = await json(`${url}/products/1`);
    assert.equal(first.product.name, 'Desk lamp');
    assert.equal(second.repositoryReads, first.repositoryReads);
  });

  it('updates and evicts products through the decorators', async () => {
    await fetch(`${url}/products/2`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'Pen', price: 2 }) });
    assert.equal((await json(`${url}/products/2`)).product.name, 'Pen');
    await fetch(`${url}/products/2`, { method: 'DELETE' });
    assert.equal((await fetch(`${url}/products/2`)).status, 404);
  });

  it('adds increments with the counter merge function', async () => {
    const start = (await json(`${url}/counter`)).counter;
    await fetch(`${url}/counter/incr?by=2`, { method: 'POST' });
    await fetch(`${url}/counter/incr?by=3`, { method: 'POST' });
    await fetch(`${url}/counter/incr`, { method: 'POST' });
    assert.equal((await json(`${url}/counter`)).counter, start + 6);
  });

  it('answers 400 to an increment that is not an integer, leaving the counter as it was', async () => {
    const start = (await json(`${url}/counter`)).counter;
    for (const by of ['abc', '1.5', '', 'NaN']) {
      const response = await fetch(`${url}/counter/incr?by=${by}`, { method: 'POST' });
      assert.equal(response.status, 400, `by=${by}`);
    }
    assert.equal((await json(`${url}/counter`)).counter, start);
  });
});

const skip = await skipUnless('redis');
const main = fileURLToPath(new URL('../../sample/main.js', import.meta.url));

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** A short product TTL, so a test can wait past it. */
const SAMPLE_TTL_MS = 400;

/** This run's Redis keys and Warp namespace: other runs sharing the Redis stay out of its cluster. */
const samplePrefix = `warp-test-sample-${randomUUID().slice(0, 8)}`;

async function startSample(port: number): Promise<ChildProcess> {
  const child = spawn(process.execPath, [main], {
    env: {
      ...process.env,
      PORT: String(port),
      WARP_REDIS_URL: `redis://${SERVICES.redis.host}:${SERVICES.redis.port}`,
      WARP_SAMPLE_PREFIX: samplePrefix,
      WARP_SAMPLE_TTL_MS: String(SAMPLE_TTL_MS),
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  // Keep reading stdout for the child's whole life: a closed pipe would kill it with EPIPE.
  let out = '';
  await new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      if (out.includes('Warp sample listening')) resolve();
    });
    child.once('exit', (code) => reject(new Error(`sample exited with ${code}: ${out}`)));
  });
  return child;
}

describe('two sample nodes on Redis', { skip }, () => {
  const nodes: ChildProcess[] = [];
  const ports: number[] = [];
  before(async () => {
    for (let i = 0; i < 2; i++) {
      ports.push(await freePort());
      nodes.push(await startSample(ports[i]));
    }
  });
  after(async () => {
    for (const node of nodes) {
      node.kill('SIGTERM');
      await once(node, 'exit');
    }
    const redis = new Redis(SERVICES.redis);
    await deleteKeysWithPrefix(redis, `${samplePrefix}:`);
    await redis.quit();
  });

  it('reads on one node a value changed on the other', async () => {
    const [a, b] = ports.map((port) => `http://127.0.0.1:${port}`);
    await json(`${b}/products/1`); // node B caches the original
    await fetch(`${a}/products/1`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'Lamp v2', price: 45 }) });
    let name = '';
    for (let i = 0; i < 100 && name !== 'Lamp v2'; i++) {
      name = (await json(`${b}/products/1`)).product.name;
      if (name !== 'Lamp v2') await new Promise((r) => setTimeout(r, 20));
    }
    assert.equal(name, 'Lamp v2');
  });

  it('keeps the products in Redis, where every node reads and writes the same rows', async () => {
    const [a, b] = ports.map((port) => `http://127.0.0.1:${port}`);
    const put = await fetch(`${a}/products/7`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'Stapler', price: 12 }) });
    assert.equal(put.status, 200);
    const redis = new Redis(SERVICES.redis);
    try {
      assert.deepEqual(JSON.parse((await redis.get(`${samplePrefix}:products:7`))!), { name: 'Stapler', price: 12, id: '7' });
      assert.equal((await json(`${b}/products/7`)).product.name, 'Stapler');
      // Deleted through node B: gone from the shared table, so node A cannot find it either.
      await fetch(`${b}/products/7`, { method: 'DELETE' });
      assert.equal(await redis.exists(`${samplePrefix}:products:7`), 0);
      let status = 200;
      for (let i = 0; i < 100 && status !== 404; i++) {
        status = (await fetch(`${a}/products/7`)).status;
        if (status !== 404) await new Promise((r) => setTimeout(r, 20));
      }
      assert.equal(status, 404);
    } finally {
      await redis.quit();
    }
  });

  it('serves the last write on both nodes after the TTL, and the shared table holds it (reads never write it back)', async () => {
    const [a, b] = ports.map((port) => `http://127.0.0.1:${port}`);
    const put = (node: string, name: string) =>
      fetch(`${node}/products/8`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name, price: 8 }) });
    assert.equal((await put(a, 'v3')).status, 200);
    assert.equal((await json(`${b}/products/8`)).product.name, 'v3');
    assert.equal((await put(b, 'v4')).status, 200);
    await new Promise((resolve) => setTimeout(resolve, SAMPLE_TTL_MS + 200)); // every cached copy expired
    for (const node of [a, b, a, b]) assert.equal((await json(`${node}/products/8`)).product.name, 'v4');
    const redis = new Redis(SERVICES.redis);
    try {
      assert.equal(JSON.parse((await redis.get(`${samplePrefix}:products:8`))!).name, 'v4');
    } finally {
      await redis.quit();
    }
  });

  it('merges counter increments made on both nodes', async () => {
    const [a, b] = ports.map((port) => `http://127.0.0.1:${port}`);
    await Promise.all([fetch(`${a}/counter/incr?by=1`, { method: 'POST' }), fetch(`${b}/counter/incr?by=2`, { method: 'POST' })]);
    assert.equal((await json(`${a}/counter`)).counter, 3);
    assert.equal((await json(`${b}/counter`)).counter, 3);
  });
});
