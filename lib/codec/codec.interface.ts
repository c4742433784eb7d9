/**
 * Turns values into bytes for a shared backend (`RedisCache`, `RedisStore`) and back. The default
 * is `JsonCodec`; a binary codec (MessagePack, CBOR...) plugs in through the backends' `codec`
 * option.
 *
 * **The value rule**: a codec must round-trip what it accepts and throw `SerializationError` for
 * what it cannot represent faithfully, rather than silently storing something else. Warp applies
 * the same rule when no shared tier encodes a value (`assertStorable`), so a value is refused in
 * memory-only mode exactly when it would be refused on Redis.
 *
 * @example
 * const cache = new RedisCache(redis, { codec: new JsonCodec() });
 */
export interface Codec {
  /**
   * Encodes a value.
   * @throws SerializationError when the value cannot be represented faithfully.
   */
  encode(value: unknown): string | Buffer;
  /**
   * Decodes what `encode` produced. Must not trust its input (no prototype pollution).
   * @throws SerializationError when the data is malformed.
   */
  decode(data: string | Buffer): unknown;
  /**
   * Throws exactly when `encode` would, without producing the bytes: a cheaper check for values
   * that are kept in memory only. Optional; without it `assertStorable` calls `encode` and
   * discards the result.
   * @throws SerializationError when the value cannot be represented faithfully.
   */
  assertEncodable?(value: unknown): void;
  /**
   * `true` when `encode` produces bytes that are not valid UTF-8, so backends must read raw
   * buffers instead of strings. Optional; default `false` (text codecs like JSON).
   */
  readonly binary?: boolean;
}
