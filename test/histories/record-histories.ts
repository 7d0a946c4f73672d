/**
 * Records the histories the replay test checks (run by hand when a workflow change is meant to be
 * incompatible, never in CI): `npm run build && node dist/test/histories/record-histories.js [name…]`.
 * Without names it records every scenario; with names only those (so recording a new scenario does not
 * overwrite the standalone histories that guard compatibility). Starts its own Temporal dev server, an
 * in-process LM (standalone, or mF2C against the fake peers), drives a few lifecycles, writes JSON files.
 */
import fs from 'node:fs';
import path from 'node:path';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import { startDevServer } from '../support/dev-server';
import { PROJECT_ROOT } from '../support/temporal-binary';
import { startLm, type LmHarness } from '../support/lm-harness';
import { startWorkerProcess } from '../support/lm-process';
import { getInstance, operate, submit } from '../support/api-calls';
import { docker, removeContainersOf } from '../support/docker-state';
import { eventually } from '../support/eventually';
import { startMf2cPeers, type Mf2cPeers } from '../support/mf2c-peers';
import { COMPSS_IMAGE, ensureBusyboxImage, ensureCompssImage } from '../support/test-images';
import { instanceIdOf, uuidOf } from '../../workflows/model/instance';

const OUT = path.join(PROJECT_ROOT, 'test', 'histories');
const REMOTE = '127.0.0.2';
const LEADER = '127.0.0.9';

interface Scenario {
  mode: 'standalone' | 'mf2c';
  /** LM configuration beyond the mode's; scenarios with different settings get an LM each. */
  env?: Record<string, string>;
  run(lm: LmHarness, peers: Mf2cPeers | null): Promise<string>;
}

async function untilStatus(lm: LmHarness, uuid: string, status: string): Promise<void> {
  await eventually(`${uuid} ${status}`, async () => ((await getInstance(lm.api, uuid)).status === status ? true : undefined));
}

/** A standalone instance whose container is stopped, then started again, outside the LM. */
function driftScenario(env: Record<string, string>): Scenario {
  return {
    mode: 'standalone',
    env,
    run: async (lm) => {
      const { uuid, instance } = await submit(lm.api);
      const container = docker.getContainer(instance.agents[0].container_id);
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
    const startAgent = () => startWorkerProcess({ TEMPORAL_ADDRESS: lm.config.temporal.address, HOST_IP: agentIp, STANDALONE_MODE: 'True' });
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

const scenarios: Record<string, Scenario> = {
  'docker-lifecycle': {
    mode: 'standalone',
    run: async (lm) => {
      const { uuid } = await submit(lm.api, { ports: [80] });
      for (const op of ['stop', 'start', 'restart']) await operate(lm.api, uuid, op);
      await lm.api.delete(`/api/v2/lm/service-instances/${uuid}?wait=true`);
      return uuid;
    },
  },
  'missing-image': {
    mode: 'standalone',
    run: async (lm) => {
      const { uuid } = await submit(lm.api, { image: 'lm-test/does-not-exist:1.0' });
      await lm.api.delete(`/api/v2/lm/service-instances/${uuid}?wait=true`);
      return uuid;
    },
  },
  'compss-job': {
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
  },
  // A container stopped and started again behind the LM's back: observation rounds, drift and recovery.
  'observed-drift': driftScenario({ LM_OBSERVE_INTERVAL_S: '1' }),
  // The same, noticed through Docker events only (runtime-changed signals, no observation timer).
  'observed-events': driftScenario({ LM_OBSERVE_INTERVAL_S: '0', LM_WATCH_DOCKER_EVENTS: 'true' }),
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
      const response = await lm.api.post('/api/v2/lm/service?wait=true', { service_id: peers!.cimi.seeded!.service, sla_template: 'sla-template/t1' });
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
      await lm.api.post('/api/v2/lm', { type: 'um_warning', data: { user_id: peers!.cimi.seeded!.user, result: { max_apps_violation: true } } });
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
      const response = await lm.api.post('/api/v2/lm/service?wait=true', { service_id: peers!.cimi.seeded!.service, sla_template: 'sla-template/t1' });
      const uuid = uuidOf(response.data.service_instance.id as string);
      await operate(lm.api, uuid, 'stop');
      await lm.api.delete(`/api/v2/lm/service-instances/${uuid}?wait=true`);
      return uuid;
    },
  },
  'incomplete-terminate': incompleteTerminate,
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

async function main(): Promise<void> {
  const wanted = process.argv.slice(2);
  const unknown = wanted.filter((name) => !(name in scenarios));
  if (unknown.length > 0) throw new Error(`unknown scenario(s) ${unknown.join(', ')}; known: ${Object.keys(scenarios).join(', ')}`);
  const chosen = Object.entries(scenarios).filter(([name]) => wanted.length === 0 || wanted.includes(name));
  ensureBusyboxImage();
  ensureCompssImage();
  const server = await startDevServer();
  process.env.LM_TEST_TEMPORAL_ADDRESS = server.address;
  const made: string[] = [];
  try {
    // One LM at a time: two LMs must not serve the same task queues.
    const setupOf = ([, scenario]: [string, Scenario]) => `${scenario.mode} ${JSON.stringify(scenario.env ?? {})}`;
    for (const setup of new Set(chosen.map(setupOf))) {
      const group = chosen.filter((entry) => setupOf(entry) === setup);
      const { mode, env } = group[0][1];
      const peers = mode === 'mf2c' ? await startMf2cPeers({ leaderIp: LEADER, peerLmIps: [REMOTE, LEADER] }) : null;
      const lm = await startLm({ ...(peers?.lmEnv ?? {}), ...env });
      try {
        for (const [name, scenario] of group) {
          const uuid = await scenario.run(lm, peers);
          made.push(uuid);
          const history = await lm.client.workflow.getHandle(instanceIdOf(uuid)).fetchHistory();
          fs.writeFileSync(path.join(OUT, `${name}.json`), JSON.stringify(JSON.parse(historyToJSON(history)), null, 1));
          console.log(`recorded ${name} (${history.events?.length ?? 0} events)`);
        }
      } finally {
        await lm.stop();
        await peers?.closeAll();
      }
    }
  } finally {
    await removeContainersOf(made);
    await server.stop();
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
