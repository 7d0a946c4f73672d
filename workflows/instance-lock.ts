/**
 * One thing at a time changes an instance's agents: an operation, a job, a notification's reaction or an
 * observation's result. Plain workflow state (no timers, no commands), so holding it adds nothing to history.
 * What holds it may run in a cancellation scope that `preempt` cancels: a terminate does not wait behind a
 * deploy whose image pull hangs, or a start retrying an unreachable runtime.
 */
import * as wf from '@temporalio/workflow';
import type { InstanceOperation } from './model/operations';

export type Holder = InstanceOperation | 'deploy' | 'start-job' | 'scale' | 'um-warning' | 'observe' | 'agent-presence';

export class InstanceLock {
  private current: Holder | null = null;
  private takenCount = 0;
  private scope: wf.CancellationScope | null = null;

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

  /** The same, with `work` in a scope `preempt` cancels; the instance is freed once `work` has unwound. */
  holdCancellable<T>(holder: Holder, work: () => Promise<T>): Promise<T> {
    return this.hold(holder, () => this.cancellable(work));
  }

  /** Runs `work` (of the current holder) in a scope `preempt` cancels. */
  async cancellable<T>(work: () => Promise<T>): Promise<T> {
    const scope = new wf.CancellationScope();
    this.scope = scope;
    try {
      return await scope.run(work);
    } finally {
      if (this.scope === scope) this.scope = null;
    }
  }

  /** Cancels what holds the instance, when it can be cancelled; true if it was. */
  preempt(): boolean {
    if (this.scope === null) return false;
    this.scope.cancel();
    return true;
  }
}
