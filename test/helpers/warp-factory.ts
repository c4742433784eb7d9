import { Warp } from '../../lib/engine/warp.js';
import type { WarpOptions } from '../../lib/interfaces/warp-options.interface.js';
import type { WarpLogger } from '../../lib/interfaces/warp-logger.interface.js';

/** A logger that records instead of printing, so tests can assert on warnings. */
export class RecordingLogger implements WarpLogger {
  readonly lines: string[] = [];
  log(message: string): void {
    this.lines.push(`log: ${message}`);
  }
  warn(message: string): void {
    this.lines.push(`warn: ${message}`);
  }
  error(message: string): void {
    this.lines.push(`error: ${message}`);
  }
}

/** Builds and starts engines, and closes every one of them in `closeAll()`. */
export class WarpFactory {
  private readonly created: Warp[] = [];

  async start(options: WarpOptions = {}): Promise<Warp> {
    const warp = this.create(options);
    await warp.start();
    return warp;
  }

  /** Builds an engine without starting it. */
  create(options: WarpOptions = {}): Warp {
    const warp = new Warp({ logger: new RecordingLogger(), ...options });
    this.created.push(warp);
    return warp;
  }

  async closeAll(): Promise<void> {
    await Promise.all(this.created.splice(0).map((warp) => warp.close()));
  }
}
