import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { compileKeyTemplate } from '../../../lib/decorators/key-template.js';
import { InvalidKeyError } from '../../../lib/common/warp.errors.js';

describe('key templates', () => {
  it('fills argument indexes and derives the registration pattern', () => {
    const template = compileKeyTemplate('order:{0}:line:{1}', 'Orders.line');
    assert.equal(template.pattern, 'order:*:line:*');
    assert.equal(template.resolve(['42', 3]), 'order:42:line:3');
  });

  it('follows property paths, including inherited getters', () => {
    class User {
      constructor(readonly id: number) {}
      get slug(): string {
        return `u${this.id}`;
      }
    }
    const template = compileKeyTemplate('user:{0.id}:{0.slug}:{1.tenant.name}', 'Users.find');
    assert.equal(template.resolve([new User(7), { tenant: { name: 'acme' } }]), 'user:7:u7:acme');
  });

  it('keeps a template without placeholders as an exact key', () => {
    const template = compileKeyTemplate('config', 'Config.load');
    assert.equal(template.pattern, 'config');
    assert.equal(template.resolve([]), 'config');
  });

  it('uses a function template as is, validating what it returns', () => {
    const template = compileKeyTemplate((a: string, b: number) => `r:${a}:${b}`, 'Reports.get');
    assert.equal(template.pattern, undefined);
    assert.equal(template.resolve(['x', 1]), 'r:x:1');
    assert.throws(() => compileKeyTemplate(() => '', 'Reports.empty').resolve([]), InvalidKeyError);
    assert.throws(() => compileKeyTemplate(() => 42 as unknown as string, 'Reports.number').resolve([]), InvalidKeyError);
  });

  it('rejects missing, null and object key parts with InvalidKeyError naming the method', () => {
    const template = compileKeyTemplate('user:{0.id}', 'Users.find');
    assert.throws(() => template.resolve([{}]), (e: Error) => e instanceof InvalidKeyError && /Users\.find/.test(e.message));
    assert.throws(() => template.resolve([null]), InvalidKeyError);
    assert.throws(() => template.resolve([{ id: { nested: true } }]), InvalidKeyError);
    assert.throws(() => template.resolve([]), InvalidKeyError);
  });

  it('rejects keys that become too long', () => {
    assert.throws(() => compileKeyTemplate('k:{0}', 'Big.key').resolve(['x'.repeat(2000)]), InvalidKeyError);
  });

  it('rejects templates that are neither strings nor functions', () => {
    assert.throws(() => compileKeyTemplate('' as never, 'Bad.empty'), InvalidKeyError);
    assert.throws(() => compileKeyTemplate(42 as never, 'Bad.number'), InvalidKeyError);
  });
});
