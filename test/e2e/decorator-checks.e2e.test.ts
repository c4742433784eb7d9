import 'reflect-metadata';
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Injectable } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import {
  InvalidOptionsError,
  Mode,
  WarpEvict,
  WarpKey,
  WarpLock,
  WarpModule,
  WarpPut,
  type KeyRegistration,
  type Warp,
} from '../../lib/index.js';
// Not public: the tests reach the engine behind WarpService through its DI token.
import { WARP_INSTANCE } from '../../lib/warp.constants.js';
import { RecordingLogger } from '../helpers/warp-factory.js';

type Provider = new (...args: any[]) => unknown;

/** Boots an app with these providers and forRoot keys; the decorators are checked during init. */
async function boot(providers: Provider[], keys: KeyRegistration[] = []) {
  const moduleRef = await Test.createTestingModule({
    imports: [WarpModule.forRoot({ keys, logger: new RecordingLogger() })],
    providers,
  }).compile();
  const app = moduleRef.createNestApplication({ logger: false });
  try {
    await app.init();
  } catch (error) {
    await app.close().catch(() => undefined);
    throw error;
  }
  return app;
}

async function refused(providers: Provider[], keys: KeyRegistration[], ...patterns: RegExp[]): Promise<void> {
  await assert.rejects(boot(providers, keys), (error: unknown) => {
    assert.ok(error instanceof InvalidOptionsError, `expected InvalidOptionsError, got ${String(error)}`);
    for (const pattern of patterns) assert.match(error.message, pattern);
    return true;
  });
}

async function accepted(providers: Provider[], keys: KeyRegistration[] = []): Promise<Warp> {
  const app = await boot(providers, keys);
  const warp = app.get<Warp>(WARP_INSTANCE);
  await app.close();
  return warp;
}

describe('decorator templates are checked against their method at bootstrap', () => {
  it('refuses a template reading an argument the method does not declare', async () => {
    @Injectable()
    class Users {
      @WarpKey('user:{1}', Mode.StrongLocal)
      async find(id: string): Promise<string> {
        return id;
      }
    }
    await refused([Users], [], /Users\.find: @WarpKey\("user:\{1\}"\) reads argument \{1\}, but the method declares 1 parameter/);
  });

  it('refuses it on @WarpPut, @WarpEvict and @WarpLock too, property paths included', async () => {
    @Injectable()
    class Put {
      @WarpPut('user:{1.id}')
      async save(user: { id: string }): Promise<unknown> {
        return user;
      }
    }
    @Injectable()
    class Evict {
      @WarpEvict('user:{2}')
      async remove(a: string, b: string): Promise<void> {
        void [a, b];
      }
    }
    @Injectable()
    class Locked {
      @WarpLock('job:{0}')
      async run(): Promise<void> {}
    }
    const keys = [{ key: 'user:*', mode: Mode.StrongLocal }];
    await refused([Put], keys, /Put\.save: @WarpPut\("user:\{1\.id\}"\) reads argument \{1\}/);
    await refused([Evict], keys, /Evict\.remove: @WarpEvict\("user:\{2\}"\) reads argument \{2\}, but the method declares 2 parameters/);
    await refused([Locked], [], /Locked\.run: @WarpLock\("job:\{0\}"\) reads argument \{0\}, but the method declares 0 parameters/);
  });

  it('flags nothing it cannot be sure of: default values and rest parameters', async () => {
    @Injectable()
    class Flexible {
      @WarpKey('page:{0}:{1}', Mode.StrongLocal)
      async page(id: string, size = 10): Promise<string> {
        return `${id}:${size}`;
      }

      @WarpKey('pair:{0}:{1}', Mode.StrongLocal)
      async pair(...parts: string[]): Promise<string> {
        return parts.join();
      }

      @WarpKey('opt:{0}:{2}', Mode.StrongLocal)
      async optional(a: string, b = 1, c?: string): Promise<string> {
        return `${a}${b}${c}`;
      }
    }
    await accepted([Flexible]);
  });
});

describe('@WarpPut and @WarpEvict keys are checked against the registrations at bootstrap', () => {
  it('refuses a @WarpPut on keys no registration covers', async () => {
    @Injectable()
    class Orders {
      @WarpPut('order:{0.id}')
      async save(order: { id: string }): Promise<unknown> {
        return order;
      }
    }
    await refused([Orders], [{ key: 'user:*', mode: Mode.StrongLocal }], /Orders\.save: @WarpPut\("order:\{0\.id\}"\) writes keys matching "order:\*", which no registration covers/);
  });

  it('refuses a @WarpEvict on an uncovered literal key', async () => {
    @Injectable()
    class Settings {
      @WarpEvict('settings')
      async reset(): Promise<void> {}
    }
    await refused([Settings], [], /Settings\.reset: @WarpEvict\("settings"\) writes keys matching "settings"/);
  });

  it('accepts keys covered by forRoot keys, by a broader pattern, or by a @WarpKey declared in a provider explored later', async () => {
    @Injectable()
    class Writer {
      @WarpPut('product:{0.id}')
      async save(product: { id: string }): Promise<unknown> {
        return product;
      }

      @WarpEvict('tenant:{0}:user:{1}')
      async remove(tenant: string, id: string): Promise<void> {
        void [tenant, id];
      }
    }
    @Injectable()
    class Reader {
      @WarpKey('product:{0}', Mode.EventualDistributed)
      async find(id: string): Promise<unknown> {
        return { id };
      }
    }
    await accepted([Writer, Reader], [{ key: 'tenant:*', mode: Mode.StrongLocal }]);
  });
});

describe('a decorator may not weaken the mode of a module registration', () => {
  @Injectable()
  class Accounts {
    @WarpKey('account:{0}', Mode.EventualDistributed)
    async find(id: string): Promise<unknown> {
      return { id };
    }
  }

  it('refuses @WarpKey eventual-distributed on keys forRoot registered strong-distributed', async () => {
    await refused(
      [Accounts],
      [{ key: 'account:*', mode: Mode.StrongDistributed }],
      /Accounts\.find: @WarpKey\("account:\{0\}", eventual-distributed\) would weaken "account:\*", registered as strong-distributed/,
      /strong-local < eventual-distributed < strong-distributed/,
    );
  });

  it('refuses it through a more specific pattern too, which would win for the keys it builds', async () => {
    @Injectable()
    class Profiles {
      @WarpKey('account:{0}:profile', Mode.StrongLocal)
      async profile(id: string): Promise<unknown> {
        return { id };
      }
    }
    await refused([Profiles], [{ key: 'account:*', mode: Mode.EventualDistributed }], /would weaken "account:\*"/);
  });

  it('allows keeping or strengthening it: a stronger decorator mode replaces the registration, keeping its ttl', async () => {
    const same = await accepted([Accounts], [{ key: 'account:*', mode: Mode.EventualDistributed, ttl: 5000 }]);
    assert.equal(same.registry.covering('account:*')?.mode, Mode.EventualDistributed);
    const stronger = await accepted([Accounts], [{ key: 'account:*', mode: Mode.StrongLocal, ttl: 5000 }]);
    assert.deepEqual([stronger.registry.covering('account:*')?.mode, stronger.registry.covering('account:*')?.ttl], [Mode.EventualDistributed, 5000]);
  });

  it('ignores module registrations that stay more specific than the decorator\'s pattern', async () => {
    // "account:*:balance" still governs its keys whatever @WarpKey('account:{0}') says.
    await accepted([Accounts], [{ key: 'account:*:balance', mode: Mode.StrongDistributed }]);
  });

  it('refuses two @WarpKeys giving one pattern different modes, whatever the discovery order', async () => {
    @Injectable()
    class StrongAccounts {
      @WarpKey('account:{0}', Mode.StrongDistributed)
      async find(id: string): Promise<unknown> {
        return { id };
      }
    }
    for (const providers of [[Accounts, StrongAccounts], [StrongAccounts, Accounts]]) {
      await refused(providers, [], /give the pattern "account:\*" different modes/);
    }
  });
});
