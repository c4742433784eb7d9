import type { Codec } from '../../lib/codec/codec.interface.js';
import { JsonCodec } from '../../lib/codec/json.codec.js';

/** A 0xff lead byte is never valid UTF-8: a backend that reads strings instead of Buffers corrupts it. */
const MARKER = 0xff;

/** A binary codec for tests: JSON behind a byte that survives only a Buffer round trip. */
export class BinaryTestCodec implements Codec {
  readonly binary = true;
  private readonly json = new JsonCodec();

  encode(value: unknown): Buffer {
    return Buffer.concat([Buffer.from([MARKER]), Buffer.from(this.json.encode(value), 'utf8')]);
  }

  decode(data: string | Buffer): unknown {
    if (!Buffer.isBuffer(data) || data[0] !== MARKER) throw new Error('BinaryTestCodec: expected the raw bytes it wrote');
    return this.json.decode(data.subarray(1));
  }
}
