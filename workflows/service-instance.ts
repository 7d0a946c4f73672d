/**
 * One service instance as an entity (DESIGN §3): its state, the handlers of its messages and the steps of its
 * life, in one class behind the thin workflow function of service-instance.workflow.ts. It deploys the
 * service on every agent in parallel, settles, then serves operations one at a time until it is terminated.
 *
 * mF2C steps (agent selection, leader forwarding, CIMI mirror, SLA agreement, UM accounting, notification
 * reactions, remote agents over HTTP) run only when the input asks for them (`peers`, `mf2c`): a standalone
 * instance issues exactly the commands it always did, so recorded histories replay unchanged.
 */
import * as wf from '@temporalio/workflow';
import { PROGRESS_NOTE_EVERY_MS, RETRY_NOTE_EVERY_MS } from './activity-options';
import { agentSteps, hasWorkload, type AgentSteps } from './agent-steps';
import { jobRefusal, startCompssJob } from './compss-start-job';
import type { InstanceContext } from './instance-context';
import { DEFAULT_EXPIRY_RETRY_MS, expiryRetryDelayMs } from './incomplete-terminate';
import { InstanceLock } from './instance-lock';
import { backFromLost, markLostAgents, rememberPresence } from './lost-agents';
import { countSettled } from './instance-metrics';
import {
  appendTimeline,
  forgetNotification,
  initialState,
  recallUpdate,
  rememberNotification,
  rememberUpdate,
  timelineSince,
} from './instance-state';
import type { Notification, StartJobResult, StepProgress } from './messages';
import type { AgentPresence } from './model/agents';
import { FailureType } from './model/failures';
import type { StartJobRequest } from './model/compss-job';
import type { InstanceState, RecentUpdate, ServiceInstanceInput } from './model/input';
import type { ServiceInstance, TimelineEntry, TimelineOutcome, TimelinePage } from './model/instance';
import { agentLabel } from './model/instance';
import { operationRefusal, type InstanceOperation } from './model/operations';
import { initialPeerState, type PeerState, type SelectionOutcome } from './model/peers';
import { SA_AGENT_COUNT, SA_AGENTS, SA_STATUS } from './model/search-attributes';
import { historyIsLong, memoKey } from './lean-history';
import { routeOf } from './mf2c/agent-routes';
import { deriveInstanceStatus, type InstanceStatus } from './model/status';
import { chooseAgents } from './mf2c/agent-selection-phase';
import { syncAppsRunning } from './mf2c/apps-running';
import { CimiMirror } from './mf2c/cimi-mirror';
import { forwardToLeader } from './mf2c/leader-forward';
import { reactToUmWarning, rescale } from './mf2c/notification-reactions';
import { syncAgreement, terminateAgreement } from './mf2c/sla-agreement';
import type { InstanceProjection } from './model/projection';
import { ReadModelProjection } from './read-model-projection';
import { observeAgents } from './runtime-observation';
import {
  PUBLISH_ON_CHANGE,
  OBSERVED_BY_AGENT_SWEEP,
  CONTINUE_AS_NEW_EARLY,
  TERMINATE_PREEMPTS,
  CARRY_OVER_WHEN_QUIET,
  AGENT_PRESENCE_FOLLOWED,
  INCOMPLETE_TERMINATE_RETRIED,
  TERMINATE_WAITS_OVER_OBSERVATION,
  REMOVE_BY_NAME,
  Patches,
} from './patches';

const DEPLOY_HERE: SelectionOutcome = { outcome: 'deploy', message: 'the instance is deployed by this LM' };

/** Throws if the scope running this was cancelled: an operation's steps swallow their own cancellation. */
function unlessCancelled(): void {
  if (wf.CancellationScope.current().consideredCancelled) throw new wf.CancelledFailure('preempted by terminate');
}

function nowIso(): string {
  return new Date().toISOString();
}

export class ServiceInstanceEntity implements InstanceContext {
  readonly state: InstanceState;
  /** Any peer or mF2C step at all: false for standalone instances, whose commands must not change. */
  private readonly withPeers: boolean;
  private readonly lock = new InstanceLock();
  /** First, so that the run's patch baseline is decided before any patch is met. */
  private readonly patches = new Patches();
  private readonly mirror: CimiMirror;
  private readonly readModel: ReadModelProjection;
  private readonly steps: AgentSteps;
  /** The agent's runtime reported a change (Docker events): observe once no operation runs. */
  private observeRequested = false;
  /** One of its agents was announced lost or back: follow it once no operation runs. */
  private presenceChanged = false;
  private terminateRequested = false;
  /** Set once the first phase knows where the instance runs; a continued run already knows. */
  private selection: SelectionOutcome | null;
  /** The instance ended without running here (forwarded, or impossible to place): the workflow completes. */
  private ended = false;
  /** A terminate was accepted and waits for the operation it preempted to unwind: the status stays `terminating`. */
  private terminatePending = false;
  /** Submitted with `expires_in`: when the instance next terminates itself (again, while that is incomplete). */
  private nextExpiryAttempt: number | null = null;
  private expiryAttempts = 0;
  /** Runtime steps retrying now, by step and agent: the Web UI's details show their last failure. */
  private readonly retrying: Record<string, string> = {};
  /** When each retrying step last said so on the timeline. */
  private readonly retryNotedAt: Record<string, number> = {};
  /** How far long runtime steps have got (image pulls), by step and agent, as their agent's worker reports it. */
  private readonly progressing: Record<string, string> = {};
  /** When each such step last said so on the timeline. */
  private readonly progressNotedAt: Record<string, number> = {};
  /** The memo as last published (memoKey); null until the first publish reads the one the run started with. */
  private publishedMemo: string | null = null;
  /** Continues as new at CONTINUE_AS_NEW_AT (histories since CONTINUE_AS_NEW_EARLY), not only when the server suggests it. */
  private continueEarly = false;

  constructor(readonly input: ServiceInstanceInput) {
    // The API made the memo it started the workflow with from the same moment: the first publish finds it unchanged.
    this.state = input.state ?? initialState(input, input.submittedAt ?? nowIso());
    this.withPeers =
      input.mf2c !== undefined || input.peers?.cimi === true || input.peers?.sla === true || input.peers?.userManagement === true;
    this.selection = input.state === undefined ? null : DEPLOY_HERE;
    this.mirror = new CimiMirror(this, input.peers?.cimi === true);
    this.readModel = new ReadModelProjection(
      this.state,
      input.uuid,
      () => this.ended || this.inst.status === 'terminated',
      input.state === undefined,
      this.patched,
    );
    this.steps = agentSteps(this, this.withPeers);
    this.observeRequested = this.state.observePending ?? false;
    this.presenceChanged = this.state.presencePending ?? false;
  }

  get inst(): ServiceInstance {
    return this.state.instance;
  }

  // ── What the steps share (InstanceContext) ────────────────────────────────────────────────────────────

  readonly patched = (patchId: string): boolean => this.patches.has(patchId);

  readonly record = (step: string, outcome: TimelineOutcome, message: string, agent?: string): void => {
    const at = nowIso();
    this.inst.updated = at;
    appendTimeline(this.state, { at, step, outcome, message, ...(agent === undefined ? {} : { agent }) });
    this.readModel.request();
    if (outcome === 'failed') wf.log.warn(message, { step, agent });
    else wf.log.info(message, { step, agent });
  };

  /** Makes the state visible without a query: search attributes, memo, the read model, CIMI in mF2C. */
  readonly publish = (): void => {
    const { inst } = this;
    const attributes = [
      { key: SA_STATUS, value: inst.status },
      { key: SA_AGENT_COUNT, value: inst.agents.length },
    ];
    if (!this.patched(PUBLISH_ON_CHANGE)) {
      wf.upsertSearchAttributes(attributes);
      wf.upsertMemo({ instance: inst });
    } else {
      // Each upsert is a history event and a visibility write: only what changed since the start (or the last one).
      const info = wf.workflowInfo();
      const changed = attributes.filter(({ key, value }) => info.typedSearchAttributes.get(key) !== value);
      if (changed.length > 0) wf.upsertSearchAttributes(changed);
      // The SDK keeps the upserted object itself as the memo: what was published is remembered as text.
      this.publishedMemo ??= memoKey(info.memo?.instance as ServiceInstance | undefined);
      const key = memoKey(inst);
      if (key !== this.publishedMemo) {
        wf.upsertMemo({ instance: inst });
        this.publishedMemo = key;
      }
    }
    wf.setCurrentDetails(this.details());
    this.readModel.request();
    this.mirror.request();
  };

  readonly peerState = (): PeerState => (this.state.peers ??= initialPeerState());

  readonly showRetry = (key: string, step: string, agent: string, message: string, nextDelayMs: number): void => {
    this.retrying[key] = `${message}; next attempt in ${Math.round(nextDelayMs / 1000)} s`;
    const noted = this.retryNotedAt[key];
    if (noted === undefined || Date.now() - noted >= RETRY_NOTE_EVERY_MS) {
      this.retryNotedAt[key] = Date.now();
      this.record(step, 'info', message, agent);
    } else {
      wf.log.warn(message, { step, agent });
    }
    wf.setCurrentDetails(this.details());
  };

  readonly clearRetry = (key: string): void => {
    if (!(key in this.retrying) && !(key in this.progressing)) return;
    delete this.retrying[key];
    delete this.retryNotedAt[key];
    delete this.progressing[key];
    delete this.progressNotedAt[key];
    wf.setCurrentDetails(this.details());
  };

  /** A long runtime step's progress (signal): the current details follow it, the timeline at most every 10 s. */
  stepProgress(progress: StepProgress): void {
    const key = `${progress.step} ${progress.agent}`;
    if (progress.done) {
      delete this.progressing[key];
      delete this.progressNotedAt[key];
    } else {
      this.progressing[key] = progress.message;
      const noted = this.progressNotedAt[key];
      if (noted === undefined || Date.now() - noted >= PROGRESS_NOTE_EVERY_MS) {
        this.progressNotedAt[key] = Date.now();
        this.record(progress.step, 'info', progress.message, progress.agent);
      }
    }
    wf.setCurrentDetails(this.details());
  }

  /** The Web UI's current details: the status, each agent's, how far long steps got, what is being retried and why. */
  private details(): string {
    const { inst } = this;
    const agents = inst.agents.map((a, i) => `${agentLabel(a, i)} ${a.status}`).join(', ');
    const lines = [...Object.values(this.progressing), ...Object.values(this.retrying)].map((line) => `\n\n${line}`).join('');
    return `**${inst.status}** — agents: ${agents || 'none'}${lines}`;
  }

  // ── Queries ───────────────────────────────────────────────────────────────────────────────────────────

  instance(): ServiceInstance {
    return this.inst;
  }

  timeline(): TimelineEntry[] {
    return this.state.timeline;
  }

  timelineSince(since: number): TimelinePage {
    return timelineSince(this.state, since, this.ended);
  }

  notificationsInFlight(): string[] {
    return this.state.seenNotifications;
  }

  /** What the read model gets (entries from `since`; null: those it has not confirmed). */
  projection(since: number | null): InstanceProjection {
    return this.readModel.current(since);
  }

  // ── Updates and signals ───────────────────────────────────────────────────────────────────────────────

  /** mF2C: answers once the instance knows where it runs. */
  async awaitSelection(): Promise<SelectionOutcome> {
    await wf.condition(() => this.selection !== null);
    return this.selection ?? DEPLOY_HERE;
  }

  /** Refuses an operation the instance cannot run now; terminate waits for a running operation instead. */
  validateOperation(operation: InstanceOperation): void {
    // Answered before (in this run or an earlier one): the handler answers the same again.
    if (this.recalled(operation) !== null) return;
    if (this.terminateRequested) throw new Error('the service instance is being terminated');
    if (this.lock.holder !== null && operation !== 'terminate') {
      throw new Error(`"${this.lock.holder}" is in progress; retry "${operation}" once the instance has settled`);
    }
    const refusal = operationRefusal(operation, this.inst.status);
    if (refusal !== null) throw new Error(refusal);
  }

  /** An operation, answered once per update id: a retry with the same id, in a later run too, gets the same answer. */
  runOperation(operation: InstanceOperation): Promise<ServiceInstance> {
    return this.answeredOnce(
      operation,
      () => (operation === 'terminate' ? this.requestTerminate() : this.operate(operation)),
      (instance) => ({ instance }),
      (kept) => kept.instance,
    );
  }

  validateStartJob(_job: StartJobRequest): void {
    if (this.recalled('start-job') !== null) return;
    if (this.terminateRequested) throw new Error('the service instance is being terminated');
    if (this.lock.holder !== null) throw new Error(`"${this.lock.holder}" is in progress; retry "start-job" once the instance has settled`);
    const refusal = jobRefusal(this);
    if (refusal !== null) throw new Error(refusal);
  }

  startJob(job: StartJobRequest): Promise<StartJobResult> {
    return this.answeredOnce(
      'start-job',
      () => this.lock.hold('start-job', () => startCompssJob(this, job)),
      (result) => ({ instance: result.instance, compss_app_id: result.compss_app_id }),
      (kept) => ({ instance: kept.instance, compss_app_id: kept.compss_app_id ?? '-' }),
    );
  }

  /** How the update being validated or handled was answered before, if it was. */
  private recalled(operation: string): RecentUpdate | null {
    const id = wf.currentUpdateInfo()?.id;
    return id === undefined ? null : recallUpdate(this.state, id, operation);
  }

  private async answeredOnce<T>(
    operation: string,
    run: () => Promise<T>,
    keep: (result: T) => Pick<RecentUpdate, 'instance' | 'compss_app_id'>,
    answer: (kept: RecentUpdate) => T,
  ): Promise<T> {
    const id = wf.currentUpdateInfo()?.id;
    const kept = this.recalled(operation);
    if (kept !== null) {
      this.record(
        operation,
        'info',
        `${operation} with update id ${kept.id} was answered before: answering the same, not running it again`,
      );
      if (kept.failure !== undefined)
        throw wf.ApplicationFailure.create({ type: kept.failure.type, message: kept.failure.message, nonRetryable: true });
      return answer(kept);
    }
    try {
      const result = await run();
      if (id !== undefined) rememberUpdate(this.state, { id, operation, ...keep(result) });
      return result;
    } catch (err) {
      if (id !== undefined && err instanceof wf.ApplicationFailure) {
        rememberUpdate(this.state, {
          id,
          operation,
          instance: this.inst,
          failure: { type: err.type ?? FailureType.OperationRefused, message: err.message },
        });
      }
      throw err;
    }
  }

  /** start, stop, restart: they never interleave; one runs, the rest were refused by their validator or wait here. */
  private async operate(operation: Exclude<InstanceOperation, 'terminate'>): Promise<ServiceInstance> {
    await this.lock.holdCancellable(operation, async () => {
      const refusal = operationRefusal(operation, this.inst.status);
      if (refusal !== null) {
        this.record(operation, 'rejected', refusal);
        throw wf.ApplicationFailure.create({ type: FailureType.OperationRefused, message: refusal, nonRetryable: true });
      }
      this.record(operation, 'info', `${operation} requested`);
      this.state.terminateWhenBack = false;
      try {
        await this.operationBody(operation);
      } catch (err) {
        if (!wf.isCancellation(err)) throw err;
        const why = `${operation} was interrupted: the service instance is being terminated`;
        this.record(operation, 'info', why);
        throw wf.ApplicationFailure.create({ type: FailureType.OperationRefused, message: why, nonRetryable: true });
      }
    });
    return this.inst;
  }

  /**
   * A terminate is accepted whatever runs: the instance says `terminating` at once, the operation running
   * (a deploy, a start retrying an unreachable runtime…) is cancelled, and once it has unwound every workload
   * is removed. Before TERMINATE_PREEMPTS it waited its turn.
   */
  private async requestTerminate(): Promise<ServiceInstance> {
    this.terminateRequested = true;
    if (!this.patched(TERMINATE_PREEMPTS)) {
      await this.lock.hold('terminate', async () => {
        const refusal = operationRefusal('terminate', this.inst.status);
        if (refusal !== null) {
          this.record('terminate', 'rejected', refusal);
          throw wf.ApplicationFailure.create({ type: FailureType.OperationRefused, message: refusal, nonRetryable: true });
        }
        this.record('terminate', 'info', 'terminate requested');
        await this.terminate();
      });
      return this.inst;
    }
    const running = this.lock.holder;
    this.terminatePending = true;
    this.setStatus('terminating');
    const preempted = this.lock.preempt();
    this.record('terminate', 'info', preempted ? `terminate requested: interrupting "${running}"` : 'terminate requested');
    await this.lock.hold('terminate', async () => {
      if (this.ended) {
        this.terminatePending = false;
        const refusal = operationRefusal('terminate', this.inst.status) ?? `the service instance is ${this.inst.status}`;
        this.record('terminate', 'rejected', refusal);
        throw wf.ApplicationFailure.create({ type: FailureType.OperationRefused, message: refusal, nonRetryable: true });
      }
      // Removing is never itself interrupted: not by a workflow cancellation either, which terminates too.
      await wf.CancellationScope.nonCancellable(() => this.terminate());
    });
    return this.inst;
  }

  runtimeChanged(): void {
    this.observeRequested = true;
  }

  /** An agent's presence workflow says it was lost or is back (histories from before this never act on it). */
  agentPresence(presence: AgentPresence): void {
    if (!this.inst.agents.some((agent) => agent.url === presence.ip)) return;
    if (!this.patched(AGENT_PRESENCE_FOLLOWED)) return;
    if (rememberPresence(this.state, presence)) this.presenceChanged = true;
  }

  /** Identical notifications in flight are merged; the others are handled in turn with the operations. */
  async notify(notification: Notification): Promise<void> {
    if (!rememberNotification(this.state, notification.key)) {
      this.record(notification.type, 'info', `an identical ${notification.type} is being handled: merged into it`);
      return;
    }
    this.record(notification.type, 'info', `${notification.type} received: ${JSON.stringify(notification.data)}`);
    try {
      await this.reactTo(notification);
    } finally {
      forgetNotification(this.state, notification.key);
    }
  }

  // ── The life of the instance: first phase, serving, continuing ────────────────────────────────────────

  /** Deploys (or, in mF2C, places or forwards) a new instance; a continued run has done this already. */
  async firstPhase(): Promise<void> {
    if (this.input.state !== undefined) return;
    this.lock.take('deploy');
    try {
      await this.lock.cancellable(async () => {
        const placement = await this.choosePlacement();
        if (placement.outcome === 'deploy') {
          this.selection = placement;
          await this.deploy();
        } else {
          // The submit is answered once the instance has ended (its CIMI record deleted or handed over).
          await this.endWithout(placement);
          this.selection = placement;
        }
      });
    } catch (err) {
      // Preempted by a terminate, which removes whatever the deploy made; a workflow cancellation goes on up.
      if (!(wf.isCancellation(err) && this.terminatePending)) throw err;
      this.record('deploy', 'info', 'deploy was interrupted: the service instance is being terminated');
    } finally {
      this.selection ??= DEPLOY_HERE;
      this.lock.release();
    }
  }

  /**
   * Serves until the instance has ended, or is idle with a long history: observes its agents when their runtime
   * reports a change (or, for agents driven over HTTP, on the observation timer), and terminates it when it expires.
   */
  async serve(): Promise<void> {
    const observeEvery = this.input.settings.observeIntervalMs;
    const { expires_at } = this.inst;
    const carried = this.state.expiry;
    this.nextExpiryAttempt = carried !== undefined ? carried.nextAttemptAt : expires_at === undefined ? null : Date.parse(expires_at);
    this.expiryAttempts = carried?.attempts ?? 0;
    if (observeEvery === undefined) {
      // Started before observation existed: its history has no observation to replay.
      await wf.condition(() => this.done());
      return;
    }
    for (;;) {
      this.continueEarly ||= this.patched(CONTINUE_AS_NEW_EARLY);
      const every = this.observationTimerMs(observeEvery);
      await this.nextWakeUp(every);
      if (this.done()) return;
      if (this.expiryDue()) {
        await this.expire();
        continue;
      }
      if (this.presenceChanged) {
        await this.followAgentPresence();
        continue;
      }
      if (!this.observeRequested && every === 0) continue;
      this.observeRequested = false;
      if (this.state.terminateWhenBack === true && this.patched(TERMINATE_WAITS_OVER_OBSERVATION)) continue;
      await observeAgents(this, this.lock, this.steps.refOf, (step) => this.settleAfter(step));
    }
  }

  /**
   * Completes with the final instance, or continues as a new run carrying everything over. A message that
   * arrived while the last state went to CIMI (a stop, a notification) finishes in this run first, so the next
   * run starts settled; before CARRY_OVER_WHEN_QUIET it was cut off half-way.
   */
  async finish(): Promise<ServiceInstance> {
    await wf.condition(wf.allHandlersFinished);
    await this.mirror.flush();
    while (!(wf.allHandlersFinished() && this.mirror.idle) && this.patched(CARRY_OVER_WHEN_QUIET)) {
      await wf.condition(wf.allHandlersFinished);
      await this.mirror.flush();
    }
    // The last projection holds this workflow task (a local activity): no message comes in meanwhile.
    await this.readModel.flush();
    if (this.ended || this.inst.status === 'terminated') return this.inst;
    this.record('continue-as-new', 'info', 'history is long: continuing as a new run with the same state');
    await this.readModel.flush();
    return wf.continueAsNew<(input: ServiceInstanceInput) => Promise<ServiceInstance>>(this.carryOver());
  }

  /** The next run's input: the state, the observation and the presence change still to follow, the expiry's progress; no notification is in flight. */
  private carryOver(): ServiceInstanceInput {
    return {
      ...this.input,
      state: {
        ...this.state,
        seenNotifications: [],
        observePending: this.observeRequested,
        presencePending: this.presenceChanged,
        expiry: { attempts: this.expiryAttempts, nextAttemptAt: this.nextExpiryAttempt },
      },
    };
  }

  /**
   * The workflow was cancelled (the Web UI's Cancel, `temporal workflow cancel`): it means terminate. Runs in
   * a scope nothing cancels; retries an incomplete terminate, waiting longer each time, until nothing is left.
   */
  async terminateOnCancel(): Promise<ServiceInstance> {
    const { inst } = this;
    this.terminateRequested = true;
    if (!this.ended && inst.status !== 'terminated') {
      this.record('cancel', 'info', 'the workflow was cancelled (Temporal Web UI or CLI): terminating the instance, as a DELETE does');
      this.terminatePending = true;
      this.setStatus('terminating');
      this.lock.preempt();
      for (let attempt = 1; ; attempt += 1) {
        await this.lock.hold('terminate', () => this.terminate());
        if (this.isTerminated()) break;
        const waitMs = expiryRetryDelayMs(this.input.settings.expiryRetryMs ?? DEFAULT_EXPIRY_RETRY_MS, attempt);
        this.record('cancel', 'info', `the terminate after cancel is incomplete: trying again in ${Math.round(waitMs / 1000)} s`);
        await wf.sleep(waitMs);
      }
    }
    await wf.condition(wf.allHandlersFinished);
    await this.mirror.flush();
    await this.readModel.flush();
    return inst;
  }

  private isTerminated(): boolean {
    return this.inst.status === 'terminated';
  }

  private done(): boolean {
    return this.ended || this.inst.status === 'terminated' || (this.lock.holder === null && this.historyFull());
  }

  private historyFull(): boolean {
    const info = wf.workflowInfo();
    return info.continueAsNewSuggested || (this.continueEarly && historyIsLong(info));
  }

  /**
   * How often to observe the agents on a timer: never for agents on this Temporal cluster since
   * OBSERVED_BY_AGENT_SWEEP (their LM signals what changed), as configured while any agent is driven over HTTP.
   */
  private observationTimerMs(observeEvery: number): number {
    if (observeEvery === 0 || !this.patched(OBSERVED_BY_AGENT_SWEEP)) return observeEvery;
    return this.inst.agents.some((_, index) => routeOf(this, index) === 'http') ? observeEvery : 0;
  }

  private expiryDue(): boolean {
    return this.nextExpiryAttempt !== null && !this.terminateRequested && this.lock.holder === null && Date.now() >= this.nextExpiryAttempt;
  }

  /** Sleeps until the next observation, the expiry, or something to do (the end, a runtime's report, the expiry once free). */
  private async nextWakeUp(observeEvery: number): Promise<void> {
    const due = () => this.done() || ((this.observeRequested || this.presenceChanged) && this.lock.holder === null) || this.expiryDue();
    // Without an expiry the waits are exactly those of the histories recorded before it existed.
    // Once the time has come, no timer: `due` wakes the loop when the instance is free to terminate.
    const next = this.nextExpiryAttempt;
    const untilExpiry = next === null || next <= Date.now() ? null : next - Date.now();
    const wait = [observeEvery > 0 ? observeEvery : null, untilExpiry].filter((ms): ms is number => ms !== null);
    if (wait.length > 0) await wf.condition(due, Math.min(...wait));
    else await wf.condition(due);
  }

  /** The instance has expired: it terminates itself, and tries again later while that is incomplete. */
  private async expire(): Promise<void> {
    const { inst } = this;
    this.expiryAttempts += 1;
    this.nextExpiryAttempt = null;
    this.record(
      'expire',
      'info',
      this.expiryAttempts === 1
        ? `the instance expires now (${inst.expires_at}, expires_in at submit): terminating it`
        : `the instance expired at ${inst.expires_at}: terminating it again (attempt ${this.expiryAttempts})`,
    );
    await this.runOperation('terminate').catch(() => undefined);
    if (inst.status !== 'terminated' && !this.ended && this.patched(INCOMPLETE_TERMINATE_RETRIED)) {
      const waitMs = expiryRetryDelayMs(this.input.settings.expiryRetryMs ?? DEFAULT_EXPIRY_RETRY_MS, this.expiryAttempts);
      this.nextExpiryAttempt = Date.now() + waitMs;
      this.record(
        'expire',
        'info',
        `the terminate at expiry is incomplete: trying again in ${Math.round(waitMs / 1000)} s (or DELETE the instance)`,
      );
    }
  }

  /**
   * A lost agent's agents turn `unknown` (the instance `degraded`; its SLA and UM count stay, as nothing is known
   * to have stopped). One that is back is observed again, or, if a terminate was left incomplete, terminated.
   */
  private async followAgentPresence(): Promise<void> {
    this.presenceChanged = false;
    let terminate = false;
    await this.lock.hold('agent-presence', async () => {
      if (this.inst.status === 'terminated' || this.terminateRequested) return;
      if (markLostAgents(this)) this.settle('agent-lost');
      if (!backFromLost(this)) return;
      this.record('agent-back', 'info', 'a lost agent of the instance is back: observing its agents again');
      terminate = this.state.terminateWhenBack === true;
      this.observeRequested = !terminate;
    });
    if (terminate) {
      this.record('terminate', 'info', 'a lost agent is back: finishing the incomplete terminate');
      await this.runOperation('terminate').catch(() => undefined);
    }
  }

  // ── Placement ─────────────────────────────────────────────────────────────────────────────────────────

  /** Where the instance runs (spec/original-lm.md §8.2–§8.5); the API answers the submit from this. */
  private async choosePlacement(): Promise<SelectionOutcome> {
    const { service, placement } = this.input;
    if (this.input.mf2c === undefined) {
      // Standalone: the API placed it among the cluster's live agents; the timeline says why each was chosen or not.
      if (placement !== undefined) {
        this.record('place', 'info', `placing ${service.exec_type} "${service.name}": ${placement.rule}`);
        for (const verdict of placement.verdicts)
          this.record('place', verdict.chosen ? 'info' : 'rejected', `${verdict.ip}: ${verdict.reason}`, verdict.ip);
      }
      return DEPLOY_HERE;
    }
    this.record(
      'select',
      'info',
      `choosing agents for ${service.exec_type} "${service.name}" (num_agents ${service.num_agents}, agent_type ${service.agent_type})`,
    );
    const chosen = await chooseAgents(this, this.mirror);
    if (chosen.kind === 'selected') {
      this.publishAgentIps();
      return DEPLOY_HERE;
    }
    if (chosen.kind === 'failed') return { outcome: 'failed', message: chosen.message };
    return forwardToLeader(this, chosen.rule);
  }

  /** The instance will not run here: forwarded (the leader owns its CIMI record now), or failed (record deleted). */
  private async endWithout(outcome: SelectionOutcome): Promise<void> {
    const { inst } = this;
    this.ended = true;
    inst.agents = [];
    if (outcome.outcome === 'forwarded') {
      await this.mirror.close();
      inst.status = 'forwarded';
      inst.error = null;
      this.record('forward', 'ok', outcome.message);
    } else {
      inst.status = 'error';
      inst.error = outcome.message;
      this.record('select', 'failed', outcome.message);
      // As the original: the instance that cannot be placed is removed from CIMI.
      await this.mirror.remove();
    }
    this.publish();
  }

  // ── Operations ────────────────────────────────────────────────────────────────────────────────────────

  private operationBody(operation: InstanceOperation): Promise<void> {
    switch (operation) {
      case 'start':
        return this.start();
      case 'stop':
        return this.stop();
      case 'restart':
        return this.restart();
      case 'terminate':
        return this.terminate();
    }
  }

  /** Runs `step` on every agent in parallel; once all have ended, a terminate that preempted them goes on up. */
  private async eachAgent(step: (index: number) => Promise<boolean>): Promise<boolean[]> {
    const done = await Promise.all(this.inst.agents.map((_, i) => step(i)));
    unlessCancelled();
    return done;
  }

  private async deploy(): Promise<void> {
    const { inst, steps } = this;
    const { service, settings } = this.input;
    this.setStatus('deploying');
    this.record('deploy', 'info', `deploying ${service.exec_type} "${service.exec}" on ${inst.agents.length} agent(s)`);
    await this.eachAgent(steps.startAgent);
    if (settings.allOrNothing && inst.agents.some((a) => a.status !== 'started')) {
      this.record('compensate', 'info', 'all-or-nothing: an agent failed, removing the agents that were deployed');
      const toRemove = inst.agents.some((agent, i) => hasWorkload(agent) || steps.mayHaveWorkload(i));
      if (toRemove && this.patched(REMOVE_BY_NAME)) await this.eachAgent((i) => this.compensate(i));
      // Failed agents keep their status and error: they are the reason for the `error`.
      else await this.eachAgent((i) => (hasWorkload(inst.agents[i]) ? steps.removeAgent(i) : Promise.resolve(true)));
    }
    await this.syncPeers();
    this.settle('deploy');
  }

  /**
   * Removes what agent `index` may hold, by name too (a deploy cut short has no `container_id`), then resets it so
   * a later start deploys it again. A failed agent keeps its status and error: they are the reason for the `error`.
   */
  private async compensate(index: number): Promise<boolean> {
    const agent = this.inst.agents[index];
    if (!hasWorkload(agent) && !this.steps.mayHaveWorkload(index)) return true;
    const failure = agent.status === 'started' ? null : { status: agent.status, error: agent.error };
    if (!(await this.steps.removeAgent(index))) return false;
    this.steps.resetAgent(index);
    if (failure !== null) Object.assign(agent, failure);
    return true;
  }

  private async start(): Promise<void> {
    const { inst, steps } = this;
    this.setStatus('starting');
    await this.eachAgent((i) => (inst.agents[i].status === 'started' ? Promise.resolve(true) : steps.startAgent(i)));
    await this.syncPeers();
    this.settle('start');
  }

  private async stop(): Promise<void> {
    this.setStatus('stopping');
    await this.eachAgent(this.steps.stopAgent);
    await this.syncPeers();
    this.settle('stop');
  }

  private async restart(): Promise<void> {
    this.setStatus('stopping');
    await this.eachAgent(this.steps.stopAgent);
    await this.syncPeers();
    this.setStatus('starting');
    await this.eachAgent(this.steps.startAgent);
    await this.syncPeers();
    this.settle('restart');
  }

  private async terminate(): Promise<void> {
    const { inst, withPeers } = this;
    this.terminatePending = false;
    this.setStatus('terminating');
    if (withPeers) await terminateAgreement(this);
    await this.eachAgent(this.steps.removeAgent);
    await this.syncPeers();
    if (inst.agents.every((a) => a.status === 'terminated')) {
      // CIMI forgets the instance once nothing of it remains (the original deletes it too).
      if (withPeers) await this.mirror.remove();
      inst.status = 'terminated';
      inst.error = null;
      this.record('terminate', 'ok', 'terminated: every workload is removed');
      countSettled('terminate', inst.status, this.input.service.exec_type);
      this.publish();
    } else {
      this.settle('terminate');
      this.record('terminate', 'failed', 'terminate is incomplete: DELETE the instance again to retry');
      // A lost agent that comes back finishes it (state only: no command changes).
      this.state.terminateWhenBack = true;
      // Before this patch a failed terminate left the instance refusing every operation, the DELETE it asks for too.
      if (this.patched(INCOMPLETE_TERMINATE_RETRIED)) this.terminateRequested = false;
    }
  }

  /** QoS and UM reactions change agents: they wait their turn like operations, then settle the instance. */
  private async reactTo(notification: Notification): Promise<void> {
    const { type, data } = notification;
    if (type === 'sla_notification') {
      this.record(type, 'info', 'recorded; no lifecycle change (the Service Manager reacts to SLA violations with qos_enforcement)');
      return;
    }
    await this.lock.holdCancellable(type === 'qos_enforcement' ? 'scale' : 'um-warning', async () => {
      const { status } = this.inst;
      if (this.terminateRequested || (status !== 'started' && status !== 'degraded')) {
        this.record(type, 'info', `ignored: the instance is ${this.terminateRequested ? 'being terminated' : status}`);
        return;
      }
      try {
        if (type === 'qos_enforcement') {
          await rescale(this, this.steps, Number(data.num_agents));
          this.publishAgentIps();
        } else if (!(await reactToUmWarning(this, this.steps, data))) return;
        unlessCancelled();
        await this.settleAfter(type);
      } catch (err) {
        // A signal handler must not fail: the terminate that preempted the reaction settles the instance.
        if (!wf.isCancellation(err)) throw err;
        this.record(type, 'info', `${type} was interrupted: the service instance is being terminated`);
      }
    });
  }

  // ── Settling ──────────────────────────────────────────────────────────────────────────────────────────

  /** The agent IPs in visibility, where a lost or returning agent finds its instances (set at start when known). */
  private publishAgentIps(): void {
    if (!this.patched(AGENT_PRESENCE_FOLLOWED)) return;
    wf.upsertSearchAttributes([{ key: SA_AGENTS, value: [...new Set(this.inst.agents.map((agent) => agent.url))] }]);
  }

  private setStatus(status: InstanceStatus): void {
    this.inst.status = this.terminatePending ? 'terminating' : status;
    this.publish();
  }

  private settle(step: string): void {
    const { inst } = this;
    // An operation that ends as a terminate preempts it does not show its own outcome meanwhile.
    inst.status = this.terminatePending ? 'terminating' : deriveInstanceStatus(inst.agents.map((a) => a.status));
    const failed = inst.agents.filter((a) => a.error !== null);
    inst.error =
      inst.status === 'error' || inst.status === 'degraded'
        ? failed.map((a) => `${a.url}: ${a.error}`).join('; ') || `no agent is running`
        : null;
    const outcome: TimelineOutcome = inst.status === 'error' ? 'failed' : inst.status === 'degraded' ? 'failed' : 'ok';
    this.record(step, outcome, `${step} finished: the instance is ${inst.status}${inst.error ? ` (${inst.error})` : ''}`);
    countSettled(step, inst.status, this.input.service.exec_type);
    this.publish();
  }

  /** The SLA agreement and UM's count follow whether the instance runs (DESIGN §3 order: SLA, then UM). */
  private async syncPeers(): Promise<void> {
    if (!this.withPeers) return;
    await syncAgreement(this);
    await syncAppsRunning(this);
  }

  /** After agents changed outside an operation (a notification's reaction, an observation). */
  private async settleAfter(step: string): Promise<void> {
    await this.syncPeers();
    this.settle(step);
  }
}
