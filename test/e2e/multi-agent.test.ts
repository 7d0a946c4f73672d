/**
 * Three agents on one Temporal cluster, as three machines would run them: the first runs the full LM (in the
 * test process, on the machine's Docker engine), the two others join with `scripts/start.sh agent`, each with its
 * own dockerd and its own loopback HOST_IP. Everything is checked on the engines themselves, through their sockets.
 */
import type Docker from 'dockerode';
import { LABEL_AGENT } from '../../activities/runtime/labels';
import type { ServiceInstance, TimelineEntry } from '../../workflows/model/instance';
import { getInstance, operate, submit } from '../support/api-calls';
import { containersOf, docker as machineEngine } from '../support/docker-state';
import { eventually } from '../support/eventually';
import { removeExtraAgents, startExtraAgents, type ExtraAgent } from '../support/extra-agents';
import { startLm, type LmHarness } from '../support/lm-harness';

const LOST_S = 4;
// Not 127.0.0.2–5: other suites use those as agents no LM of this cluster serves.
const IPS = ['127.0.0.12', '127.0.0.13'];
let lm: LmHarness;
let extra: ExtraAgent[] = [];

interface AgentBody {
  ip: string;
  alive: boolean;
  role: string | null;
  reason: string | null;
  runtimes: { docker: { available: boolean; message: string } } | null;
  exec_types: string[];
  lm: { pid: number } | null;
}

beforeAll(async () => {
  lm = await startLm({ LM_AGENT_LOST_S: String(LOST_S), LM_AGENT_TIMEOUT_S: '20' });
  extra = await startExtraAgents({ temporalAddress: lm.config.temporal.address, ips: IPS, env: { LM_AGENT_LOST_S: String(LOST_S) } });
  await eventually(
    'all three agents alive',
    async () => ((await agents()).filter((a) => a.alive && [lm.config.hostIp, ...IPS].includes(a.ip)).length === 3 ? true : undefined),
    60_000,
  );
}, 300_000);

afterAll(async () => {
  await removeExtraAgents(extra);
  await lm?.stop();
}, 120_000);

async function agents(): Promise<AgentBody[]> {
  const response = await lm.api.get('/api/v2/lm/agents');
  if (response.status !== 200) throw new Error(`GET agents: ${response.status} ${JSON.stringify(response.data)}`);
  return response.data.agents as AgentBody[];
}

async function agentOf(ip: string): Promise<AgentBody> {
  const response = await lm.api.get(`/api/v2/lm/agents/${ip}`);
  if (response.status !== 200) throw new Error(`GET agent ${ip}: ${response.status}`);
  return response.data.agent as AgentBody;
}

function engineOf(ip: string): Docker {
  return ip === lm.config.hostIp ? machineEngine : (extra.find((a) => a.ip === ip)?.engine.docker as Docker);
}

async function timeline(uuid: string): Promise<TimelineEntry[]> {
  return (await lm.api.get(`/api/v2/lm/service-instances/${uuid}/timeline`)).data.timeline as TimelineEntry[];
}

/** What each engine runs for `uuid`, by agent IP. */
async function onEngines(uuid: string): Promise<Record<string, Docker.ContainerInfo[]>> {
  const all = [lm.config.hostIp, ...IPS];
  const found = await Promise.all(all.map((ip) => containersOf(uuid, engineOf(ip))));
  return Object.fromEntries(all.map((ip, i) => [ip, found[i]]));
}

test("the agents endpoint lists all three, from the leader and from an agent's own API", async () => {
  const list = await agents();
  for (const ip of IPS) {
    expect(list.find((a) => a.ip === ip)).toMatchObject({ alive: true, role: 'agent', runtimes: { docker: { available: true } } });
  }
  expect(list.find((a) => a.ip === lm.config.hostIp)).toMatchObject({ alive: true, role: 'full' });
  const fromAgent = (await fetch(`${extra[0].apiUrl}/api/v2/lm/agents`).then((r) => r.json())) as { agents: AgentBody[] };
  expect(fromAgent.agents.filter((a) => a.alive).map((a) => a.ip)).toEqual(expect.arrayContaining([lm.config.hostIp, ...IPS]));
});

test("one instance on all three agents: a container on each agent's own engine, and every operation acts on all three", async () => {
  const all = [lm.config.hostIp, ...IPS];
  const { uuid, instance } = await submit(lm.api, { name: 'spread', ports: [80], agents: all });
  lm.made.push(uuid);
  expect(instance.status).toBe('started');
  const made = await onEngines(uuid);
  for (const [index, ip] of all.entries()) {
    // Exactly one container per engine: each agent made its own, on its own engine.
    expect({ ip, containers: made[ip].length }).toEqual({ ip, containers: 1 });
    const [container] = made[ip];
    expect(container.Labels[LABEL_AGENT]).toBe(ip);
    expect(container.Id).toBe(instance.agents[index].container_id);
    const published = container.Ports.find((p) => p.PrivatePort === 80)?.PublicPort;
    expect(published).toBe(instance.agents[index].ports[0]);
    // Reached on the agent's own address, as on a machine of its own.
    expect(await fetch(`http://${ip}:${published}/`).then((r) => r.text())).toBe('lm-test\n');
  }

  const running = async () => Object.values(await onEngines(uuid)).map((list) => list.map((c) => c.State).join());
  expect((await operate(lm.api, uuid, 'stop')).data.service_instance.status).toBe('stopped');
  expect(await running()).toEqual(['exited', 'exited', 'exited']);
  expect((await operate(lm.api, uuid, 'start')).data.service_instance.status).toBe('started');
  expect(await running()).toEqual(['running', 'running', 'running']);
  const before = await Promise.all(all.map((ip) => engineOf(ip).getContainer(made[ip][0].Id).inspect()));
  expect((await operate(lm.api, uuid, 'restart')).data.service_instance.status).toBe('started');
  const after = await Promise.all(all.map((ip) => engineOf(ip).getContainer(made[ip][0].Id).inspect()));
  after.forEach((info, i) => expect(Date.parse(info.State.StartedAt)).toBeGreaterThan(Date.parse(before[i].State.StartedAt)));
  const terminated = await lm.api.delete(`/api/v2/lm/service-instances/${uuid}?wait=true`);
  expect(terminated.data.service_instance.status).toBe('terminated');
  expect(Object.values(await onEngines(uuid)).map((list) => list.length)).toEqual([0, 0, 0]);
}, 180_000);

test('placement without agents_list: num_agents 2 lands on two live agents, never on the stopped one', async () => {
  const [, third] = extra;
  await third.stopLm();
  await eventually('the third agent is not alive', async () => ((await agentOf(third.ip)).alive ? undefined : true), 20_000);
  try {
    for (let round = 0; round < 3; round += 1) {
      const { uuid, instance } = await submit(lm.api, {
        name: `placed-${round}`,
        extra: { service: { name: `placed-${round}`, exec: 'lm-test/busybox:latest', exec_type: 'docker', exec_ports: [], num_agents: 2 } },
      });
      lm.made.push(uuid);
      const ips = instance.agents.map((a) => a.url);
      expect(ips.sort()).toEqual([lm.config.hostIp, IPS[0]].sort());
      expect(instance.status).toBe('started');
      const places = (await timeline(uuid)).filter((e) => e.step === 'place');
      expect(places.find((e) => e.agent === third.ip)).toMatchObject({
        outcome: 'rejected',
        message: expect.stringMatching(
          /^127\.0\.0\.13: not alive: (its LM stopped at|no LM of agent 127\.0\.0\.13 took its presence check)/,
        ),
      });
      expect(
        places
          .filter((e) => /: chosen: alive, offers docker/.test(e.message ?? ''))
          .map((e) => e.agent)
          .sort(),
      ).toEqual(ips.sort());
      for (const ip of ips) expect(await containersOf(uuid, engineOf(ip))).toHaveLength(1);
      expect(await containersOf(uuid, third.engine.docker)).toHaveLength(0);
      await lm.api.delete(`/api/v2/lm/service-instances/${uuid}?wait=true`);
    }
    const tooMany = await lm.api.post('/api/v2/lm/service', {
      service: { name: 'too-many', exec: 'lm-test/busybox:latest', exec_type: 'docker', num_agents: 3 },
    });
    expect(tooMany.status).toBe(503);
    expect(tooMany.data.message).toMatch(
      /^num_agents 3 needs 3 live agents offering docker, the cluster has 2 \(.*127\.0\.0\.13: not alive/,
    );
  } finally {
    await third.startLm();
    await eventually('the third agent is back', async () => ((await agentOf(third.ip)).alive ? true : undefined), 30_000);
  }
}, 180_000);

test("an agent's LM SIGKILLed: its instances are degraded within LM_AGENT_LOST_S with the reason, and settle again once it is back", async () => {
  const [second] = extra;
  const spread = await submit(lm.api, { name: 'lose-spread', agents: [lm.config.hostIp, second.ip] });
  const only = await submit(lm.api, { name: 'lose-only', agents: [second.ip] });
  lm.made.push(spread.uuid, only.uuid);
  expect([spread.instance.status, only.instance.status]).toEqual(['started', 'started']);

  await second.killLm();
  const killedAt = Date.now();
  const [spreadNow, onlyNow] = await eventually(
    'both instances degraded',
    async () => {
      const both = await Promise.all([getInstance(lm.api, spread.uuid), getInstance(lm.api, only.uuid)]);
      return both.every((i) => i.status === 'degraded') ? both : undefined;
    },
    30_000,
    200,
  );
  // LM_AGENT_LOST_S (the presence check's heartbeat timeout) plus one announcement.
  expect(Date.now() - killedAt).toBeLessThan((LOST_S + 6) * 1000);
  expect(spreadNow.agents.map((a) => a.status)).toEqual(['started', 'unknown']);
  expect(onlyNow.agents[0]).toMatchObject({
    status: 'unknown',
    error: expect.stringMatching(/^agent 127\.0\.0\.12 is lost since .*no heartbeat for 4 s/),
  });
  expect(await agentOf(second.ip)).toMatchObject({ alive: false, reason: expect.stringMatching(/stopped answering/) });
  // What ran there still runs: only its LM is gone.
  expect((await containersOf(only.uuid, second.engine.docker)).map((c) => c.State)).toEqual(['running']);

  const terminate = await lm.api.delete(`/api/v2/lm/service-instances/${spread.uuid}?wait=true`);
  const incomplete = terminate.data.service_instance as ServiceInstance;
  expect(incomplete.agents.map((a) => a.status)).toEqual(['terminated', 'unknown']);
  expect(await containersOf(spread.uuid, machineEngine)).toHaveLength(0);
  expect(await containersOf(spread.uuid, second.engine.docker)).toHaveLength(1);

  await second.startLm();
  const [spreadEnd, onlyEnd] = await eventually(
    'both settle once the agent is back',
    async () => {
      const both = await Promise.all([getInstance(lm.api, spread.uuid), getInstance(lm.api, only.uuid)]);
      return both[0].status === 'terminated' && both[1].status === 'started' ? both : undefined;
    },
    60_000,
    250,
  ).catch(async (err: unknown) => {
    for (const uuid of [spread.uuid, only.uuid]) {
      const instance = await getInstance(lm.api, uuid);
      console.log(`${uuid} ${instance.status} ${JSON.stringify(instance.agents.map((a) => [a.url, a.status, a.error]))}`);
      for (const e of await timeline(uuid)) console.log(`  ${e.at} ${e.step} ${e.outcome} ${e.message}`);
    }
    throw err;
  });
  expect(spreadEnd.status).toBe('terminated');
  expect(onlyEnd.agents[0]).toMatchObject({ status: 'started', error: null });
  expect(Object.values(await onEngines(spread.uuid)).map((list) => list.length)).toEqual([0, 0, 0]);
  // Healed by whichever sees the agent first: its presence (`agent-back`, then an observation) or the sweep's
  // observation alone; both observe it.
  expect((await timeline(only.uuid)).map((e) => e.step)).toEqual(expect.arrayContaining(['agent-lost', 'observe']));
  await lm.api.delete(`/api/v2/lm/service-instances/${only.uuid}?wait=true`);
}, 180_000);

test('an agent whose dockerd stopped (its LM alive) reports the runtime unavailable, not itself lost, and keeps its instances', async () => {
  const [, third] = extra;
  const kept = await submit(lm.api, { name: 'kept', agents: [third.ip] });
  lm.made.push(kept.uuid);
  expect(kept.instance.status).toBe('started');
  await third.engine.stop();
  try {
    const down = await eventually(
      'docker unavailable on the third agent',
      async () => {
        const agent = await agentOf(third.ip);
        return agent.runtimes?.docker.available === false ? agent : undefined;
      },
      30_000,
      250,
    );
    expect(down).toMatchObject({ alive: true, reason: null, exec_types: [] });
    expect(down.runtimes?.docker.message).toMatch(/does not answer/);
    // Placement leaves it out, saying why.
    const { uuid, instance } = await submit(lm.api, {
      name: 'not-there',
      extra: { service: { name: 'not-there', exec: 'lm-test/busybox:latest', exec_type: 'docker', exec_ports: [], num_agents: 2 } },
    });
    lm.made.push(uuid);
    expect(instance.agents.map((a) => a.url)).not.toContain(third.ip);
    expect((await timeline(uuid)).find((e) => e.step === 'place' && e.agent === third.ip)?.message).toMatch(
      /does not offer docker: the Docker engine at unix:\/\/.* does not answer/,
    );
    await lm.api.delete(`/api/v2/lm/service-instances/${uuid}?wait=true`);
    // Its engine is away, not its LM: the instance there is not taken for lost.
    const keptNow = await getInstance(lm.api, kept.uuid);
    expect(keptNow.agents[0].status).not.toBe('unknown');
    expect(keptNow.agents[0].error ?? '').not.toMatch(/is lost/);
    expect((await timeline(kept.uuid)).map((e) => e.step)).not.toContain('agent-lost');
  } finally {
    await third.engine.start();
  }
  await eventually(
    'docker available again',
    async () => ((await agentOf(third.ip)).runtimes?.docker.available ? true : undefined),
    30_000,
    250,
  );
  // Its container outlived the engine's stop, and a terminate removes it from that engine.
  expect(await containersOf(kept.uuid, third.engine.docker)).toHaveLength(1);
  expect((await lm.api.delete(`/api/v2/lm/service-instances/${kept.uuid}?wait=true`)).data.service_instance.status).toBe('terminated');
  expect(await containersOf(kept.uuid, third.engine.docker)).toHaveLength(0);
}, 120_000);
