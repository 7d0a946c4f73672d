/**
 * Projects the instance into the read model at each change: its document, status, agents and the timeline
 * entries the read model does not have yet, with a revision that only grows (model/projection.ts). The changes
 * of one workflow activation go out as one projection, a local activity that holds that workflow task: no task
 * of its own, and done before the change is acknowledged (an operation's acceptance, a settled instance).
 * Requests made while one is in flight collapse into one, of the latest state. A projection the database did not
 * take is sent again on a timer (10 s, doubling up to 10 min) and by the next change; a rebuild catches up the rest.
 * A fresh submission's first task projects nothing: the API wrote the submitted instance (`deploying`) already, and
 * a local activity there would hold the deploy's scheduling until the database took it. Its timeline entries go
 * with the next change (the deploy's end or progress, an operation), or at once when something waits for them.
 */
import * as wf from '@temporalio/workflow';
import type { ReadModelActivities } from '../activities/read-model-activities';
import { READ_MODEL_PROJECTION } from './activity-options';
import type { InstanceState } from './model/input';
import type { InstanceProjection, ProjectionState } from './model/projection';
import { READ_MODEL_PATCH, PROJECTION_OUTLIVES_OPERATIONS, FIRST_TASK_LEAVES_PROJECTION_TO_API } from './patches';

const RETRY_FIRST_MS = 10_000;
const RETRY_MAX_MS = 10 * 60_000;

const { projectInstance } = wf.proxyLocalActivities<ReadModelActivities>(READ_MODEL_PROJECTION);

export class ReadModelProjection {
  private dirty = false;
  private running: Promise<void> | null = null;
  /** What the last projection carried, to send nothing when nothing changed. */
  private lastSent: string | null = null;
  private retryPending = false;
  private retryDelayMs = RETRY_FIRST_MS;
  /** The history length of the first task while its requests are held; null: none held. */
  private readonly heldInTask: number | null;

  /** `submitted`: a fresh submission of the API (not a continued run), whose first state the API wrote. */
  constructor(
    private readonly state: InstanceState,
    private readonly uuid: string,
    private readonly ended: () => boolean,
    submitted: boolean,
    private readonly patched: (patchId: string) => boolean,
  ) {
    // Decided in the first activation, so a replay takes the same branch at the same point.
    this.heldInTask = submitted && this.patched(FIRST_TASK_LEAVES_PROJECTION_TO_API) ? wf.workflowInfo().historyLength : null;
  }

  /**
   * Asks for the current state to reach the read model; returns at once. The revision moves now, with the
   * change, so whoever reads the state (the projection query) gets the revision that goes with it.
   */
  request(): void {
    if (!this.patched(READ_MODEL_PATCH)) return;
    (this.state.projection ??= this.freshVersion()).revision += 1;
    this.dirty = true;
    if (this.heldInTask === wf.workflowInfo().historyLength) return;
    this.startDrain();
  }

  private startDrain(): void {
    this.running ??= this.detachedDrain()
      // drain() handles what the activity throws; what is left is a cancellation, whose state the next request redoes.
      .catch((err: unknown) => {
        if (!wf.isCancellation(err)) throw err;
      })
      .finally(() => {
        this.running = null;
      });
  }

  /** The drain, in no operation's scope: cancelling a deploy does not cancel the projection of what it did. */
  private detachedDrain(): Promise<void> {
    if (!this.patched(PROJECTION_OUTLIVES_OPERATIONS)) return this.drain();
    return wf.CancellationScope.nonCancellable(() => this.drain());
  }

  /** Resolves once every requested projection was sent (taken, or failed and left to the retry). */
  async flush(): Promise<void> {
    // Whoever flushes acknowledges a change: a held one goes out now.
    if (this.dirty && this.heldInTask !== null) this.startDrain();
    while (this.running !== null) await this.running;
  }

  /**
   * The projection of the state as it is, with the version of the last one sent: entries from `since`, or
   * (null) those the read model has not confirmed. For the API's read-your-writes and the rebuild.
   */
  current(since: number | null): InstanceProjection {
    const version = this.state.projection ?? this.freshVersion();
    return this.projection(version, since ?? version.confirmedEntries);
  }

  private async drain(): Promise<void> {
    // Conditions are checked once the activation's code has run: every change it makes goes into one projection.
    await wf.condition(() => true);
    while (this.dirty) {
      this.dirty = false;
      const next = this.next();
      if (next === null) continue;
      try {
        await projectInstance(next);
        this.confirmed(next);
      } catch (err) {
        wf.log.warn('the read model did not take the projection; it is sent again later', { revision: next.revision, error: String(err) });
        this.retryLater();
      }
    }
  }

  /** The next projection; null when it would carry nothing new. */
  private next(): InstanceProjection | null {
    const version = (this.state.projection ??= this.freshVersion());
    const key = `${JSON.stringify(this.state.instance)}|${this.ended()}|${this.timelineNext()}`;
    if (key === this.lastSent) return null;
    this.lastSent = key;
    return this.projection(version, version.confirmedEntries);
  }

  private confirmed(sent: InstanceProjection): void {
    const version = this.state.projection;
    if (version !== undefined) version.confirmedEntries = Math.max(version.confirmedEntries, sent.timelineNext);
    this.retryDelayMs = RETRY_FIRST_MS;
  }

  private retryLater(): void {
    if (this.retryPending) return;
    this.retryPending = true;
    const delay = this.retryDelayMs;
    this.retryDelayMs = Math.min(2 * delay, RETRY_MAX_MS);
    wf.sleep(delay)
      .then(() => {
        this.retryPending = false;
        this.lastSent = null;
        this.request();
      })
      // Cancelled with the workflow: nothing left to retry for.
      .catch(() => undefined);
  }

  /** A chain projects under the time its first run started: a later chain of the same id supersedes it. */
  private freshVersion(): ProjectionState {
    return { epoch: wf.workflowInfo().startTime.getTime(), revision: 0, confirmedEntries: 0 };
  }

  private timelineNext(): number {
    return this.state.timelineDropped + this.state.timeline.length;
  }

  private projection(version: ProjectionState, since: number): InstanceProjection {
    const { state } = this;
    const firstEntry = Math.min(Math.max(since, state.timelineDropped), this.timelineNext());
    return {
      uuid: this.uuid,
      epoch: version.epoch,
      revision: version.revision,
      instance: state.instance,
      ended: this.ended(),
      timelineNext: this.timelineNext(),
      firstEntry,
      entries: state.timeline.slice(firstEntry - state.timelineDropped),
    };
  }
}
