/**
 * One lock per key (a project or stack name): Temporal may run a zombie attempt and its retry at once, and two
 * compose commands on one project at once trip over each other's containers.
 */
import { Mutex } from 'async-mutex';

export class KeyedLock {
  private readonly locks = new Map<string, { mutex: Mutex; users: number }>();

  async run<T>(key: string, work: () => Promise<T>): Promise<T> {
    let entry = this.locks.get(key);
    if (!entry) {
      entry = { mutex: new Mutex(), users: 0 };
      this.locks.set(key, entry);
    }
    entry.users += 1;
    try {
      return await entry.mutex.runExclusive(work);
    } finally {
      entry.users -= 1;
      if (entry.users === 0) this.locks.delete(key);
    }
  }
}
