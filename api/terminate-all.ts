/**
 * `DELETE …/all`: terminates every instance listed when it was asked. The ids are read first, all pages of
 * them, so instances leaving the listing's filter while they terminate cannot make it skip others. The
 * terminates then go out in the background, a bounded number at once; each one that is not accepted is kept
 * with its reason (answered with `?wait=true`, and logged either way): none is skipped silently. One run at a
 * time per API process; another request meanwhile is a 429.
 */
import type { Logger } from '../common/logger';
import { instanceIdOf, uuidOf } from '../workflows/model/instance';
import type { InstanceStatus } from '../workflows/model/status';
import { ApiError, tooMany } from './api-error';
import { forEachBounded } from './client-limits';
import type { InstanceGateway } from './instance-gateway';

const RETRY_AFTER_S = 5;

export interface NotTerminated {
  service_instance_id: string;
  reason: string;
}

export interface TerminateAllOutcome {
  /** Every instance of the snapshot. */
  snapshot: string[];
  /** Known once every terminate was sent: the instances that accepted it (now `terminating`). */
  done: Promise<{ terminating: string[]; notTerminated: NotTerminated[] }>;
}

export class TerminateAll {
  private running: { left: number; total: number } | null = null;

  constructor(
    private readonly gateway: InstanceGateway,
    private readonly statuses: InstanceStatus[],
    private readonly concurrency: number,
    private readonly logger: Logger,
    /** Why a terminate was not accepted, as the API would answer it for that one instance. */
    private readonly explain: (err: unknown) => ApiError | null,
  ) {}

  async start(): Promise<TerminateAllOutcome> {
    if (this.running !== null) {
      throw tooMany(
        `a DELETE …/all is already terminating ${this.running.total} instances (${this.running.left} still to send): ` +
          `retry in ${RETRY_AFTER_S} s, or follow it with GET …/all`,
        RETRY_AFTER_S,
      );
    }
    const progress = { left: 0, total: 0 };
    this.running = progress;
    let snapshot: string[];
    try {
      snapshot = await this.snapshot();
    } catch (err) {
      this.running = null;
      throw err;
    }
    progress.left = progress.total = snapshot.length;
    const done = this.terminate(snapshot, progress).finally(() => {
      this.running = null;
    });
    return { snapshot, done };
  }

  private async snapshot(): Promise<string[]> {
    return [...new Set(await this.gateway.listIds({ statuses: this.statuses }))];
  }

  private async terminate(ids: string[], progress: { left: number }): Promise<{ terminating: string[]; notTerminated: NotTerminated[] }> {
    const outcomes = await forEachBounded(ids, this.concurrency, async (id) => {
      try {
        await this.gateway.requestTerminate(uuidOf(id));
      } finally {
        progress.left -= 1;
      }
    });
    const terminating: string[] = [];
    const notTerminated: NotTerminated[] = [];
    outcomes.forEach((outcome, i) => {
      const id = instanceIdOf(uuidOf(ids[i]));
      if (outcome.status === 'fulfilled') terminating.push(id);
      else notTerminated.push({ service_instance_id: id, reason: this.reasonOf(outcome.reason) });
    });
    for (const missed of notTerminated) this.logger.warn(missed, 'DELETE …/all: this instance did not accept its terminate');
    this.logger.info({ terminating: terminating.length, notTerminated: notTerminated.length }, 'DELETE …/all: every terminate sent');
    return { terminating, notTerminated };
  }

  private reasonOf(err: unknown): string {
    const mapped = this.explain(err);
    if (mapped !== null) return `${mapped.status}: ${mapped.message}`;
    return err instanceof Error ? err.message : String(err);
  }
}
