/**
 * Wakes the API's readers of an instance (long polls, streams, `?wait=true`) when the read model changes it.
 * One subscription to the store serves every reader of the process, and only while there is one.
 */
import type { ReadModelStore } from '../common/read-model/read-model-store';

/** A wake-up armed before a read, so a change committed between the read and the wait is not missed. */
export interface ArmedChange {
  /** Resolves on a change of the instance, after `ms`, or when `signal` aborts, whichever is first. */
  within(ms: number, signal?: AbortSignal): Promise<void>;
  /** Not waited for after all. */
  cancel(): void;
}

export class InstanceChanges {
  private readonly waiting = new Map<string, Set<() => void>>();
  private unsubscribe: (() => void) | null = null;

  constructor(private readonly store: ReadModelStore) {}

  arm(uuid: string): ArmedChange {
    let changed = false;
    let wake: () => void = () => undefined;
    const listener = () => {
      changed = true;
      this.remove(uuid, listener);
      wake();
    };
    this.add(uuid, listener);
    return {
      within: (ms, signal) =>
        new Promise<void>((resolve) => {
          if (changed || signal?.aborted || ms <= 0) {
            this.remove(uuid, listener);
            resolve();
            return;
          }
          const done = () => {
            clearTimeout(timer);
            signal?.removeEventListener('abort', done);
            this.remove(uuid, listener);
            resolve();
          };
          const timer = setTimeout(done, ms);
          wake = done;
          signal?.addEventListener('abort', done, { once: true });
        }),
      cancel: () => this.remove(uuid, listener),
    };
  }

  /** Readers currently waiting, over all instances (for tests and metrics). */
  get waiters(): number {
    let n = 0;
    for (const set of this.waiting.values()) n += set.size;
    return n;
  }

  private add(uuid: string, listener: () => void): void {
    let set = this.waiting.get(uuid);
    if (set === undefined) this.waiting.set(uuid, (set = new Set()));
    set.add(listener);
    this.unsubscribe ??= this.store.onChange((changed) => this.changed(changed));
  }

  private remove(uuid: string, listener: () => void): void {
    const set = this.waiting.get(uuid);
    if (set === undefined || !set.delete(listener)) return;
    if (set.size === 0) this.waiting.delete(uuid);
    if (this.waiting.size === 0 && this.unsubscribe !== null) {
      this.unsubscribe();
      this.unsubscribe = null;
    }
  }

  /** `null`: the store's feed was interrupted, so anything may have changed: every reader reads again. */
  private changed(uuid: string | null): void {
    const sets = uuid === null ? [...this.waiting.values()] : [this.waiting.get(uuid)];
    for (const set of sets) for (const listener of [...(set ?? [])]) listener();
  }
}
