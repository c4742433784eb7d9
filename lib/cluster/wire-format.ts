import { createHmac, timingSafeEqual } from 'node:crypto';

// The bytes on the wire of Warp's cluster protocol: the envelope's fields and limits, the optional
// HMAC header, and parsing that trusts nothing (see BusProtocol).

/**
 * Version of the wire format this build writes. Readers accept any integer version >= 2 and ignore
 * fields they do not know, so nodes of two versions coexist during a rolling upgrade. Version 2
 * added the incarnation and send time that replay protection needs: version 1 messages (0.1
 * pre-releases) are dropped as malformed.
 */
export const WIRE_VERSION = 2;

/** Default limit of one encoded message: 1 MiB. */
export const DEFAULT_MAX_MESSAGE_BYTES = 1024 * 1024;

/** Longest accepted node id (`from`). */
export const MAX_NODE_ID_LENGTH = 128;

/** Longest accepted message kind. */
export const MAX_KIND_LENGTH = 64;

/** One message of Warp's cluster protocol, as decoded from the bus. */
export interface BusMessage<B = unknown> {
  /** Wire-format version of the sender (>= 1; may be newer than `WIRE_VERSION`). */
  v: number;
  /** Namespace of the sender's cluster. */
  ns: string;
  /** Node id of the sender. */
  from: string;
  /**
   * The sender's incarnation: random per process start, so a restarted node (same `from`) is a new
   * member and a replayed message of an earlier incarnation can be told apart.
   */
  inc: string;
  /** Per-incarnation sequence number: starts at 0 and grows by one per encoded message. */
  seq: number;
  /** The sender's wall clock (epoch ms) when it encoded the message: bounds replays to a freshness window. */
  at: number;
  /** Message kind (`hb`, `inv`, ...); receivers ignore kinds they do not know. */
  kind: string;
  /** Kind-specific payload: plain JSON, never trusted. */
  body: B;
}

/** Longest accepted incarnation. */
const MAX_INCARNATION_LENGTH = 64;

/**
 * A signed message is the signed JSON `{"v":...}` with the signature spliced in as its first member:
 * `{"sig":"<64 hex>",` + the rest of the signed bytes. The wire stays one JSON object, and the
 * receiver recovers the exact signed bytes without re-serializing anything.
 */
const SIG_OPEN = '{"sig":"';
const SIG_HEX_LENGTH = 64;
const SIG_CLOSE = '",';
const SIGNED_HEADER_LENGTH = SIG_OPEN.length + SIG_HEX_LENGTH + SIG_CLOSE.length;
const SIG_OPEN_BYTES = Buffer.from(SIG_OPEN, 'latin1');
const OPEN_BRACE = Buffer.from('{', 'latin1');

const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);
/**
 * A forbidden key can only reach the parsed object if its name appears literally in the text or
 * is spelled with a `\u` escape: texts with neither skip the slower reviver pass.
 */
const MAY_HOLD_FORBIDDEN_KEY = /__proto__|constructor|prototype|\\u/;

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

class ForbiddenKeyError extends Error {}

function rejectForbiddenKeys(key: string, value: unknown): unknown {
  if (FORBIDDEN_KEYS.has(key)) throw new ForbiddenKeyError(key);
  return value;
}

function isLowerHex(byte: number): boolean {
  return (byte >= 0x30 && byte <= 0x39) || (byte >= 0x61 && byte <= 0x66);
}

export function hasSignatureHeader(payload: Uint8Array): boolean {
  if (payload.byteLength <= SIGNED_HEADER_LENGTH) return false;
  for (let i = 0; i < SIG_OPEN_BYTES.length; i++) if (payload[i] !== SIG_OPEN_BYTES[i]) return false;
  const hexEnd = SIG_OPEN.length + SIG_HEX_LENGTH;
  for (let i = SIG_OPEN.length; i < hexEnd; i++) if (!isLowerHex(payload[i]!)) return false;
  return payload[hexEnd] === 0x22 /* " */ && payload[hexEnd + 1] === 0x2c /* , */;
}

/** The signed wire text of `json`: its HMAC-SHA256 spliced in as the first member. */
export function signedWire(json: string, secret: string): string {
  return `${SIG_OPEN}${createHmac('sha256', secret).update(json, 'utf8').digest('hex')}${SIG_CLOSE}${json.slice(1)}`;
}

/** Recomputes the HMAC over the signed bytes (`{` + everything after the header), in constant time. */
export function verifySignature(payload: Uint8Array, secret: string): boolean {
  const expected = createHmac('sha256', secret)
    .update(OPEN_BRACE)
    .update(payload.subarray(SIGNED_HEADER_LENGTH))
    .digest();
  const hex = Buffer.from(payload.buffer, payload.byteOffset + SIG_OPEN.length, SIG_HEX_LENGTH).toString('latin1');
  return timingSafeEqual(Buffer.from(hex, 'hex'), expected);
}

/**
 * The JSON of a payload (after the signature header when `signed`).
 * @throws on invalid UTF-8 or JSON, and on a `__proto__`/`constructor`/`prototype` key anywhere
 */
export function parseWire(payload: Uint8Array, signed: boolean): unknown {
  const text = signed ? `{${utf8.decode(payload.subarray(SIGNED_HEADER_LENGTH))}` : utf8.decode(payload);
  return MAY_HOLD_FORBIDDEN_KEY.test(text) ? JSON.parse(text, rejectForbiddenKeys) : JSON.parse(text);
}

/** The message a parsed payload holds, or `undefined` when a field is missing or of the wrong type. */
export function envelopeOf(parsed: unknown): BusMessage | undefined {
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return undefined;
  const { v, ns, from, inc, seq, at, kind, body } = parsed as Record<string, unknown>;
  if (
    !Number.isInteger(v) ||
    (v as number) < WIRE_VERSION ||
    typeof inc !== 'string' ||
    inc.length === 0 ||
    inc.length > MAX_INCARNATION_LENGTH ||
    typeof at !== 'number' ||
    !Number.isFinite(at) ||
    typeof ns !== 'string' ||
    typeof from !== 'string' ||
    from.length === 0 ||
    from.length > MAX_NODE_ID_LENGTH ||
    typeof kind !== 'string' ||
    kind.length === 0 ||
    kind.length > MAX_KIND_LENGTH ||
    !Number.isSafeInteger(seq) ||
    (seq as number) < 0 ||
    !Object.hasOwn(parsed, 'body')
  ) {
    return undefined;
  }
  // A fresh object: fields a newer version added are left behind.
  return { v: v as number, ns, from, inc, seq: seq as number, at, kind, body };
}
