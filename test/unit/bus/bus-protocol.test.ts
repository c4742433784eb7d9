import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BusProtocol, WIRE_VERSION, type BusMessage, type DropReason } from '../../../lib/cluster/bus-protocol.js';
import { InvalidOptionsError, SerializationError } from '../../../lib/common/warp.errors.js';

const NS = 'shop';

function node(nodeId: string, extra: { secret?: string; namespace?: string; maxMessageBytes?: number; incarnation?: string } = {}): BusProtocol {
  return new BusProtocol({ namespace: extra.namespace ?? NS, nodeId, incarnation: `${nodeId}-1`, ...extra });
}

/** A raw payload, as any process on the broker could publish it. */
function raw(message: unknown): Uint8Array {
  return Buffer.from(typeof message === 'string' ? message : JSON.stringify(message));
}

const valid = { v: WIRE_VERSION, ns: NS, from: 'peer', inc: 'peer-1', seq: 0, at: 1_700_000_000_000, kind: 'inv', body: { keys: ['a'] } };

/** A decoded message without its send time (which is `Date.now()` at encode). */
function withoutTime(message: BusMessage): Omit<BusMessage, 'at'> {
  assert.equal(typeof message.at, 'number');
  const { at: _at, ...rest } = message;
  return rest;
}

function accepted(protocol: BusProtocol, payload: Uint8Array): BusMessage {
  const decoded = protocol.decode(payload);
  assert.ok(decoded.ok, `dropped: ${decoded.ok ? '' : decoded.reason}`);
  return decoded.message;
}

function assertDropped(protocol: BusProtocol, payload: Uint8Array, reason: DropReason): void {
  const before = protocol.drops[reason];
  assert.deepEqual(protocol.decode(payload), { ok: false, reason });
  assert.equal(protocol.drops[reason], before + 1);
}

describe('BusProtocol', () => {
  describe('encoding', () => {
    it('stamps version, namespace, sender and a per-node sequence starting at 0', () => {
      const a = node('a');
      const b = node('b');
      const first = accepted(b, a.encode('hb', { at: 1 }));
      const second = accepted(b, a.encode('inv', { keys: ['user:1'] }));
      assert.deepEqual(withoutTime(first), { v: WIRE_VERSION, ns: NS, from: 'a', inc: 'a-1', seq: 0, kind: 'hb', body: { at: 1 } });
      assert.deepEqual(withoutTime(second), { v: WIRE_VERSION, ns: NS, from: 'a', inc: 'a-1', seq: 1, kind: 'inv', body: { keys: ['user:1'] } });
    });

    it('writes plain JSON on the wire', () => {
      const wire = JSON.parse(Buffer.from(node('a').encode('hb', { at: 1 })).toString());
      assert.deepEqual(withoutTime(wire), { v: 2, ns: NS, from: 'a', inc: 'a-1', seq: 0, kind: 'hb', body: { at: 1 } });
    });

    it('gives each process start its own random incarnation', () => {
      const first = new BusProtocol({ namespace: NS, nodeId: 'a' });
      const second = new BusProtocol({ namespace: NS, nodeId: 'a' });
      assert.match(first.incarnation, /^[0-9a-f]{16}$/);
      assert.notEqual(first.incarnation, second.incarnation);
    });

    it('sends an undefined body as null', () => {
      assert.equal(accepted(node('b'), node('a').encode('bye', undefined)).body, null);
    });

    it('throws SerializationError for a body JSON cannot encode, and does not consume a sequence number', () => {
      const a = node('a');
      const cyclic: Record<string, unknown> = {};
      cyclic.self = cyclic;
      assert.throws(() => a.encode('x', { n: 1n }), SerializationError);
      assert.throws(() => a.encode('x', cyclic), SerializationError);
      assert.equal(accepted(node('b'), a.encode('x', {})).seq, 0);
    });

    it('throws SerializationError for an empty or overlong kind', () => {
      assert.throws(() => node('a').encode('', {}), SerializationError);
      assert.throws(() => node('a').encode('k'.repeat(65), {}), SerializationError);
    });

    it('throws SerializationError for a message over the size limit peers enforce', () => {
      const a = node('a', { maxMessageBytes: 1024 });
      assert.throws(() => a.encode('inv', { keys: ['x'.repeat(2000)] }), /over the 1024-byte limit/);
    });
  });

  describe('channels and options', () => {
    it('names channels warp.<namespace>.<name>', () => {
      assert.equal(node('a').channel('sync'), 'warp.shop.sync');
      assert.equal(node('a').channel('watch.v2'), 'warp.shop.watch.v2');
    });

    it('rejects channel names that are not safe on Redis, NATS and MQTT', () => {
      for (const name of ['', 'a b', 'a/b', 'a*', 'a>', '#', '+', 'a..b', '.a', 'x'.repeat(65)]) {
        assert.throws(() => node('a').channel(name), InvalidOptionsError, name);
      }
    });

    it('rejects invalid namespaces with InvalidOptionsError', () => {
      for (const namespace of ['', 'a.b', 'a b', 'a/b', 'é', 'x'.repeat(65), undefined as unknown as string]) {
        assert.throws(() => new BusProtocol({ namespace, nodeId: 'a' }), InvalidOptionsError, String(namespace));
      }
      assert.doesNotThrow(() => new BusProtocol({ namespace: 'A-z_09', nodeId: 'a' }));
    });

    it('rejects an empty or overlong node id, an empty secret and a tiny size limit', () => {
      assert.throws(() => new BusProtocol({ namespace: NS, nodeId: '' }), InvalidOptionsError);
      assert.throws(() => new BusProtocol({ namespace: NS, nodeId: 'n'.repeat(129) }), InvalidOptionsError);
      assert.throws(() => new BusProtocol({ namespace: NS, nodeId: 'a', secret: '' }), InvalidOptionsError);
      assert.throws(() => new BusProtocol({ namespace: NS, nodeId: 'a', maxMessageBytes: 0 }), InvalidOptionsError);
    });
  });

  describe('signing', () => {
    it('accepts messages signed with the shared secret, as one JSON object carrying the signature', () => {
      const a = node('a', { secret: 's3cret' });
      const payload = a.encode('inv', { keys: ['k'] });
      assert.match(JSON.parse(Buffer.from(payload).toString()).sig, /^[0-9a-f]{64}$/);
      assert.deepEqual(accepted(node('b', { secret: 's3cret' }), payload).body, { keys: ['k'] });
    });

    it('drops unsigned messages when a secret is configured', () => {
      const b = node('b', { secret: 's3cret' });
      assertDropped(b, node('a').encode('inv', { keys: ['k'] }), 'unsigned');
      assertDropped(b, raw(valid), 'unsigned');
    });

    it('drops messages signed with another secret', () => {
      assertDropped(node('b', { secret: 's3cret' }), node('a', { secret: 'other' }).encode('inv', {}), 'bad-signature');
    });

    it('drops a signed message whose bytes were changed in transit', () => {
      const b = node('b', { secret: 's3cret' });
      const original = Buffer.from(node('a', { secret: 's3cret' }).encode('inv', { keys: ['user:1'] }));
      const tampered = Buffer.from(original.toString().replace('user:1', 'user:2'));
      assertDropped(b, tampered, 'bad-signature');
      const flippedSignature = Buffer.from(original);
      flippedSignature[10] = flippedSignature[10] === 0x61 ? 0x62 : 0x61;
      assertDropped(b, flippedSignature, 'bad-signature');
      const forged = Buffer.from(`{"sig":"${'0'.repeat(64)}",${JSON.stringify(valid).slice(1)}`);
      assertDropped(b, forged, 'bad-signature');
    });

    it('accepts signed messages when no secret is configured', () => {
      assert.equal(accepted(node('b'), node('a', { secret: 's3cret' }).encode('hb', {})).from, 'a');
    });
  });

  describe('filtering', () => {
    it("drops another namespace's messages", () => {
      assertDropped(node('b'), node('a', { namespace: 'other' }).encode('inv', {}), 'foreign-namespace');
    });

    it("drops the node's own messages, handing them back for lease timing", () => {
      const a = node('a');
      const decoded = a.decode(a.encode('hb', {}));
      assert.equal(decoded.ok, false);
      assert.equal(!decoded.ok && decoded.reason, 'own');
      assert.equal(!decoded.ok && decoded.reason === 'own' && decoded.message.seq, 0);
      assert.equal(a.drops.own, 1);
    });

    it('delivers a message of another process that uses the same node id (the cluster reports it)', () => {
      const twin = node('a', { incarnation: 'a-2' });
      assert.equal(accepted(node('a'), twin.encode('hb', {})).inc, 'a-2');
    });

    it('drops version 1 messages, which carry no incarnation', () => {
      assertDropped(node('b'), raw({ v: 1, ns: NS, from: 'p', seq: 0, kind: 'hb', body: {} }), 'malformed');
    });

    it('drops payloads over the size limit before parsing them', () => {
      const b = node('b', { maxMessageBytes: 256 });
      assertDropped(b, raw('x'.repeat(257)), 'oversized');
      assertDropped(b, raw({ ...valid, body: 'y'.repeat(300) }), 'oversized');
    });

    it('counts drops per reason', () => {
      const b = node('b', { secret: 's' });
      b.decode(raw('nope'));
      b.decode(raw('nope'));
      b.decode(node('x', { secret: 'other' }).encode('hb', {}));
      assert.equal(b.drops.unsigned, 2);
      assert.equal(b.drops['bad-signature'], 1);
      assert.equal(b.drops.malformed, 0);
    });
  });

  describe('untrusted payloads', () => {
    const malformed: Array<[string, Uint8Array]> = [
      ['not JSON', raw('{"v":1,')],
      ['empty', raw('')],
      ['invalid UTF-8', Buffer.from([0x7b, 0xff, 0xfe, 0x7d])],
      ['an array', raw([valid])],
      ['null', raw('null')],
      ['a string', raw('"hello"')],
      ['no version', raw({ ...valid, v: undefined })],
      ['version 0', raw({ ...valid, v: 0 })],
      ['a fractional version', raw({ ...valid, v: 1.5 })],
      ['a string version', raw({ ...valid, v: '1' })],
      ['a numeric namespace', raw({ ...valid, ns: 7 })],
      ['an empty sender', raw({ ...valid, from: '' })],
      ['an overlong sender', raw({ ...valid, from: 'f'.repeat(129) })],
      ['a sender object', raw({ ...valid, from: { id: 'x' } })],
      ['an empty kind', raw({ ...valid, kind: '' })],
      ['an overlong kind', raw({ ...valid, kind: 'k'.repeat(65) })],
      ['a negative seq', raw({ ...valid, seq: -1 })],
      ['a fractional seq', raw({ ...valid, seq: 0.5 })],
      ['an unsafe seq', raw({ ...valid, seq: 2 ** 53 })],
      ['a string seq', raw({ ...valid, seq: '1' })],
      ['no body', raw({ ...valid, body: undefined })],
    ];
    for (const [label, payload] of malformed) {
      it(`drops a message with ${label} as malformed`, () => assertDropped(node('b'), payload, 'malformed'));
    }

    it('drops non-byte input as malformed', () => {
      assertDropped(node('b'), 'text' as unknown as Uint8Array, 'malformed');
      assertDropped(node('b'), null as unknown as Uint8Array, 'malformed');
    });

    const polluting: Array<[string, string]> = [
      ['a top-level __proto__ key', `{"v":1,"ns":"${NS}","from":"p","seq":0,"kind":"k","body":{},"__proto__":{"polluted":true}}`],
      ['a __proto__ key in the body', `{"v":1,"ns":"${NS}","from":"p","seq":0,"kind":"k","body":{"__proto__":{"polluted":true}}}`],
      ['a deeply nested __proto__ key', `{"v":1,"ns":"${NS}","from":"p","seq":0,"kind":"k","body":{"a":[{"b":{"__proto__":{"polluted":true}}}]}}`],
      ['an escaped __proto__ key', `{"v":1,"ns":"${NS}","from":"p","seq":0,"kind":"k","body":{"\\u005f_proto__":{"polluted":true}}}`],
      ['a constructor key', `{"v":1,"ns":"${NS}","from":"p","seq":0,"kind":"k","body":{"constructor":{"prototype":{"polluted":true}}}}`],
      ['a prototype key', `{"v":1,"ns":"${NS}","from":"p","seq":0,"kind":"k","body":{"x":{"prototype":{"polluted":true}}}}`],
    ];
    for (const [label, text] of polluting) {
      it(`drops a message with ${label} as malformed and leaves Object.prototype untouched`, () => {
        assertDropped(node('b'), raw(text), 'malformed');
        assert.equal(({} as Record<string, unknown>).polluted, undefined);
        assert.equal(Object.prototype.hasOwnProperty.call(Object.prototype, 'polluted'), false);
      });
    }

    it('drops a signed message with a __proto__ key even when its signature is valid', () => {
      const secret = 's3cret';
      const a = node('a', { secret });
      const payload = a.encode('k', JSON.parse('{"__proto__":{"polluted":true}}'));
      assertDropped(node('b', { secret }), payload, 'malformed');
      assert.equal(({} as Record<string, unknown>).polluted, undefined);
    });

    it('accepts those words as values, escaped characters elsewhere, and keys that merely contain them', () => {
      const body = { keys: ['__proto__', 'constructor', 'prototype', 'caf\u00e9 \u2603'], my_constructor_id: 1, prototypes: 2 };
      const message = accepted(node('b'), raw({ ...valid, body }));
      assert.deepEqual(message.body, body);
      assert.deepEqual(accepted(node('b'), raw(`{"v":2,"ns":"${NS}","from":"p","inc":"p-1","seq":0,"at":1,"kind":"k","body":"\\u0041"}`)).body, 'A');
    });
  });

  describe('version tolerance', () => {
    it('accepts a newer version and ignores the fields it does not know', () => {
      const message = accepted(node('b'), raw({ ...valid, v: WIRE_VERSION + 1, trace: 'abc', priority: 3 }));
      assert.deepEqual(message, { ...valid, v: WIRE_VERSION + 1 });
    });

    it('accepts kinds it does not know (the receiver decides what to do with them)', () => {
      assert.equal(accepted(node('b'), raw({ ...valid, kind: 'future-kind' })).kind, 'future-kind');
    });
  });
});
