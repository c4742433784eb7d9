import { Controller, Get, Post, Query } from '@nestjs/common';
import { WarpService } from '../../lib/index.js';

/** The go-warp "counter" example: a key whose merge function adds increments instead of overwriting. */
@Controller('counter')
export class CounterController {
  constructor(private readonly warp: WarpService) {}

  @Post('incr')
  async increment(@Query('by') by = '1') {
    await this.warp.set('counter', Number(by));
    return { counter: await this.warp.get<number>('counter'), node: this.warp.nodeId };
  }

  @Get()
  async read() {
    return { counter: (await this.warp.get<number>('counter')) ?? 0, node: this.warp.nodeId };
  }
}
