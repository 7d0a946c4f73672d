/**
 * The service-instance workflow (DESIGN §3): one durable workflow per instance. It deploys the service on
 * every agent in parallel, settles, then serves operations one at a time until it is terminated.
 *
 * mF2C steps (agent selection, leader forwarding, CIMI mirror, SLA agreement, UM accounting, notification
 * reactions, remote agents over HTTP) run only when the input asks for them (`peers`, `mf2c`): a standalone
 * instance issues exactly the commands it always did, so recorded histories replay unchanged.
 */
import * as wf from '@temporalio/workflow';
import type { CompssActivities } from '../activities/compss/compss-activities';
import type { RuntimeActivities } from '../activities/runtime/runtime-activities';
import type { WorkloadRef, WorkloadSpec } from '../activities/runtime/workload';
import { describeFailure } from './failure-text';
import { countDrift, countSettled } from './instance-metrics';
import { appendTimeline, forgetNotification, initialState, newAgentEntry, rememberNotification } from './instance-state';
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
  type StartJobResult,
  stopUpdate,
  terminateUpdate,
  timelineQuery,
} from './messages';
import { FailureType, NON_RETRYABLE_FAILURES } from './model/failures';
import type { StartJobRequest } from './model/compss-job';
import type { ServiceInstanceInput } from './model/input';
import type { AgentEntry, ServiceInstance, TimelineOutcome } from './model/instance';
import { agentLabel } from './model/instance';
import { operationRefusal, startJobRefusal, type InstanceOperation } from './model/operations';
import { initialPeerState, type PeerState, type SelectionOutcome } from './model/peers';
import { SA_AGENT_COUNT, SA_STATUS } from './model/search-attributes';
import { reconcileObserved } from './model/observed-drift';
import { deriveInstanceStatus, type InstanceStatus } from './model/status';
import { agentTaskQueue } from './model/task-queues';
import { ensureRoute, remoteAgentRuntime, routeOf, type AgentRuntime } from './mf2c/agent-routes';
import { chooseAgents } from './mf2c/agent-selection-phase';
import { syncAppsRunning } from './mf2c/apps-running';
import { CimiMirror } from './mf2c/cimi-mirror';
import type { AgentSteps, InstanceContext } from './mf2c/instance-context';
import { forwardToLeader } from './mf2c/leader-forward';
import { reactToUmWarning, rescale } from './mf2c/notification-reactions';
import { syncAgreement, terminateAgreement } from './mf2c/sla-agreement';

type Step = 'deploy' | 'start' | 'stop' | 'remove';

const AGENT_ACTIVITY_OPTIONS: wf.ActivityOptions = {
  startToCloseTimeout: '10 minutes',
  scheduleToCloseTimeout: '30 minutes',
  // Runtime activities heartbeat every 2 s: a killed worker is noticed after this, not after 10 minutes.
  heartbeatTimeout: '15 seconds',
  retry: {
    initialInterval: '1 second',
    backoffCoefficient: 2,
    maximumInterval: '30 seconds',
    nonRetryableErrorTypes: NON_RETRYABLE_FAILURES,
  },
};

const DEPLOY_HERE: SelectionOutcome = { outcome: 'deploy', message: 'the instance is deployed by this LM' };

function nowIso(): string {
  return new Date().toISOString();
}

/** An agent with something on the runtime: it needs stopping and removing. */
function hasWorkload(agent: AgentEntry): boolean {
  return agent.container_id !== '-' && agent.status !== 'terminated';
}

function needsDeploy(agent: AgentEntry): boolean {
  return agent.container_id === '-';
}

export async function serviceInstanceWorkflow(input: ServiceInstanceInput): Promise<ServiceInstance> {
  const state = input.state ?? initialState(input, nowIso());
  const inst = state.instance;
  const { settings, service } = input;
  /** Any peer or mF2C step at all: false for standalone instances, whose commands must not change. */
  const withPeers = input.mf2c !== undefined || input.peers?.cimi === true || input.peers?.sla === true || input.peers?.userManagement === true;
  type Holder = InstanceOperation | 'deploy' | 'start-job' | 'scale' | 'um-warning' | 'observe';
  let busy: Holder | null = null;
  /** Counts the times the instance was taken: an observation that overlapped one is stale. */
  let taken = 0;
  /** The agent's runtime reported a change (Docker events): observe once no operation runs. */
  let observeRequested = false;

  /**
   * Takes the instance for one operation. Several waiters wake together when it frees: checking and taking
   * in one synchronous step (after each wake-up) is what keeps operations from interleaving.
   */
  async function acquire(holder: Holder): Promise<void> {
    while (busy !== null) await wf.condition(() => busy === null);
    busy = holder;
    taken += 1;
  }
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

  function activitiesFor(index: number, step: Step): AgentRuntime {
    const agent = inst.agents[index];
    if (routeOf(ctx, index) === 'http') return remoteAgentRuntime(ctx, index);
    return wf.proxyActivities<RuntimeActivities>({
      ...AGENT_ACTIVITY_OPTIONS,
      taskQueue: agentTaskQueue(agent.url),
      scheduleToStartTimeout: settings.agentTimeoutMs,
      summary: `${step} ${agent.name} on ${agent.url}`,
    });
  }

  function specOf(index: number): WorkloadSpec {
    const agent = inst.agents[index];
    return {
      instanceUuid: input.uuid,
      agentIndex: index,
      agentUrl: agent.url,
      service,
      name: agent.name,
      deviceIp: inst.device_ip,
    };
  }

  function refOf(index: number): WorkloadRef {
    const { container_id, ports, agent_param } = inst.agents[index];
    return { ...specOf(index), container_id, ports, agent_param };
  }

  /** Runs one step on one agent; a failure becomes the agent's status and error, never an exception. */
  async function onAgent(index: number, step: Step, work: (acts: AgentRuntime) => Promise<void>, failedAs: AgentEntry['status']): Promise<boolean> {
    const agent = inst.agents[index];
    const label = agentLabel(agent, index);
    try {
      await work(activitiesFor(index, step));
      agent.error = null;
      return true;
    } catch (err) {
      agent.status = failedAs;
      agent.error = describeFailure(err, agentTaskQueue(agent.url));
      record(step, 'failed', `${step} of ${agent.name} failed: ${agent.error}`, label);
      return false;
    }
  }

  async function deployAgent(index: number): Promise<boolean> {
    const agent = inst.agents[index];
    if (withPeers) await ensureRoute(ctx, agent.url);
    return onAgent(index, 'deploy', async (acts) => {
      const deployed = await acts.deployWorkload(specOf(index));
      Object.assign(agent, deployed, { status: 'waiting' });
      const ports = deployed.ports.length > 0 ? `, host ports ${deployed.ports.join(', ')}` : '';
      record('deploy', 'ok', `deployed ${agent.name} (${deployed.container_id.slice(0, 12)})${ports}`, agentLabel(agent, index));
    }, 'not-deployed');
  }

  async function startAgent(index: number): Promise<boolean> {
    const agent = inst.agents[index];
    if (needsDeploy(agent) && !(await deployAgent(index))) return false;
    return onAgent(index, 'start', async (acts) => {
      const moved = await acts.startWorkload(refOf(index));
      if (moved !== null && moved !== undefined) {
        Object.assign(agent, moved);
        record('start', 'info', `a host port of ${agent.name} was taken since deploy: recreated on host ports ${moved.ports.join(', ')}`, agentLabel(agent, index));
      }
      agent.status = 'started';
      record('start', 'ok', `started ${agent.name}`, agentLabel(agent, index));
    }, 'error-starting');
  }

  async function stopAgent(index: number): Promise<boolean> {
    const agent = inst.agents[index];
    if (!hasWorkload(agent)) return true;
    return onAgent(index, 'stop', async (acts) => {
      await acts.stopWorkload(refOf(index));
      agent.status = 'stopped';
      record('stop', 'ok', `stopped ${agent.name}`, agentLabel(agent, index));
    }, 'error-stopping');
  }

  async function removeAgent(index: number): Promise<boolean> {
    const agent = inst.agents[index];
    if (!hasWorkload(agent)) {
      agent.status = 'terminated';
      return true;
    }
    return onAgent(index, 'remove', async (acts) => {
      await acts.removeWorkload(refOf(index));
      agent.status = 'terminated';
      record('remove', 'ok', `removed ${agent.name}`, agentLabel(agent, index));
    }, 'error');
  }

  const steps: AgentSteps = {
    startAgent,
    stopAgent,
    removeAgent,
    newAgent: (url) => ({ ...newAgentEntry(input.uuid, url, inst.agents.length, service), master_compss: inst.agents.length === 0 }),
  };

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
    }
  }

  const bodies: Record<InstanceOperation, () => Promise<void>> = { start, stop, restart, terminate };

  /** Operations never interleave: one runs, the rest were refused by their validator or wait here. */
  async function runOperation(operation: InstanceOperation): Promise<ServiceInstance> {
    if (operation === 'terminate') terminateRequested = true;
    await acquire(operation);
    try {
      const refusal = operationRefusal(operation, inst.status);
      if (refusal !== null) {
        record(operation, 'rejected', refusal);
        throw wf.ApplicationFailure.create({ type: FailureType.OperationRefused, message: refusal, nonRetryable: true });
      }
      record(operation, 'info', `${operation} requested`);
      await bodies[operation]();
    } finally {
      busy = null;
    }
    return inst;
  }

  function validate(operation: InstanceOperation): void {
    if (terminateRequested) throw new Error('the service instance is being terminated');
    if (busy !== null && operation !== 'terminate') {
      throw new Error(`"${busy}" is in progress; retry "${operation}" once the instance has settled`);
    }
    const refusal = operationRefusal(operation, inst.status);
    if (refusal !== null) throw new Error(refusal);
  }

  function jobRefusal(): string | null {
    return startJobRefusal(inst.service_type, inst.status, inst.agents.filter((a) => a.status === 'started').length);
  }

  /** The master is the first started agent flagged master, else the first started agent (then flagged). */
  function masterIndex(): number {
    const flagged = inst.agents.findIndex((a) => a.master_compss && a.status === 'started');
    if (flagged >= 0) return flagged;
    const promoted = inst.agents.findIndex((a) => a.status === 'started');
    inst.agents.forEach((agent, i) => (agent.master_compss = i === promoted));
    record('start-job', 'info', `agent ${agentLabel(inst.agents[promoted], promoted)} is now the COMPSs master`);
    return promoted;
  }

  async function startJob(job: StartJobRequest): Promise<StartJobResult> {
    await acquire('start-job');
    try {
      const refusal = jobRefusal();
      if (refusal !== null) {
        record('start-job', 'rejected', refusal);
        throw wf.ApplicationFailure.create({ type: FailureType.OperationRefused, message: refusal, nonRetryable: true });
      }
      const index = masterIndex();
      const master = inst.agents[index];
      const resources = inst.agents.filter((a) => a.status === 'started').map((a) => ({ ip: a.url, port: a.ports[0] }));
      const compss = wf.proxyActivities<CompssActivities>({
        taskQueue: agentTaskQueue(master.url),
        startToCloseTimeout: '2 minutes',
        scheduleToStartTimeout: settings.agentTimeoutMs,
        retry: { initialInterval: '1 second', maximumAttempts: 5, nonRetryableErrorTypes: NON_RETRYABLE_FAILURES },
        summary: `start-job ${job.className}.${job.methodName} on ${master.url}`,
      });
      try {
        const appId = await compss.startCompssApplication({
          instanceUuid: input.uuid,
          master: { ip: master.url, port: master.ports[0] },
          resources,
          job,
        });
        master.compss_app_id = appId;
        record('start-job', 'ok', `COMPSs application ${appId} started (${job.className}.${job.methodName}, ${resources.length} resource(s))`, agentLabel(master, index));
        publish();
        return { compss_app_id: appId, instance: inst };
      } catch (err) {
        const message = describeFailure(err, agentTaskQueue(master.url));
        record('start-job', 'failed', `start-job failed: ${message}`, agentLabel(master, index));
        throw wf.ApplicationFailure.create({ type: FailureType.PeerRejected, message, nonRetryable: true });
      }
    } finally {
      busy = null;
    }
  }

  /** QoS and UM reactions change agents: they wait their turn like operations, then settle the instance. */
  async function reactTo(notification: Notification): Promise<void> {
    const { type, data } = notification;
    if (type === 'sla_notification') {
      record(type, 'info', 'recorded; no lifecycle change (the Service Manager reacts to SLA violations with qos_enforcement)');
      return;
    }
    await acquire(type === 'qos_enforcement' ? 'scale' : 'um-warning');
    try {
      if (terminateRequested || (inst.status !== 'started' && inst.status !== 'degraded')) {
        record(type, 'info', `ignored: the instance is ${terminateRequested ? 'being terminated' : inst.status}`);
        return;
      }
      if (type === 'qos_enforcement') await rescale(ctx, steps, Number(data.num_agents));
      else if (!(await reactToUmWarning(ctx, steps, data))) return;
      await syncPeers();
      settle(type);
    } finally {
      busy = null;
    }
  }

  /** Settled statuses in which the agents are compared with their runtime. */
  const OBSERVED_IN: readonly InstanceStatus[] = ['started', 'degraded', 'stopped', 'error'];

  /**
   * Compares the agents this LM drives with what their runtime reports, and follows the runtime (a crashed
   * or removed container makes the instance `error`/`degraded`; one that runs again brings it back).
   * Observing does not hold the instance, so operations are never refused for it; its result is dropped
   * when an operation overlapped it, as that operation has just set the statuses itself.
   */
  async function observeAgents(): Promise<void> {
    if (busy !== null || !OBSERVED_IN.includes(inst.status)) return;
    const before = taken;
    const watched = inst.agents.map((_, i) => i).filter((i) => hasWorkload(inst.agents[i]) && routeOf(ctx, i) === 'temporal');
    if (watched.length === 0) return;
    const observed = await Promise.all(
      watched.map(async (index) => {
        const agent = inst.agents[index];
        const runtime = wf.proxyActivities<Pick<RuntimeActivities, 'observeWorkload'>>({
          taskQueue: agentTaskQueue(agent.url),
          scheduleToStartTimeout: settings.agentTimeoutMs,
          startToCloseTimeout: '1 minute',
          heartbeatTimeout: '15 seconds',
          // The next observation is the retry.
          retry: { maximumAttempts: 1 },
          summary: `observe ${agent.name} on ${agent.url}`,
        });
        // An agent that cannot be observed now keeps its status: an operation on it will say what is wrong.
        return runtime.observeWorkload(refOf(index)).catch(() => null);
      }),
    );
    if (busy !== null || taken !== before || !OBSERVED_IN.includes(inst.status)) return;
    await acquire('observe');
    try {
      let changed = false;
      watched.forEach((index, k) => {
        const agent = inst.agents[index];
        const seen = observed[k];
        const change = seen === null ? null : reconcileObserved(agent.status, seen, agent.name);
        if (change === null) return;
        changed = true;
        countDrift(change.status, service.exec_type);
        agent.status = change.status;
        agent.error = change.error;
        record('observe', change.status === 'started' ? 'ok' : 'failed', change.message, agentLabel(agent, index));
      });
      if (!changed) return;
      await syncPeers();
      settle('observe');
    } finally {
      busy = null;
    }
  }

  // Handlers first, before any await, so no message arrives to a missing handler.
  wf.setHandler(instanceQuery, () => inst);
  wf.setHandler(timelineQuery, () => state.timeline);
  wf.setHandler(notificationsInFlightQuery, () => state.seenNotifications);
  wf.setHandler(selectionUpdate, async () => {
    await wf.condition(() => selection !== null);
    return selection ?? DEPLOY_HERE;
  });
  const updates = { start: startUpdate, stop: stopUpdate, restart: restartUpdate, terminate: terminateUpdate };
  for (const operation of Object.keys(updates) as InstanceOperation[]) {
    wf.setHandler(updates[operation], () => runOperation(operation), { validator: () => validate(operation) });
  }
  wf.setHandler(startJobUpdate, startJob, {
    validator: (_job: StartJobRequest) => {
      if (terminateRequested) throw new Error('the service instance is being terminated');
      if (busy !== null) throw new Error(`"${busy}" is in progress; retry "start-job" once the instance has settled`);
      const refusal = jobRefusal();
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
    busy = 'deploy';
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
      busy = null;
    }
  }

  const done = () => ended || inst.status === 'terminated' || (busy === null && wf.workflowInfo().continueAsNewSuggested);
  const observeEvery = settings.observeIntervalMs;
  if (observeEvery === undefined) {
    // Started before observation existed: its history has no observation to replay.
    await wf.condition(done);
  } else {
    const due = () => done() || (observeRequested && busy === null);
    for (;;) {
      if (observeEvery > 0) await wf.condition(due, observeEvery);
      else await wf.condition(due);
      if (done()) break;
      observeRequested = false;
      await observeAgents();
    }
  }
  await wf.condition(wf.allHandlersFinished);
  await mirror.flush();
  if (ended || inst.status === 'terminated') return inst;
  record('continue-as-new', 'info', 'history is long: continuing as a new run with the same state');
  return wf.continueAsNew<typeof serviceInstanceWorkflow>({ ...input, state });
}
