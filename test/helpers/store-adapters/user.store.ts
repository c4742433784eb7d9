import type { Repository } from 'typeorm';
import type { WarpStore } from '../../../lib/index.js';
import { User } from './user.entity.js';

const PREFIX = 'user:';
const idOf = (key: string): number => Number(key.slice(PREFIX.length));

/** Keys look like `user:<id>`. */
export class UserStore implements WarpStore<User> {
  constructor(private readonly users: Repository<User>) {}

  async get(key: string): Promise<User | undefined> {
    return (await this.users.findOneBy({ id: idOf(key) })) ?? undefined; // findOneBy gives null
  }

  async set(key: string, user: User): Promise<void> {
    await this.users.upsert({ ...user, id: idOf(key) }, ['id']); // one INSERT ... ON CONFLICT
  }

  async delete(key: string): Promise<void> {
    await this.users.delete({ id: idOf(key) }); // no error when the row is already gone
  }

  /** Enables warmup of the `user:*` pattern. */
  async keys(prefix = ''): Promise<string[]> {
    if (!PREFIX.startsWith(prefix) && !prefix.startsWith(PREFIX)) return [];
    const rows = await this.users.find({ select: { id: true } });
    return rows.map((row) => PREFIX + row.id).filter((key) => key.startsWith(prefix));
  }
}
