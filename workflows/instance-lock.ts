/**
 * One thing at a time changes an instance's agents: an operation, a job, a notification's reaction or an
 * observation's result. Plain workflow state (no timers, no commands), so holding it adds nothing to history.
 */
import * as wf from '@temporalio/workflow';
import type { InstanceOperation } from './model/operations';

export type Holder = InstanceOperation | 'deploy' | 'start-job' | 'scale' | 'um-warning' | 'observe';

export class InstanceLock {
  private current: Holder | null = null;
  private takenCount = 0;

  /** Who holds the instance, or null. */
  get holder(): Holder | null {
    return this.current;
  }

  /** Counts the times the instance was taken: work that overlapped a change can tell it is stale. */
  get taken(): number {
    return this.takenCount;
  }

  /**
   * Waits for the instance, then takes it. Several waiters wake together when it frees: checking and taking
   * in one synchronous step (after each wake-up) is what keeps operations from interleaving.
   */
  async acquire(holder: Holder): Promise<void> {
    while (this.current !== null) await wf.condition(() => this.current === null);
    this.take(holder);
  }

  /** Takes the instance now; only when it is known to be free (the first phase, before any handler ran). */
  take(holder: Holder): void {
    if (this.current !== null) throw new Error(`the instance is held by "${this.current}"`);
    this.current = holder;
    this.takenCount += 1;
  }

  release(): void {
    this.current = null;
  }

  /** Runs `work` holding the instance, and frees it however `work` ends. */
  async hold<T>(holder: Holder, work: () => Promise<T>): Promise<T> {
    await this.acquire(holder);
    try {
      return await work();
    } finally {
      this.release();
    }
  }
}
