import 'reflect-metadata';
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { Injectable, Module } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { Mode, WarpKey, WarpModule } from '../../../lib/index.js';

const seen: unknown[][] = [];

@Injectable()
class Reports {
  calls = 0;

  @WarpKey('report:{0}', Mode.StrongLocal, {
    unless: (result: string, ...args: unknown[]) => {
      seen.push([result, ...args]);
      return args[1] === 'draft';
    },
  })
  async render(id: string, status: string): Promise<string> {
    this.calls++;
    return `${id}:${status}`;
  }
}

@Module({ imports: [WarpModule.forRoot({})], providers: [Reports] })
class ReportsModule {}

describe('@WarpKey unless', () => {
  const app = Test.createTestingModule({ imports: [ReportsModule] }).compile().then((module) => module.init());
  after(async () => (await app).close());

  it('receives the result followed by every argument of the call', async () => {
    const reports = (await app).get(Reports);
    await reports.render('7', 'final');
    assert.deepEqual(seen.at(-1), ['7:final', '7', 'final']);
  });

  it('keeps a result out of the cache when it decides from the arguments', async () => {
    const reports = (await app).get(Reports);
    const before = reports.calls;
    await reports.render('8', 'draft');
    await reports.render('8', 'draft');
    assert.equal(reports.calls - before, 2);
  });

  it('turns a key it cannot build into a rejected promise, never a synchronous throw', async () => {
    const reports = (await app).get(Reports);
    let pending: Promise<string> | undefined;
    assert.doesNotThrow(() => (pending = reports.render(null as unknown as string, 'final')));
    await assert.rejects(pending!, { code: 'E_WARP_INVALID_KEY' });
  });
});
