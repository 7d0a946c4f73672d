/**
 * Mirrors the instance to its CIMI `service-instance` resource (DESIGN §7): one PUT at a time, always of the
 * latest state (requests made while one is in flight collapse into one), deleted at terminate. A CIMI
 * failure is recorded on the timeline; it never stops the lifecycle.
 */
import * as wf from '@temporalio/workflow';
import { describeFailure } from '../failure-text';
import { WORKFLOW_TASK_QUEUE } from '../model/task-queues';
import type { InstanceContext } from '../instance-context';
import { peerCalls } from './peer-proxies';

export class CimiMirror {
  private dirty = false;
  private running: Promise<void> | null = null;
  private closed = false;

  constructor(
    private readonly ctx: InstanceContext,
    private readonly enabled: boolean,
  ) {}

  /** Asks for the current state to reach CIMI; returns at once. */
  request(): void {
    if (!this.enabled || this.closed) return;
    this.dirty = true;
    // Whoever asked may be cancelled (an operation a terminate preempts): the mirror still tells CIMI.
    this.running ??= wf.CancellationScope.nonCancellable(() => this.drain()).finally(() => {
      this.running = null;
    });
  }

  /** Nothing is on its way to CIMI. */
  get idle(): boolean {
    return this.running === null;
  }

  /** Resolves once every requested state has reached CIMI (or failed there). */
  async flush(): Promise<void> {
    while (this.running !== null) await this.running;
  }

  /** Stops mirroring: the instance belongs to someone else now (the leader), or is about to be deleted. */
  async close(): Promise<void> {
    await this.flush();
    this.closed = true;
  }

  async remove(): Promise<void> {
    if (!this.enabled) return;
    await this.close();
    const { inst, record } = this.ctx;
    try {
      await peerCalls.deleteInstanceFromCimi(inst.id);
      record('cimi', 'ok', `deleted ${inst.id} from CIMI`);
    } catch (err) {
      record('cimi', 'failed', `could not delete ${inst.id} from CIMI: ${describeFailure(err, WORKFLOW_TASK_QUEUE)}`);
    }
  }

  private async drain(): Promise<void> {
    while (this.dirty) {
      this.dirty = false;
      try {
        await peerCalls.mirrorInstanceToCimi(this.ctx.inst);
      } catch (err) {
        this.ctx.record('cimi', 'failed', `could not update ${this.ctx.inst.id} in CIMI: ${describeFailure(err, WORKFLOW_TASK_QUEUE)}`);
      }
    }
  }
}
