/**
 * Agents are first-class: a full LM (in the test process) and an agent-role LM process on another loopback IP,
 * both on the run's real Temporal and the machine's Docker engine. `GET /api/v2/lm/agents` lists both with their
 * role, runtimes and load; an agent killed with SIGKILL is not alive within LM_AGENT_LOST_S (Temporal's heartbeat
 * timeout, no polling), and alive again once its LM is back; a live LM's heartbeats leave room for late ones.
 */
import { agentWorkflowId } from '../../workflows/model/agents';
import { submit } from '../support/api-calls';
import { eventually } from '../support/eventually';
import { startLm, type LmHarness } from '../support/lm-harness';
import { startWorkerProcess, type LmProcess } from '../support/lm-process';

interface AgentBody {
  ip: string;
  alive: boolean;
  role: string | null;
  reason: string | null;
  last_seen: string | null;
  runtimes: { docker: { available: boolean; message: string } } | null;
  exec_types: string[];
  instance_count: number;
  agent_count: number;
  lm: { identity: string; pid: number } | null;
}

const LOST_S = 3;
// An IP of its own per run: no other suite's LM serves it.
const AGENT_IP = `127.0.${(process.pid % 200) + 20}.${Math.floor(Math.random() * 200) + 20}`;
let lm: LmHarness;
let agent: LmProcess | null = null;

const agentEnv = () => ({
  TEMPORAL_ADDRESS: lm.config.temporal.address,
  HOST_IP: AGENT_IP,
  LM_ROLE: 'agent',
  LM_AGENT_LOST_S: String(LOST_S),
  STANDALONE_MODE: 'True',
});

beforeAll(async () => {
  lm = await startLm({ LM_AGENT_LOST_S: String(LOST_S) });
});

afterAll(async () => {
  await agent?.kill('SIGTERM');
  await lm?.stop();
});

async function agentOf(ip: string): Promise<AgentBody | undefined> {
  const list = await lm.api.get('/api/v2/lm/agents');
  expect(list.status).toBe(200);
  return (list.data.agents as AgentBody[]).find((a) => a.ip === ip);
}

test('the agents endpoint lists the full LM and an agent that joined, with role, runtimes and load', async () => {
  agent = startWorkerProcess(agentEnv());
  const joined = await eventually(
    'the agent is alive',
    async () => {
      const found = await agentOf(AGENT_IP);
      return found?.alive ? found : undefined;
    },
    30_000,
    250,
  ).catch((err: Error) => {
    throw new Error(`${err.message}\n${agent?.output()}`);
  });
  expect(joined).toMatchObject({ role: 'agent', reason: null, exec_types: expect.arrayContaining(['docker', 'compss']) });
  expect(joined.runtimes?.docker.available).toBe(true);
  expect(joined.lm?.pid).toBe(agent.process.pid);
  expect(joined.lm?.identity).toMatch(new RegExp(`^${agent.process.pid}@\\S+ lm-agent ${AGENT_IP.replace(/\./g, '\\.')}$`));
  expect(Date.now() - Date.parse(joined.last_seen ?? '')).toBeLessThan(30_000);
  const local = await agentOf(lm.config.hostIp);
  expect(local).toMatchObject({ alive: true, role: 'full' });

  const { uuid } = await submit(lm.api, { agents: [AGENT_IP, AGENT_IP] });
  lm.made.push(uuid);
  // The endpoint reads the instances' memos from Temporal's visibility, which follows the workflow within moments.
  const detail = await eventually(
    'the agent lists the instance started',
    async () => {
      const answer = await lm.api.get(`/api/v2/lm/agents/${AGENT_IP}`);
      return answer.status !== 200 || answer.data.agent?.instances?.[0]?.status === 'started' ? answer : undefined;
    },
    10_000,
    100,
  );
  expect(detail.status).toBe(200);
  expect(detail.data.agent).toMatchObject({ ip: AGENT_IP, alive: true, instance_count: 1, agent_count: 2 });
  expect(detail.data.agent.instances).toEqual([
    {
      id: `service-instance/${uuid}`,
      status: 'started',
      agents: [expect.objectContaining({ index: 0, status: 'started' }), expect.objectContaining({ index: 1, status: 'started' })],
    },
  ]);
  await lm.api.delete(`/api/v2/lm/service-instances/${uuid}?wait=true`);
}, 90_000);

test('the LM heartbeats its presence check at least every half of LM_AGENT_LOST_S, so a late one does not lose it', async () => {
  // Where Temporal sees them: the presence check's last heartbeat, read every 100 ms for three LOST_S.
  const handle = lm.client.workflow.getHandle(agentWorkflowId(lm.config.hostIp));
  const seen: number[] = [];
  const until = Date.now() + 3 * LOST_S * 1000;
  while (Date.now() < until) {
    const { raw } = await handle.describe();
    const at = raw.pendingActivities?.[0]?.lastHeartbeatTime;
    const ms = at ? Number(at.seconds ?? 0) * 1000 + Math.floor((at.nanos ?? 0) / 1e6) : null;
    if (ms !== null && ms !== seen[seen.length - 1]) seen.push(ms);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const gaps = seen.slice(1).map((ms, i) => ms - seen[i]);
  expect(gaps.length).toBeGreaterThanOrEqual(4);
  // The SDK alone would send them every 0.8 × LOST_S, leaving a fifth of it for a busy server or process.
  expect(Math.max(...gaps)).toBeLessThanOrEqual((LOST_S * 1000) / 2);
}, 30_000);

test('a malformed ip is a 400 and an agent nobody knows a 404', async () => {
  const bad = await lm.api.get('/api/v2/lm/agents/bad%20ip!');
  expect(bad.status).toBe(400);
  expect(bad.data).toMatchObject({ error: true, message: expect.stringMatching(/agent_ip must be an IP address or a host name/) });
  const unknown = await lm.api.get('/api/v2/lm/agents/127.250.250.250');
  expect(unknown.status).toBe(404);
  expect(unknown.data.message).toMatch(/not known to the cluster/);
});

test('an agent whose LM is SIGKILLed is not alive within LM_AGENT_LOST_S, and alive again once it is back', async () => {
  await agent?.kill('SIGKILL');
  const killedAt = Date.now();
  const lost = await eventually(
    'the agent is lost',
    async () => {
      const found = await agentOf(AGENT_IP);
      return found && !found.alive ? found : undefined;
    },
    30_000,
    250,
  );
  // Heartbeat timeout plus a moment for the workflow task and the API's read.
  expect(Date.now() - killedAt).toBeLessThan((LOST_S + 5) * 1000);
  expect(lost.reason).toMatch(/stopped answering: no heartbeat for 3 s|took its presence check/);
  expect(lost.exec_types).toEqual([]);

  agent = startWorkerProcess(agentEnv());
  const back = await eventually(
    'the agent is back',
    async () => {
      const found = await agentOf(AGENT_IP);
      return found?.alive ? found : undefined;
    },
    30_000,
    250,
  );
  expect(back.lm?.pid).toBe(agent.process.pid);
}, 90_000);

test('an agent whose LM stops (SIGTERM) reports itself stopping at once, not lost', async () => {
  // At once after the LM came back: its first check has answered and the next one may not be taken yet, so no
  // running check reports the stop; the LM tells its presence workflow itself.
  const pid = agent?.process.pid;
  await eventually(
    'the LM that came back is alive',
    async () => {
      const found = await agentOf(AGENT_IP);
      return found?.alive && found.lm?.pid === pid ? true : undefined;
    },
    10_000,
    50,
  );
  await agent?.kill('SIGTERM');
  const stopped = await eventually(
    'the agent says it stopped',
    async () => {
      const found = await agentOf(AGENT_IP);
      return found && !found.alive ? found : undefined;
    },
    5_000,
    100,
  );
  expect(stopped).toMatchObject({
    alive: false,
    reason: expect.stringMatching(/^its LM stopped at .*counts as lost if it is not back within 3 s/),
  });
  agent = null;
}, 30_000);
