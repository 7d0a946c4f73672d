/**
 * Records the histories the replay test checks (run by hand when a workflow change is meant to be
 * incompatible, never in CI): `npm run build:dev && node .build/test/histories/record-histories.js [name…]`.
 * Without names it records every scenario; with names only those (so recording a new scenario does not
 * overwrite the standalone histories that guard compatibility). Starts its own Temporal dev server, an
 * in-process LM (standalone, or mF2C against the fake peers), drives a few lifecycles, writes JSON files.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import { startDevServer, type DevServer } from '../support/dev-server';
import { startDockerSocketProxy } from '../support/docker-socket-proxy';
import { startLatchedWorkers, stopDuringContinueAsNewFlush } from '../support/latched-activities';
import { ensureSearchAttributes } from '../../common/search-attribute-registration';
import { Connection, type WorkflowHandle } from '@temporalio/client';
import { PROJECT_ROOT } from '../support/temporal-binary';
import { startLm, type LmHarness } from '../support/lm-harness';
import { startWorkerProcess } from '../support/lm-process';
import { getInstance, getTimeline, operate, submit } from '../support/api-calls';
import { startHangingRegistry } from '../support/hanging-registry';
import { docker, removeContainersOf } from '../support/docker-state';
import { eventually } from '../support/eventually';
import { startRegistryStandIn } from '../support/registry-stand-in';
import { startMf2cPeers, type Mf2cPeers } from '../support/mf2c-peers';
import { startLmOnPrivateEngine, stopLmOnPrivateEngine, type LmOnPrivateEngine } from '../support/lm-on-private-engine';
import type { PrivateEngine } from '../support/private-docker-engine';
import { COMPSS_IMAGE, ensureBusyboxImage, ensureCompssImage, ensureExitingImage } from '../support/test-images';
import { instanceIdOf, uuidOf } from '../../workflows/model/instance';
import { runtimeChangedSignal } from '../../workflows/messages';

const OUT = path.join(PROJECT_ROOT, 'test', 'histories');
const REMOTE = '127.0.0.2';
const LEADER = '127.0.0.9';

interface Scenario {
  mode: 'standalone' | 'mf2c';
  /** LM configuration beyond the mode's; scenarios with different settings get an LM each. */
  env?: Record<string, string>;
  /** Arguments of a dev server of the scenario's own (e.g. to continue as new early). */
  server?: string[];
  /** The LM's Docker socket goes through a proxy the scenario can switch off. */
  dockerProxy?: boolean;
  /** The LM drives a private Docker engine of its own, which the scenario may kill and start again. */
  privateEngine?: boolean;
  run(lm: LmHarness, peers: Mf2cPeers | null, setDockerDown: (down: boolean) => void, engine: PrivateEngine | null): Promise<string>;
  /** The instance continued as new: its first run is recorded too, under this name. */
  firstRunAs?: string;
  /** Other workflows to record, file → workflow id: their first run (the later ones of a long-lived workflow may be idle). */
  alsoRecord?: Record<string, string>;
}

/** Submits, then stops and starts until the instance has continued as new (the server suggests it early). */
async function untilContinuedAsNew(lm: LmHarness, uuid: string): Promise<void> {
  const handle = lm.client.workflow.getHandle(instanceIdOf(uuid));
  const first = (await handle.describe()).runId;
  for (let i = 0; i < 12 && (await handle.describe()).runId === first; i += 1) {
    await operate(lm.api, uuid, i % 2 === 0 ? 'stop' : 'start');
    await new Promise((resolve) => setTimeout(resolve, 300));
  }
  if ((await handle.describe()).runId === first) throw new Error(`${uuid} did not continue as new`);
}

/** A COMPSs instance and one job. */
function compssJob(): Scenario {
  return {
    mode: 'standalone',
    run: async (lm) => {
      const response = await lm.api.post('/api/v2/lm/service?wait=true', {
        service: { name: 'compss', exec: COMPSS_IMAGE, exec_type: 'compss' },
      });
      const uuid = (response.data.service_instance.id as string).split('/')[1];
      await lm.api.put(`/api/v2/lm/service-instances/${uuid}/der`, {
        operation: 'start-job',
        ceiClass: 'a.B',
        className: 'a.C',
        hasResult: false,
        methodName: 'main',
        parameters: '<params paramId="0"></params>',
      });
      await lm.api.delete(`/api/v2/lm/service-instances/${uuid}?wait=true`);
      return uuid;
    },
  };
}

/** Submit, continue as new, then operate the continued run: a stop sent twice with one Idempotency-Key, a DELETE. */
const continueAsNew: Scenario = {
  mode: 'standalone',
  env: { LM_OBSERVE_INTERVAL_S: '1' },
  server: ['--dynamic-config-value', 'limit.historyCount.suggestContinueAsNew=40'],
  firstRunAs: 'continue-as-new-first-run',
  run: async (lm) => {
    const { uuid } = await submit(lm.api, { ports: [80] });
    await untilContinuedAsNew(lm, uuid);
    const instance = await getInstance(lm.api, uuid);
    if (instance.status === 'stopped') await operate(lm.api, uuid, 'start');
    for (let i = 0; i < 2; i += 1) {
      await lm.api.put(
        `/api/v2/lm/service-instances/${uuid}?wait=true`,
        { operation: 'stop' },
        { headers: { 'Idempotency-Key': 'recorded-stop' } },
      );
    }
    await lm.api.delete(`/api/v2/lm/service-instances/${uuid}?wait=true`);
    return uuid;
  },
};

async function untilStatus(lm: LmHarness, uuid: string, status: string): Promise<void> {
  await eventually(`${uuid} ${status}`, async () => ((await getInstance(lm.api, uuid)).status === status ? true : undefined));
}

/** A standalone instance whose container is stopped, then started again, outside the LM (after `operations`). */
function driftScenario(
  env: Record<string, string>,
  { ports = [], operations = [] }: { ports?: number[]; operations?: string[] } = {},
): Scenario {
  return {
    mode: 'standalone',
    env,
    run: async (lm) => {
      const { uuid } = await submit(lm.api, { ports });
      for (const op of operations) await operate(lm.api, uuid, op);
      const container = docker.getContainer((await getInstance(lm.api, uuid)).agents[0].container_id);
      await container.stop({ t: 0 });
      await untilStatus(lm, uuid, 'error');
      await container.start();
      await untilStatus(lm, uuid, 'started');
      await lm.api.delete(`/api/v2/lm/service-instances/${uuid}?wait=true`);
      return uuid;
    },
  };
}

/**
 * An instance on an agent that goes away: its terminate at expiry is incomplete and tried again, a DELETE while
 * the agent is away is incomplete too, and the DELETE sent again once the agent is back terminates it.
 */
const incompleteTerminate: Scenario = {
  mode: 'standalone',
  env: { LM_AGENT_TIMEOUT_S: '2', LM_EXPIRY_RETRY_S: '1' },
  run: async (lm) => {
    const agentIp = '127.0.0.3';
    const startAgent = () =>
      startWorkerProcess({ TEMPORAL_ADDRESS: lm.config.temporal.address, HOST_IP: agentIp, STANDALONE_MODE: 'True' });
    let agent = startAgent();
    try {
      const { uuid } = await submit(lm.api, { agents: [agentIp], extra: { expires_in: 8 } });
      await agent.kill('SIGKILL');
      await eventually('an incomplete terminate at expiry, tried again', async () => {
        const timeline = (await lm.api.get(`/api/v2/lm/service-instances/${uuid}/timeline`)).data.timeline as Array<{ message?: string }>;
        return timeline.some((e) => /attempt 2/.test(e.message ?? '')) ? true : undefined;
      });
      await lm.api.delete(`/api/v2/lm/service-instances/${uuid}?wait=true`);
      agent = startAgent();
      await lm.api.delete(`/api/v2/lm/service-instances/${uuid}?wait=true`);
      await untilStatus(lm, uuid, 'terminated');
      return uuid;
    } finally {
      await agent.kill('SIGTERM');
    }
  },
};

/**
 * An instance on the local agent and on an agent-role LM that is SIGKILLed: the agent is announced lost (its
 * agents `unknown`, the instance `degraded`), a DELETE meanwhile is incomplete, and the terminate finishes once
 * the agent's LM is back and announced.
 */
/** `reportBeforeBack`: the instance hears of a runtime change while its terminate waits for the agent. */
const terminateWhileAgentLost = (reportBeforeBack = false): Scenario => ({
  mode: 'standalone',
  env: { LM_AGENT_LOST_S: '2', LM_OBSERVE_INTERVAL_S: '0' },
  run: async (lm) => {
    const agentIp = '127.0.0.4';
    const startAgent = () =>
      startWorkerProcess({
        TEMPORAL_ADDRESS: lm.config.temporal.address,
        HOST_IP: agentIp,
        LM_ROLE: 'agent',
        LM_AGENT_LOST_S: '2',
        STANDALONE_MODE: 'True',
      });
    let agent = startAgent();
    try {
      await eventually('the agent is alive', async () =>
        (await lm.api.get(`/api/v2/lm/agents/${agentIp}`)).data.agent?.alive === true ? true : undefined,
      );
      const { uuid } = await submit(lm.api, { agents: [lm.config.hostIp, agentIp] });
      await agent.kill('SIGKILL');
      await untilStatus(lm, uuid, 'degraded');
      await lm.api.delete(`/api/v2/lm/service-instances/${uuid}?wait=true`);
      // As a sweep that reports the instance before the agent's presence is back: the observation waits too.
      if (reportBeforeBack) await lm.client.workflow.getHandle(instanceIdOf(uuid)).signal(runtimeChangedSignal);
      agent = startAgent();
      await untilStatus(lm, uuid, 'terminated');
      return uuid;
    } finally {
      await agent.kill('SIGTERM');
    }
  },
});
const agentLost = terminateWhileAgentLost();

/**
 * An instance on an agent that is lost and back: its agent is observed again and the instance settles to
 * `started`. The first run of the agent's presence workflow is recorded too: hello, reports, lost, waiting for
 * its LM, superseded by a new LM, continued as new (the server suggests it early).
 */
const agentBack: Scenario = {
  mode: 'standalone',
  env: { LM_AGENT_LOST_S: '2', LM_OBSERVE_INTERVAL_S: '0' },
  server: ['--dynamic-config-value', 'limit.historyCount.suggestContinueAsNew=30'],
  alsoRecord: { 'agent-presence': 'lm-agent/127.0.0.6' },
  run: async (lm) => {
    const agentIp = '127.0.0.6';
    const alive = async (wanted: boolean) =>
      eventually(`agent ${wanted ? 'alive' : 'not alive'}`, async () =>
        (await lm.api.get(`/api/v2/lm/agents/${agentIp}`)).data.agent?.alive === wanted ? true : undefined,
      );
    const startAgent = () =>
      startWorkerProcess({
        TEMPORAL_ADDRESS: lm.config.temporal.address,
        HOST_IP: agentIp,
        LM_ROLE: 'agent',
        LM_AGENT_LOST_S: '2',
        STANDALONE_MODE: 'True',
      });
    let agent = startAgent();
    try {
      await alive(true);
      const { uuid } = await submit(lm.api, { agents: [agentIp] });
      await agent.kill('SIGKILL');
      await untilStatus(lm, uuid, 'degraded');
      agent = startAgent();
      await untilStatus(lm, uuid, 'started');
      await agent.kill('SIGTERM');
      await alive(false);
      agent = startAgent();
      await alive(true);
      await lm.api.delete(`/api/v2/lm/service-instances/${uuid}?wait=true`);
      return uuid;
    } finally {
      await agent.kill('SIGTERM');
    }
  },
};

/** Submit, stop, start, restart, terminate: recorded before and after the read model, as two histories. */
const dockerLifecycle: Scenario = {
  mode: 'standalone',
  run: async (lm) => {
    const { uuid } = await submit(lm.api, { ports: [80] });
    for (const op of ['stop', 'start', 'restart']) await operate(lm.api, uuid, op);
    await lm.api.delete(`/api/v2/lm/service-instances/${uuid}?wait=true`);
    return uuid;
  },
};

/**
 * dockerd killed and started again under a started instance: its restore leaves the container exited, and the
 * instance, told by the event stream coming back, starts it again (patch `start-what-engine-restart-left`).
 */
const engineRestartLeft: Scenario = {
  mode: 'standalone',
  privateEngine: true,
  run: async (lm, _peers, _setDockerDown, engine) => {
    if (engine === null) throw new Error('engine-restart-left needs its private engine');
    const { uuid } = await submit(lm.api, { ports: [80] });
    await engine.kill();
    await engine.start();
    await eventually(
      'the container started again by the LM',
      async () => ((await getTimeline(lm.api, uuid)).some((e) => /exited: started again/.test(e.message ?? '')) ? true : undefined),
      45_000,
    );
    await lm.api.delete(`/api/v2/lm/service-instances/${uuid}?wait=true`);
    return uuid;
  },
};

/** A removal that waits behind a full agent (one slot, held by a hanging pull) is queued again; the terminate ends. */
const busyAgent: Scenario = {
  mode: 'standalone',
  env: { LM_AGENT_ACTIVITY_SLOTS: '1', LM_AGENT_TIMEOUT_S: '2' },
  run: async (lm) => {
    const registry = await startHangingRegistry();
    try {
      const { uuid } = await submit(lm.api);
      const { uuid: holder } = await submit(lm.api, { image: registry.image, wait: false });
      await eventually('the pull holds the slot', async () => (registry.manifestRequests() > 0 ? true : undefined));
      await lm.api.delete(`/api/v2/lm/service-instances/${uuid}`);
      await eventually('the removal queued again', async () =>
        (await getTimeline(lm.api, uuid)).some((e) => /its LM is busy/.test(e.message ?? '')) ? true : undefined,
      );
      await lm.api.delete(`/api/v2/lm/service-instances/${holder}?wait=true`);
      await untilStatus(lm, uuid, 'terminated');
      return uuid;
    } finally {
      await registry.close();
    }
  },
};

const scenarios: Record<string, Scenario> = {
  // A step nobody took in time on an agent whose LM still polls: queued again, not the agent `unknown`.
  'busy-agent': busyAgent,
  // A started container left exited by its engine's restart, started again by the instance.
  'engine-restart-left': engineRestartLeft,
  // The docker lifecycle since the read model: every change projected by a local activity (markers in the history).
  'read-model-lifecycle': dockerLifecycle,
  // The first task schedules the deploy and leaves its projection to the next change (the API wrote the submit).
  'first-task-leaves-projection': dockerLifecycle,
  // A start retrying an engine that does not answer (workflow-side retries), preempted by a DELETE.
  'terminate-preempts': {
    mode: 'standalone',
    dockerProxy: true,
    env: { LM_DOCKER_TIMEOUT_MS: '2000' },
    run: async (lm, _peers, setDockerDown) => {
      const { uuid } = await submit(lm.api);
      await operate(lm.api, uuid, 'stop');
      setDockerDown(true);
      try {
        await operate(lm.api, uuid, 'start', false);
        await eventually('a retried start', async () => {
          const timeline = (await lm.api.get(`/api/v2/lm/service-instances/${uuid}/timeline`)).data.timeline as Array<{ message?: string }>;
          return timeline.some((e) => /^retrying start/.test(e.message ?? '')) ? true : undefined;
        });
        await lm.api.delete(`/api/v2/lm/service-instances/${uuid}`);
      } finally {
        setDockerDown(false);
      }
      await untilStatus(lm, uuid, 'terminated');
      return uuid;
    },
  },
  // Cancelled from Temporal (as the Web UI's Cancel): the instance terminates itself.
  'cancel-terminates': {
    mode: 'standalone',
    run: async (lm) => {
      const { uuid } = await submit(lm.api);
      await lm.client.workflow.getHandle(instanceIdOf(uuid)).cancel();
      await untilStatus(lm, uuid, 'terminated');
      return uuid;
    },
  },
  // all-or-nothing: the deployed agent is removed and reset, a start deploys it again; an image that is missing
  // is removed by name at terminate (its deploy was attempted).
  'remove-by-name': {
    mode: 'standalone',
    env: { LM_AGENT_TIMEOUT_S: '2' },
    run: async (lm) => {
      const { uuid } = await submit(lm.api, { agents: ['127.0.0.1', '10.255.255.1'], extra: { all_or_nothing: true } });
      await operate(lm.api, uuid, 'start');
      await lm.api.delete(`/api/v2/lm/service-instances/${uuid}?wait=true`);
      return uuid;
    },
  },
  'continue-as-new': continueAsNew,
  // mF2C: a remote agent (an original LM over HTTP) is observed through its LM, which cannot tell (unknown).
  'mf2c-remote-observed': {
    mode: 'mf2c',
    env: { LM_OBSERVE_INTERVAL_S: '1' },
    run: async (lm, peers) => {
      peers!.recommender.setHosts(['127.0.0.1', REMOTE]);
      peers!.cimi.patch(peers!.cimi.seeded!.service, { num_agents: 2 });
      try {
        const response = await lm.api.post('/api/v2/lm/service?wait=true', { service_id: peers!.cimi.seeded!.service });
        const uuid = uuidOf(response.data.service_instance.id as string);
        await new Promise((resolve) => setTimeout(resolve, 3_500));
        await lm.api.delete(`/api/v2/lm/service-instances/${uuid}?wait=true`);
        return uuid;
      } finally {
        peers!.cimi.patch(peers!.cimi.seeded!.service, { num_agents: 1 });
      }
    },
  },
  'docker-lifecycle': dockerLifecycle,
  'missing-image': {
    mode: 'standalone',
    run: async (lm) => {
      const { uuid } = await submit(lm.api, { image: 'lm-test/does-not-exist:1.0' });
      await lm.api.delete(`/api/v2/lm/service-instances/${uuid}?wait=true`);
      return uuid;
    },
  },
  // A slow image pull from a registry stand-in: progress signals, their timeline entries and current details.
  'pull-progress': {
    mode: 'standalone',
    run: async (lm) => {
      const registry = await startRegistryStandIn();
      const repository = 'lm-test/recorded-progress';
      registry.setMode(repository, { kind: 'slow', bytesPerTick: 32 * 1024, tickMs: 100 });
      const image = registry.reference(repository);
      try {
        const { uuid } = await submit(lm.api, { image });
        await lm.api.delete(`/api/v2/lm/service-instances/${uuid}?wait=true`);
        return uuid;
      } finally {
        await docker
          .getImage(image)
          .remove({ force: true })
          .catch(() => undefined);
        await registry.close();
      }
    },
  },
  'compss-job': compssJob(),
  // The same with today's code: the job is sent once.
  'compss-job-once': compssJob(),
  // A container stopped and started again behind the LM's back: observation rounds, drift and recovery.
  'observed-drift': driftScenario({ LM_OBSERVE_INTERVAL_S: '1' }),
  // The same, noticed through Docker events only (runtime-changed signals, no observation timer).
  'observed-events': driftScenario({ LM_OBSERVE_INTERVAL_S: '0', LM_WATCH_DOCKER_EVENTS: 'true' }),
  // Today's lean path: deploy and start as one activity, upserts only on change, no observation timer (the
  // agent's sweep signals the drift), operations, drift and recovery found by the sweep alone.
  'lean-lifecycle': driftScenario({ LM_OBSERVE_INTERVAL_S: '1', LM_SWEEP_INTERVAL_S: '1' }, { ports: [80], operations: ['stop', 'start'] }),
  // Deploy and start as one activity whose start fails: the deployed container is recorded, the agent error-starting.
  'deploy-and-start-fails': {
    mode: 'standalone',
    run: async (lm) => {
      const { uuid } = await submit(lm.api, { image: ensureExitingImage(), name: 'exits' });
      await lm.api.delete(`/api/v2/lm/service-instances/${uuid}?wait=true`);
      return uuid;
    },
  },
  // An instance submitted with expires_in terminates itself on its timer, with a periodic observation beside it.
  expiry: {
    mode: 'standalone',
    env: { LM_OBSERVE_INTERVAL_S: '1' },
    run: async (lm) => {
      const { uuid } = await submit(lm.api, { extra: { expires_in: 3 } });
      await untilStatus(lm, uuid, 'terminated');
      return uuid;
    },
  },
  // mF2C: selection, CIMI mirror, SLA and UM, a remote agent over HTTP (QoS scale out and in), um_warning.
  'mf2c-lifecycle': {
    mode: 'mf2c',
    run: async (lm, peers) => {
      const response = await lm.api.post('/api/v2/lm/service?wait=true', {
        service_id: peers!.cimi.seeded!.service,
        sla_template: 'sla-template/t1',
      });
      const id = response.data.service_instance.id as string;
      const uuid = uuidOf(id);
      for (const op of ['stop', 'start', 'restart']) await operate(lm.api, uuid, op);
      peers!.recommender.setHosts(['127.0.0.1', REMOTE]);
      await lm.api.post('/api/v2/lm', { type: 'qos_enforcement', data: { service_instance_id: id, num_agents: 2 } });
      await eventually('2 agents', async () => ((await getInstance(lm.api, uuid)).agents.length === 2 ? true : undefined));
      await untilStatus(lm, uuid, 'started');
      await lm.api.post('/api/v2/lm', { type: 'qos_enforcement', data: { service_instance_id: id, num_agents: 1 } });
      await eventually('1 agent', async () => ((await getInstance(lm.api, uuid)).agents.length === 1 ? true : undefined));
      await lm.api.post('/api/v2/lm', { type: 'sla_notification', data: { service_instance_id: id, warning_txt: 'x' } });
      await lm.api.post('/api/v2/lm', {
        type: 'um_warning',
        data: { user_id: peers!.cimi.seeded!.user, result: { max_apps_violation: true } },
      });
      await untilStatus(lm, uuid, 'stopped');
      await lm.api.delete(`/api/v2/lm/service-instances/${uuid}?wait=true`);
      return uuid;
    },
  },
  // mF2C: the SLA Manager answers 500 twice (timers between the single-attempt calls), then 400 on stop.
  'mf2c-sla-retry': {
    mode: 'mf2c',
    run: async (lm, peers) => {
      peers!.sla.failNext('POST', '/mf2c/create-agreement', { status: 500, times: 2 });
      peers!.sla.failNext('PUT', /\/stop$/, { status: 400 });
      const response = await lm.api.post('/api/v2/lm/service?wait=true', {
        service_id: peers!.cimi.seeded!.service,
        sla_template: 'sla-template/t1',
      });
      const uuid = uuidOf(response.data.service_instance.id as string);
      await operate(lm.api, uuid, 'stop');
      await lm.api.delete(`/api/v2/lm/service-instances/${uuid}?wait=true`);
      return uuid;
    },
  },
  'incomplete-terminate': incompleteTerminate,
  // A DELETE right after a submit that did not wait: the terminate cancels the deploy of three agents, whose
  // projection goes on outside it, then removes what the deploy made.
  'terminate-during-deploy': {
    mode: 'standalone',
    run: async (lm) => {
      const { uuid } = await submit(lm.api, { wait: false, agents: [lm.config.hostIp, lm.config.hostIp, lm.config.hostIp] });
      await lm.api.delete(`/api/v2/lm/service-instances/${uuid}`);
      await untilStatus(lm, uuid, 'terminated');
      return uuid;
    },
  },
  // A terminate waiting for a lost agent, with the sweep asking for observations meanwhile: they wait too.
  'terminate-waits-for-agent': terminateWhileAgentLost(true),
  'agent-lost': agentLost,
  'agent-back': agentBack,
  // mF2C: too few agents, forwarded to the leader's LM under the same id.
  'mf2c-forwarded': {
    mode: 'mf2c',
    run: async (lm, peers) => {
      peers!.cimi.patch(peers!.cimi.seeded!.service, { num_agents: 3 });
      try {
        const response = await lm.api.post('/api/v2/lm/service', { service_id: peers!.cimi.seeded!.service });
        return uuidOf(response.data.service_instance_id as string);
      } finally {
        peers!.cimi.patch(peers!.cimi.seeded!.service, { num_agents: 1 });
      }
    },
  },
};

/**
 * Scenarios on the real workflow with the test's own activities (test/support/latched-activities.ts), for paths
 * only a race reaches; the server suggests continue-as-new after 20 events. The first run is recorded.
 */
const latchedScenarios: Record<string, (latched: Awaited<ReturnType<typeof startLatchedWorkers>>) => Promise<WorkflowHandle>> = {
  // A stop accepted during the continue-as-new flush finishes before the run continues.
  'carry-over-when-quiet': async ({ client, fakes }) => {
    const { handle, firstRun } = await stopDuringContinueAsNewFlush(client, fakes);
    await eventually('the next run', async () => ((await handle.describe()).runId !== firstRun ? true : undefined));
    return handle;
  },
};

async function recordLatched(names: string[]): Promise<void> {
  if (names.length === 0) return;
  const server = await startDevServer({ extraArgs: ['--dynamic-config-value', 'limit.historyCount.suggestContinueAsNew=20'] });
  const connection = await Connection.connect({ address: server.address });
  await ensureSearchAttributes(connection, 'default');
  const latched = await startLatchedWorkers(server.address);
  try {
    for (const name of names) {
      latched.fakes.reset();
      const handle = await latchedScenarios[name](latched);
      const firstRun = (await handle.describe()).raw.workflowExecutionInfo?.firstRunId ?? undefined;
      const history = await latched.client.workflow.getHandle(handle.workflowId, firstRun).fetchHistory();
      fs.writeFileSync(path.join(OUT, `${name}.json`), JSON.stringify(JSON.parse(historyToJSON(history)), null, 1));
      console.log(`recorded ${name} (${history.events?.length ?? 0} events)`);
    }
  } finally {
    await latched.stop();
    await connection.close();
    await server.stop();
  }
}

/** Lifecycles recorded again since one marker stands for the patch baseline (workflows/patches.ts): both must replay. */
const BASELINE_RECORDINGS = [
  'docker-lifecycle',
  'terminate-preempts',
  'engine-restart-left',
  'compss-job-once',
  'mf2c-lifecycle',
  'lean-lifecycle',
];
for (const name of BASELINE_RECORDINGS) scenarios[`baseline-${name}`] = scenarios[name];

async function main(): Promise<void> {
  const wanted = process.argv.slice(2);
  const unknown = wanted.filter((name) => !(name in scenarios) && !(name in latchedScenarios));
  if (unknown.length > 0) {
    throw new Error(
      `unknown scenario(s) ${unknown.join(', ')}; known: ${[...Object.keys(scenarios), ...Object.keys(latchedScenarios)].join(', ')}`,
    );
  }
  const chosen = Object.entries(scenarios).filter(([name]) => wanted.length === 0 || wanted.includes(name));
  // The read model of the recording: thrown away with it.
  process.env.LM_DATA_DIR ??= fs.mkdtempSync(path.join(os.tmpdir(), 'lm-record-'));
  await recordLatched(Object.keys(latchedScenarios).filter((name) => wanted.length === 0 || wanted.includes(name)));
  if (chosen.length === 0) return;
  ensureBusyboxImage();
  ensureCompssImage();
  const shared = await startDevServer();
  const made: string[] = [];
  try {
    // One LM at a time: two LMs must not serve the same task queues.
    const setupOf = ([, scenario]: [string, Scenario]) =>
      `${scenario.mode} ${JSON.stringify(scenario.env ?? {})} ${JSON.stringify(scenario.server ?? [])} ${scenario.dockerProxy === true} ${scenario.privateEngine === true}`;
    for (const setup of new Set(chosen.map(setupOf))) {
      const group = chosen.filter((entry) => setupOf(entry) === setup);
      const { mode, env, server: serverArgs, dockerProxy, privateEngine } = group[0][1];
      const own: DevServer | null = serverArgs === undefined ? null : await startDevServer({ extraArgs: serverArgs });
      const server = own ?? shared;
      process.env.LM_TEST_TEMPORAL_ADDRESS = server.address;
      const proxy = dockerProxy === true ? await startDockerSocketProxy() : null;
      const peers = mode === 'mf2c' ? await startMf2cPeers({ leaderIp: LEADER, peerLmIps: [REMOTE, LEADER] }) : null;
      const onEngine: LmOnPrivateEngine | null = privateEngine === true ? await startLmOnPrivateEngine('rec') : null;
      const lm =
        onEngine?.lm ?? (await startLm({ ...(peers?.lmEnv ?? {}), ...(proxy === null ? {} : { DOCKER_SOCKET: proxy.url }), ...env }));
      try {
        for (const [name, scenario] of group) {
          const uuid = await scenario.run(lm, peers, (down) => proxy?.setDown(down), onEngine?.engine ?? null);
          made.push(uuid);
          for (const [file, workflowId] of Object.entries(scenario.alsoRecord ?? {})) {
            const firstRunId =
              (await lm.client.workflow.getHandle(workflowId).describe()).raw.workflowExecutionInfo?.firstRunId ?? undefined;
            const history = await lm.client.workflow.getHandle(workflowId, firstRunId).fetchHistory();
            fs.writeFileSync(path.join(OUT, `${file}.json`), JSON.stringify(JSON.parse(historyToJSON(history)), null, 1));
            console.log(`recorded ${file} (${history.events?.length ?? 0} events)`);
          }
          const handle = lm.client.workflow.getHandle(instanceIdOf(uuid));
          const runs: Array<[string, string | undefined]> = [[name, undefined]];
          if (scenario.firstRunAs !== undefined)
            runs.push([scenario.firstRunAs, (await handle.describe()).raw.workflowExecutionInfo?.firstRunId ?? undefined]);
          for (const [file, runId] of runs) {
            const history = await lm.client.workflow.getHandle(instanceIdOf(uuid), runId).fetchHistory();
            fs.writeFileSync(path.join(OUT, `${file}.json`), JSON.stringify(JSON.parse(historyToJSON(history)), null, 1));
            console.log(`recorded ${file} (${history.events?.length ?? 0} events)`);
          }
        }
      } finally {
        if (onEngine === null) await lm.stop();
        else await stopLmOnPrivateEngine(onEngine);
        await peers?.closeAll();
        await proxy?.close();
        await own?.stop();
      }
    }
  } finally {
    await removeContainersOf(made);
    await shared.stop();
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
