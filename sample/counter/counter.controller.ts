import { Controller, DefaultValuePipe, Get, ParseIntPipe, Post, Query } from '@nestjs/common';
import { WarpService } from '../../lib/index.js';

/** The go-warp "counter" example: a key whose merge function adds increments instead of overwriting. */
@Controller('counter')
export class CounterController {
  constructor(private readonly warp: WarpService) {}

  /** `by` must be an integer (default 1): anything else is a 400, never a NaN written to the counter. */
  @Post('incr')
  async increment(@Query('by', new DefaultValuePipe(1), ParseIntPipe) by: number) {
    await this.warp.set('counter', by);
    return { counter: await this.warp.get<number>('counter'), node: this.warp.nodeId };
  }

  @Get()
  async read() {
    return { counter: (await this.warp.get<number>('counter')) ?? 0, node: this.warp.nodeId };
  }
}
