/**
 * The service-instance workflow (DESIGN §3): one durable workflow per instance. It deploys the service on
 * every agent in parallel, settles, then serves operations one at a time until it is terminated.
 *
 * mF2C steps (agent selection, leader forwarding, CIMI mirror, SLA agreement, UM accounting, notification
 * reactions, remote agents over HTTP) run only when the input asks for them (`peers`, `mf2c`): a standalone
 * instance issues exactly the commands it always did, so recorded histories replay unchanged.
 */
import * as wf from '@temporalio/workflow';
import { agentSteps, hasWorkload } from './agent-steps';
import { jobRefusal, startCompssJob } from './compss-start-job';
import type { InstanceContext } from './instance-context';
import { DEFAULT_EXPIRY_RETRY_MS, expiryRetryDelayMs, INCOMPLETE_TERMINATE_RETRIED } from './incomplete-terminate';
import { InstanceLock } from './instance-lock';
import { countSettled } from './instance-metrics';
import { appendTimeline, forgetNotification, initialState, rememberNotification, timelineSince } from './instance-state';
import {
  instanceQuery,
  notificationSignal,
  notificationsInFlightQuery,
  restartUpdate,
  runtimeChangedSignal,
  selectionUpdate,
  startJobUpdate,
  startUpdate,
  type Notification,
  stopUpdate,
  terminateUpdate,
  timelineQuery,
  timelineSinceQuery,
} from './messages';
import { FailureType } from './model/failures';
import type { StartJobRequest } from './model/compss-job';
import type { ServiceInstanceInput } from './model/input';
import type { ServiceInstance, TimelineOutcome } from './model/instance';
import { agentLabel } from './model/instance';
import { operationRefusal, type InstanceOperation } from './model/operations';
import { initialPeerState, type PeerState, type SelectionOutcome } from './model/peers';
import { SA_AGENT_COUNT, SA_STATUS } from './model/search-attributes';
import { deriveInstanceStatus, type InstanceStatus } from './model/status';
import { chooseAgents } from './mf2c/agent-selection-phase';
import { syncAppsRunning } from './mf2c/apps-running';
import { CimiMirror } from './mf2c/cimi-mirror';
import { forwardToLeader } from './mf2c/leader-forward';
import { reactToUmWarning, rescale } from './mf2c/notification-reactions';
import { syncAgreement, terminateAgreement } from './mf2c/sla-agreement';
import { observeAgents } from './runtime-observation';

const DEPLOY_HERE: SelectionOutcome = { outcome: 'deploy', message: 'the instance is deployed by this LM' };

function nowIso(): string {
  return new Date().toISOString();
}

export async function serviceInstanceWorkflow(input: ServiceInstanceInput): Promise<ServiceInstance> {
  const state = input.state ?? initialState(input, nowIso());
  const inst = state.instance;
  const { settings, service } = input;
  /** Any peer or mF2C step at all: false for standalone instances, whose commands must not change. */
  const withPeers = input.mf2c !== undefined || input.peers?.cimi === true || input.peers?.sla === true || input.peers?.userManagement === true;
  const lock = new InstanceLock();
  /** The agent's runtime reported a change (Docker events): observe once no operation runs. */
  let observeRequested = false;
  let terminateRequested = false;
  /** Set once the first phase knows where the instance runs; a continued run already knows. */
  let selection: SelectionOutcome | null = input.state === undefined ? null : DEPLOY_HERE;
  /** The instance ended without running here (forwarded, or impossible to place): the workflow completes. */
  let ended = false;

  function record(step: string, outcome: TimelineOutcome, message: string, agent?: string): void {
    const at = nowIso();
    inst.updated = at;
    appendTimeline(state, { at, step, outcome, message, ...(agent === undefined ? {} : { agent }) });
    if (outcome === 'failed') wf.log.warn(message, { step, agent });
    else wf.log.info(message, { step, agent });
  }

  const ctx: InstanceContext = {
    input,
    state,
    inst,
    record,
    publish: () => publish(),
    peerState: (): PeerState => (state.peers ??= initialPeerState()),
  };
  const mirror = new CimiMirror(ctx, input.peers?.cimi === true);

  /** Makes the state visible without a query: search attributes for filtering, memo for listing, CIMI in mF2C. */
  function publish(): void {
    wf.upsertSearchAttributes([
      { key: SA_STATUS, value: inst.status },
      { key: SA_AGENT_COUNT, value: inst.agents.length },
    ]);
    wf.upsertMemo({ instance: inst });
    const agents = inst.agents.map((a, i) => `${agentLabel(a, i)} ${a.status}`).join(', ');
    wf.setCurrentDetails(`**${inst.status}** — agents: ${agents || 'none'}`);
    mirror.request();
  }

  function setStatus(status: InstanceStatus): void {
    inst.status = status;
    publish();
  }

  function settle(step: string): void {
    inst.status = deriveInstanceStatus(inst.agents.map((a) => a.status));
    const failed = inst.agents.filter((a) => a.error !== null);
    inst.error =
      inst.status === 'error' || inst.status === 'degraded'
        ? failed.map((a) => `${a.url}: ${a.error}`).join('; ') || `no agent is running`
        : null;
    const outcome: TimelineOutcome = inst.status === 'error' ? 'failed' : inst.status === 'degraded' ? 'failed' : 'ok';
    record(step, outcome, `${step} finished: the instance is ${inst.status}${inst.error ? ` (${inst.error})` : ''}`);
    countSettled(step, inst.status, service.exec_type);
    publish();
  }

  /** The SLA agreement and UM's count follow whether the instance runs (DESIGN §3 order: SLA, then UM). */
  async function syncPeers(): Promise<void> {
    if (!withPeers) return;
    await syncAgreement(ctx);
    await syncAppsRunning(ctx);
  }

  /** After agents changed outside an operation (a notification's reaction, an observation). */
  async function settleAfter(step: string): Promise<void> {
    await syncPeers();
    settle(step);
  }

  const steps = agentSteps(ctx, withPeers);
  const { startAgent, stopAgent, removeAgent } = steps;

  const eachAgent = (step: (index: number) => Promise<boolean>) => Promise.all(inst.agents.map((_, i) => step(i)));

  /** mF2C: where the instance runs (spec/original-lm.md §8.2–§8.5); the API answers the submit from this. */
  async function choosePlacement(): Promise<SelectionOutcome> {
    if (input.mf2c === undefined) return DEPLOY_HERE;
    record('select', 'info', `choosing agents for ${service.exec_type} "${service.name}" (num_agents ${service.num_agents}, agent_type ${service.agent_type})`);
    const chosen = await chooseAgents(ctx, mirror);
    if (chosen.kind === 'selected') return DEPLOY_HERE;
    if (chosen.kind === 'failed') return { outcome: 'failed', message: chosen.message };
    return forwardToLeader(ctx, chosen.rule);
  }

  /** The instance will not run here: forwarded (the leader owns its CIMI record now), or failed (record deleted). */
  async function endWithout(outcome: SelectionOutcome): Promise<void> {
    ended = true;
    inst.agents = [];
    if (outcome.outcome === 'forwarded') {
      await mirror.close();
      inst.status = 'forwarded';
      inst.error = null;
      record('forward', 'ok', outcome.message);
    } else {
      inst.status = 'error';
      inst.error = outcome.message;
      record('select', 'failed', outcome.message);
      // As the original: the instance that cannot be placed is removed from CIMI.
      await mirror.remove();
    }
    publish();
  }

  async function deploy(): Promise<void> {
    setStatus('deploying');
    record('deploy', 'info', `deploying ${service.exec_type} "${service.exec}" on ${inst.agents.length} agent(s)`);
    await eachAgent(startAgent);
    if (settings.allOrNothing && inst.agents.some((a) => a.status !== 'started')) {
      record('compensate', 'info', 'all-or-nothing: an agent failed, removing the agents that were deployed');
      // Failed agents keep their status and error: they are the reason for the `error`.
      await eachAgent((i) => (hasWorkload(inst.agents[i]) ? removeAgent(i) : Promise.resolve(true)));
    }
    await syncPeers();
    settle('deploy');
  }

  async function start(): Promise<void> {
    setStatus('starting');
    await eachAgent((i) => (inst.agents[i].status === 'started' ? Promise.resolve(true) : startAgent(i)));
    await syncPeers();
    settle('start');
  }

  async function stop(): Promise<void> {
    setStatus('stopping');
    await eachAgent(stopAgent);
    await syncPeers();
    settle('stop');
  }

  async function restart(): Promise<void> {
    setStatus('stopping');
    await eachAgent(stopAgent);
    await syncPeers();
    setStatus('starting');
    await eachAgent(startAgent);
    await syncPeers();
    settle('restart');
  }

  async function terminate(): Promise<void> {
    setStatus('terminating');
    if (withPeers) await terminateAgreement(ctx);
    await eachAgent(removeAgent);
    await syncPeers();
    if (inst.agents.every((a) => a.status === 'terminated')) {
      // CIMI forgets the instance once nothing of it remains (the original deletes it too).
      if (withPeers) await mirror.remove();
      inst.status = 'terminated';
      inst.error = null;
      record('terminate', 'ok', 'terminated: every workload is removed');
      countSettled('terminate', inst.status, service.exec_type);
      publish();
    } else {
      settle('terminate');
      record('terminate', 'failed', 'terminate is incomplete: DELETE the instance again to retry');
      // Before this patch a failed terminate left the instance refusing every operation, the DELETE it asks for too.
      if (wf.patched(INCOMPLETE_TERMINATE_RETRIED)) terminateRequested = false;
    }
  }

  const bodies: Record<InstanceOperation, () => Promise<void>> = { start, stop, restart, terminate };

  /** Operations never interleave: one runs, the rest were refused by their validator or wait here. */
  async function runOperation(operation: InstanceOperation): Promise<ServiceInstance> {
    if (operation === 'terminate') terminateRequested = true;
    await lock.hold(operation, async () => {
      const refusal = operationRefusal(operation, inst.status);
      if (refusal !== null) {
        record(operation, 'rejected', refusal);
        throw wf.ApplicationFailure.create({ type: FailureType.OperationRefused, message: refusal, nonRetryable: true });
      }
      record(operation, 'info', `${operation} requested`);
      await bodies[operation]();
    });
    return inst;
  }

  function validate(operation: InstanceOperation): void {
    if (terminateRequested) throw new Error('the service instance is being terminated');
    if (lock.holder !== null && operation !== 'terminate') {
      throw new Error(`"${lock.holder}" is in progress; retry "${operation}" once the instance has settled`);
    }
    const refusal = operationRefusal(operation, inst.status);
    if (refusal !== null) throw new Error(refusal);
  }

  /** QoS and UM reactions change agents: they wait their turn like operations, then settle the instance. */
  async function reactTo(notification: Notification): Promise<void> {
    const { type, data } = notification;
    if (type === 'sla_notification') {
      record(type, 'info', 'recorded; no lifecycle change (the Service Manager reacts to SLA violations with qos_enforcement)');
      return;
    }
    await lock.hold(type === 'qos_enforcement' ? 'scale' : 'um-warning', async () => {
      if (terminateRequested || (inst.status !== 'started' && inst.status !== 'degraded')) {
        record(type, 'info', `ignored: the instance is ${terminateRequested ? 'being terminated' : inst.status}`);
        return;
      }
      if (type === 'qos_enforcement') await rescale(ctx, steps, Number(data.num_agents));
      else if (!(await reactToUmWarning(ctx, steps, data))) return;
      await settleAfter(type);
    });
  }

  // Handlers first, before any await, so no message arrives to a missing handler.
  wf.setHandler(instanceQuery, () => inst);
  wf.setHandler(timelineQuery, () => state.timeline);
  wf.setHandler(timelineSinceQuery, (since) => timelineSince(state, since, ended));
  wf.setHandler(notificationsInFlightQuery, () => state.seenNotifications);
  wf.setHandler(selectionUpdate, async () => {
    await wf.condition(() => selection !== null);
    return selection ?? DEPLOY_HERE;
  });
  const updates = { start: startUpdate, stop: stopUpdate, restart: restartUpdate, terminate: terminateUpdate };
  for (const operation of Object.keys(updates) as InstanceOperation[]) {
    wf.setHandler(updates[operation], () => runOperation(operation), { validator: () => validate(operation) });
  }
  wf.setHandler(startJobUpdate, (job) => lock.hold('start-job', () => startCompssJob(ctx, job)), {
    validator: (_job: StartJobRequest) => {
      if (terminateRequested) throw new Error('the service instance is being terminated');
      if (lock.holder !== null) throw new Error(`"${lock.holder}" is in progress; retry "start-job" once the instance has settled`);
      const refusal = jobRefusal(ctx);
      if (refusal !== null) throw new Error(refusal);
    },
  });
  wf.setHandler(runtimeChangedSignal, () => {
    observeRequested = true;
  });
  wf.setHandler(notificationSignal, async (notification) => {
    if (!rememberNotification(state, notification.key)) {
      record(notification.type, 'info', `an identical ${notification.type} is being handled: merged into it`);
      return;
    }
    record(notification.type, 'info', `${notification.type} received: ${JSON.stringify(notification.data)}`);
    try {
      await reactTo(notification);
    } finally {
      forgetNotification(state, notification.key);
    }
  });

  if (input.state === undefined) {
    lock.take('deploy');
    try {
      const placement = await choosePlacement();
      if (placement.outcome === 'deploy') {
        selection = placement;
        await deploy();
      } else {
        // The submit is answered once the instance has ended (its CIMI record deleted or handed over).
        await endWithout(placement);
        selection = placement;
      }
    } finally {
      lock.release();
    }
  }

  const done = () => ended || inst.status === 'terminated' || (lock.holder === null && wf.workflowInfo().continueAsNewSuggested);
  const observeEvery = settings.observeIntervalMs;
  /** Submitted with `expires_in`: the instance terminates itself then, and again later while that is incomplete. */
  const expiresAt = inst.expires_at === undefined ? null : Date.parse(inst.expires_at);
  let nextExpiryAttempt = expiresAt;
  let expiryAttempts = 0;
  const expiryDue = () => nextExpiryAttempt !== null && !terminateRequested && lock.holder === null && Date.now() >= nextExpiryAttempt;
  if (observeEvery === undefined) {
    // Started before observation existed: its history has no observation to replay.
    await wf.condition(done);
  } else {
    const due = () => done() || (observeRequested && lock.holder === null) || expiryDue();
    for (;;) {
      // Without an expiry the waits are exactly those of the histories recorded before it existed.
      // Once the time has come, no timer: `due` wakes the loop when the instance is free to terminate.
      const untilExpiry = nextExpiryAttempt === null || nextExpiryAttempt <= Date.now() ? null : nextExpiryAttempt - Date.now();
      const wait = [observeEvery > 0 ? observeEvery : null, untilExpiry].filter((ms): ms is number => ms !== null);
      if (wait.length > 0) await wf.condition(due, Math.min(...wait));
      else await wf.condition(due);
      if (done()) break;
      if (expiryDue()) {
        expiryAttempts += 1;
        nextExpiryAttempt = null;
        record(
          'expire',
          'info',
          expiryAttempts === 1
            ? `the instance expires now (${inst.expires_at}, expires_in at submit): terminating it`
            : `the instance expired at ${inst.expires_at}: terminating it again (attempt ${expiryAttempts})`,
        );
        await runOperation('terminate').catch(() => undefined);
        if (inst.status !== 'terminated' && !ended && wf.patched(INCOMPLETE_TERMINATE_RETRIED)) {
          const waitMs = expiryRetryDelayMs(settings.expiryRetryMs ?? DEFAULT_EXPIRY_RETRY_MS, expiryAttempts);
          nextExpiryAttempt = Date.now() + waitMs;
          record('expire', 'info', `the terminate at expiry is incomplete: trying again in ${Math.round(waitMs / 1000)} s (or DELETE the instance)`);
        }
        continue;
      }
      if (!observeRequested && observeEvery === 0) continue;
      observeRequested = false;
      await observeAgents(ctx, lock, steps.refOf, settleAfter);
    }
  }
  await wf.condition(wf.allHandlersFinished);
  await mirror.flush();
  if (ended || inst.status === 'terminated') return inst;
  record('continue-as-new', 'info', 'history is long: continuing as a new run with the same state');
  return wf.continueAsNew<typeof serviceInstanceWorkflow>({ ...input, state });
}
