import 'reflect-metadata';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Injectable, Module, type INestApplicationContext } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { LockTimeoutError, WarpLock, WarpModule, WarpService } from '../../lib/index.js';
import { deferred, type Deferred } from '../helpers/deferred.js';

@Injectable()
class Jobs {
  inside = 0;
  maxInside = 0;
  runs = 0;
  gate?: Deferred;

  @WarpLock()
  async exclusive(): Promise<number> {
    this.inside++;
    this.maxInside = Math.max(this.maxInside, this.inside);
    await new Promise((r) => setTimeout(r, 2));
    this.inside--;
    return ++this.runs;
  }

  @WarpLock('report:{0}', { onBusy: 'skip' })
  async report(day: string): Promise<string> {
    await this.gate?.promise;
    return `report ${day}`;
  }

  @WarpLock('report:{0}', { onBusy: 'throw' })
  async reportOrFail(day: string): Promise<string> {
    return `report ${day}`;
  }
}

@Module({ imports: [WarpModule.forRoot()], providers: [Jobs] })
class AppModule {}

describe('@WarpLock in a Nest application context', () => {
  let app: INestApplicationContext;
  before(async () => {
    const moduleRef = await Test.createTestingModule({ imports: [AppModule] }).compile();
    app = moduleRef;
    await app.init();
  });
  after(() => app.close());

  it('runs concurrent calls one at a time under the default ClassName.method lock', async () => {
    const jobs = app.get(Jobs);
    const results = await Promise.all(Array.from({ length: 20 }, () => jobs.exclusive()));
    assert.equal(jobs.maxInside, 1);
    assert.deepEqual([...results].sort((a, b) => a - b), Array.from({ length: 20 }, (_, i) => i + 1));
  });

  it("skips with undefined when busy and onBusy is 'skip', and throws when 'throw'", async () => {
    const jobs = app.get(Jobs);
    jobs.gate = deferred();
    const first = jobs.report('mon');
    await new Promise((r) => setTimeout(r, 5));
    assert.equal(await jobs.report('mon'), undefined);
    await assert.rejects(jobs.reportOrFail('mon'), LockTimeoutError);
    jobs.gate.resolve();
    assert.equal(await first, 'report mon');
    assert.equal(await jobs.reportOrFail('mon'), 'report mon');
  });

  it('exposes lock and withLock with increasing fencing tokens', async () => {
    const warp = app.get(WarpService);
    const a = await warp.lock('fence');
    await a.release();
    const token = await warp.withLock('fence', (handle) => handle.fencingToken);
    assert.ok(token > a.fencingToken);
  });
});
