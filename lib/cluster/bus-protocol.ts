import { randomBytes } from 'node:crypto';
import { InvalidOptionsError, SerializationError } from '../common/warp.errors.js';
import {
  DEFAULT_MAX_MESSAGE_BYTES,
  envelopeOf,
  hasSignatureHeader,
  MAX_KIND_LENGTH,
  MAX_NODE_ID_LENGTH,
  parseWire,
  signedWire,
  verifySignature,
  WIRE_VERSION,
  type BusMessage,
} from './wire-format.js';

export { DEFAULT_MAX_MESSAGE_BYTES, MAX_KIND_LENGTH, MAX_NODE_ID_LENGTH, WIRE_VERSION, type BusMessage } from './wire-format.js';

/**
 * Why a payload was dropped: `malformed` (not a protocol message, invalid UTF-8 or JSON, wrong field
 * types, or a `__proto__`/`constructor`/`prototype` key anywhere), `oversized` (over
 * `maxMessageBytes`), `unsigned` / `bad-signature` (a secret is configured and the HMAC is missing
 * or wrong), `foreign-namespace` (another cluster's message), `own` (this node's echo).
 */
export type DropReason = 'malformed' | 'oversized' | 'unsigned' | 'bad-signature' | 'foreign-namespace' | 'own';

/** Options of a {@link BusProtocol}. */
export interface BusProtocolOptions {
  /** Cluster namespace: `[A-Za-z0-9_-]{1,64}`. Names the channels and is checked on every message. */
  namespace: string;
  /** This node's id: a non-empty string of at most 128 characters. */
  nodeId: string;
  /** This process's incarnation (default: random). Tests pin it to replay messages. */
  incarnation?: string;
  /**
   * Shared secret. When set, messages are signed with HMAC-SHA256 and unsigned or wrongly signed
   * ones are dropped. When unset, nothing is signed and signed messages are still accepted.
   */
  secret?: string;
  /** Largest encoded message in bytes, checked on both ends. Default 1 MiB. */
  maxMessageBytes?: number;
}

/** Result of {@link BusProtocol.decode}. */
export type DecodeResult =
  | { ok: true; message: BusMessage }
  | { ok: false; reason: Exclude<DropReason, 'own'> }
  /** This incarnation's own message, echoed back by the bus: the cluster times leases on it. */
  | { ok: false; reason: 'own'; message: BusMessage };

const NAMESPACE_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;
/** Dot-separated segments: valid as a Redis channel, a NATS subject and an MQTT topic (no wildcards). */
const CHANNEL_NAME_PATTERN = /^[A-Za-z0-9_-]{1,64}(?:\.[A-Za-z0-9_-]{1,64}){0,7}$/;

/** Preallocated, so dropping a message (every own echo is one) allocates nothing. */
const DROPPED: { readonly [R in Exclude<DropReason, 'own'>]: DecodeResult } = {
  malformed: Object.freeze({ ok: false, reason: 'malformed' }),
  oversized: Object.freeze({ ok: false, reason: 'oversized' }),
  unsigned: Object.freeze({ ok: false, reason: 'unsigned' }),
  'bad-signature': Object.freeze({ ok: false, reason: 'bad-signature' }),
  'foreign-namespace': Object.freeze({ ok: false, reason: 'foreign-namespace' }),
};

/**
 * Warp's wire protocol over a `WarpBus`: encodes cluster messages as JSON stamped with the wire
 * version, namespace, sender and a per-sender sequence number, optionally signed with
 * HMAC-SHA256; decodes incoming payloads without trusting them (size limit before parsing,
 * strict shape checks, no prototype pollution) and counts what it drops.
 *
 * @example
 * const protocol = new BusProtocol({ namespace: 'shop', nodeId: 'node-1', secret: process.env.WARP_SECRET });
 * await bus.subscribe(protocol.channel('sync'), (payload) => {
 *   const decoded = protocol.decode(payload);
 *   if (decoded.ok) handle(decoded.message);
 * });
 * await bus.publish(protocol.channel('sync'), protocol.encode('hb', { at: Date.now() }));
 */
export class BusProtocol {
  /** Dropped payloads per reason, since construction. */
  readonly drops: Record<DropReason, number> = {
    malformed: 0,
    oversized: 0,
    unsigned: 0,
    'bad-signature': 0,
    'foreign-namespace': 0,
    own: 0,
  };

  /** This process's incarnation, stamped on every message. */
  readonly incarnation: string;
  private readonly namespace: string;
  private readonly nodeId: string;
  private readonly secret?: string;
  private readonly maxMessageBytes: number;
  private nextSeq = 0;

  /** @throws InvalidOptionsError when the namespace, node id, secret or size limit is invalid. */
  constructor(options: BusProtocolOptions) {
    const { namespace, nodeId, secret, maxMessageBytes = DEFAULT_MAX_MESSAGE_BYTES, incarnation = randomBytes(8).toString('hex') } = options;
    if (typeof namespace !== 'string' || !NAMESPACE_PATTERN.test(namespace)) {
      throw new InvalidOptionsError(
        `Invalid bus namespace ${JSON.stringify(namespace)}: expected 1 to 64 characters among A-Z, a-z, 0-9, "_" and "-"`,
      );
    }
    if (typeof nodeId !== 'string' || nodeId.length === 0 || nodeId.length > MAX_NODE_ID_LENGTH) {
      throw new InvalidOptionsError(
        `Invalid node id ${JSON.stringify(nodeId)}: expected a non-empty string of at most ${MAX_NODE_ID_LENGTH} characters`,
      );
    }
    if (secret !== undefined && (typeof secret !== 'string' || secret.length === 0)) {
      throw new InvalidOptionsError('Invalid bus secret: expected a non-empty string, or no secret at all');
    }
    if (!Number.isSafeInteger(maxMessageBytes) || maxMessageBytes < 64) {
      throw new InvalidOptionsError(`Invalid maxMessageBytes ${String(maxMessageBytes)}: expected an integer >= 64`);
    }
    this.namespace = namespace;
    this.nodeId = nodeId;
    this.incarnation = incarnation;
    this.secret = secret;
    this.maxMessageBytes = maxMessageBytes;
  }

  /** The sequence number the next encoded message gets (the cluster times heartbeats by it). */
  get nextSequence(): number {
    return this.nextSeq;
  }

  /**
   * The transport channel of `name` in this namespace: `warp.<namespace>.<name>`, valid as a Redis
   * channel, a NATS subject and an MQTT topic.
   * @throws InvalidOptionsError when `name` is not dot-separated segments of `[A-Za-z0-9_-]{1,64}`.
   */
  channel(name: string): string {
    if (typeof name !== 'string' || !CHANNEL_NAME_PATTERN.test(name)) {
      throw new InvalidOptionsError(
        `Invalid bus channel name ${JSON.stringify(name)}: expected up to 8 dot-separated segments of A-Z, a-z, 0-9, "_" and "-"`,
      );
    }
    return `warp.${this.namespace}.${name}`;
  }

  /**
   * Encodes one message: JSON stamped with `v`, `ns`, `from` and the next `seq`, signed when a
   * secret is configured. An `undefined` body is sent as `null`.
   * @throws SerializationError when the kind is not 1 to 64 characters, the body is not
   * JSON-serializable (BigInt, cycles), or the message exceeds `maxMessageBytes`.
   */
  encode(kind: string, body: unknown): Uint8Array {
    if (typeof kind !== 'string' || kind.length === 0 || kind.length > MAX_KIND_LENGTH) {
      throw new SerializationError(`Invalid bus message kind ${JSON.stringify(kind)}: expected 1 to ${MAX_KIND_LENGTH} characters`);
    }
    const seq = this.nextSeq;
    let json: string;
    try {
      const envelope = { v: WIRE_VERSION, ns: this.namespace, from: this.nodeId, inc: this.incarnation, seq, at: Date.now(), kind, body: body ?? null };
      json = JSON.stringify(envelope);
    } catch (error) {
      throw new SerializationError(`Cannot encode the body of a "${kind}" bus message: ${(error as Error).message}`, {
        cause: error,
      });
    }
    const wire = this.secret === undefined ? json : signedWire(json, this.secret);
    const bytes = Buffer.from(wire, 'utf8');
    if (bytes.byteLength > this.maxMessageBytes) {
      throw new SerializationError(
        `A "${kind}" bus message is ${bytes.byteLength} bytes, over the ${this.maxMessageBytes}-byte limit peers enforce`,
      );
    }
    this.nextSeq = seq + 1;
    return bytes;
  }

  /**
   * Decodes and checks one payload. Never throws: anything that is not a valid message of this
   * namespace from another node is dropped, counted in `drops`, and reported by reason.
   */
  decode(payload: Uint8Array): DecodeResult {
    if (!(payload instanceof Uint8Array)) return this.drop('malformed');
    if (payload.byteLength > this.maxMessageBytes) return this.drop('oversized');
    const signed = hasSignatureHeader(payload);
    if (this.secret !== undefined) {
      if (!signed) return this.drop('unsigned');
      if (!verifySignature(payload, this.secret)) return this.drop('bad-signature');
    }
    let parsed: unknown;
    try {
      parsed = parseWire(payload, signed);
    } catch {
      return this.drop('malformed');
    }
    const message = envelopeOf(parsed);
    if (message === undefined) return this.drop('malformed');
    if (message.ns !== this.namespace) return this.drop('foreign-namespace');
    if (message.from === this.nodeId && message.inc === this.incarnation) {
      this.drops.own++;
      return { ok: false, reason: 'own', message };
    }
    // Another process with this node id (a misconfiguration) is delivered: the cluster reports it.
    return { ok: true, message };
  }

  private drop(reason: Exclude<DropReason, 'own'>): DecodeResult {
    this.drops[reason]++;
    return DROPPED[reason];
  }
}
