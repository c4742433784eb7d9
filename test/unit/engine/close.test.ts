import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MemoryBus } from '../../../lib/bus/memory.bus.js';
import { Warp } from '../../../lib/engine/warp.js';
import { RecordingLogger } from '../../helpers/warp-factory.js';

describe('Warp.close()', () => {
  it('says nothing on the bus for an engine that never started, and logs nothing', async () => {
    const bus = new MemoryBus();
    const listener = bus.node();
    const kinds: string[] = [];
    await listener.subscribe('warp.warp.sync', (payload) => kinds.push((JSON.parse(Buffer.from(payload).toString()) as { kind: string }).kind));
    const logger = new RecordingLogger();
    const warp = new Warp({ bus: bus.node(), logger });
    await warp.close();
    await new Promise((resolve) => setTimeout(resolve, 20));
    assert.deepEqual(kinds, []);
    assert.deepEqual(logger.lines, []);
    await listener.close();
  });

  it('says goodbye once for an engine that started', async () => {
    const bus = new MemoryBus();
    const listener = bus.node();
    const kinds: string[] = [];
    await listener.subscribe('warp.warp.sync', (payload) => kinds.push((JSON.parse(Buffer.from(payload).toString()) as { kind: string }).kind));
    const warp = new Warp({ bus: bus.node(), logger: new RecordingLogger() });
    await warp.start();
    await warp.close();
    await new Promise((resolve) => setTimeout(resolve, 20));
    assert.equal(kinds.filter((kind) => kind === 'bye').length, 1, kinds.join(','));
    await listener.close();
  });
});
