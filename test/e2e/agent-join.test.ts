/**
 * `scripts/start.sh agent` as a new user runs it on a second machine (here: another loopback IP, its own data
 * directory and ports): it joins the running LM's cluster, refuses when that cluster does not answer, and refuses
 * when a worker on another machine already serves the same agent queue (its poller identity names that machine).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { NativeConnection, Worker } from '@temporalio/worker';
import { freePort } from '../support/free-port';
import { eventually } from '../support/eventually';
import { startLm, type LmHarness } from '../support/lm-harness';
import { runStartScript } from '../support/start-script';
import { agentTaskQueue } from '../../workflows/model/task-queues';

let lm: LmHarness;
const dirs: string[] = [];
const base = `127.0.${(process.pid % 200) + 20}`;

beforeAll(async () => {
  lm = await startLm();
});

afterAll(async () => {
  await lm?.stop();
  for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true });
});

async function agentEnv(hostIp: string, extra: Record<string, string> = {}): Promise<NodeJS.ProcessEnv> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'lm-agent-join-'));
  dirs.push(dataDir);
  const env: NodeJS.ProcessEnv = { ...process.env };
  delete env.DOCKER_SOCKET;
  return {
    ...env,
    TEMPORAL_ADDRESS: lm.config.temporal.address,
    HOST_IP: hostIp,
    LM_PORT: String(await freePort()),
    LM_METRICS_ADDRESS: '',
    LM_DATA_DIR: dataDir,
    WORKING_DIR_VOLUME: path.join(dataDir, 'compose'),
    LM_WATCH_DOCKER_EVENTS: 'false',
    ...extra,
  };
}

test('an agent joins with one command: its API answers and the cluster lists it alive, as an agent', async () => {
  const ip = `${base}.201`;
  const env = await agentEnv(ip);
  const script = runStartScript(['agent'], env);
  try {
    await script.waitFor(`LM agent ${ip} is running`, 120_000);
    const agents = await eventually(
      'the cluster lists the agent',
      async () => {
        const list = await fetch(`http://127.0.0.1:${env.LM_PORT}/api/v2/lm/agents`).then(
          (r) => r.json() as Promise<{ agents: Array<{ ip: string; alive: boolean; role: string }> }>,
        );
        return list.agents.find((a) => a.ip === ip && a.alive) ? list.agents : undefined;
      },
      30_000,
    );
    expect(agents.find((a) => a.ip === ip)).toMatchObject({ alive: true, role: 'agent' });
    expect(agents.find((a) => a.ip === lm.config.hostIp)).toMatchObject({ alive: true, role: 'full' });
  } finally {
    await script.stop();
  }
  expect(script.output()).not.toMatch(/ERROR/);
}, 180_000);

test('without a cluster that answers, the agent refuses to start and says why', async () => {
  const script = runStartScript(['agent'], await agentEnv(`${base}.202`, { TEMPORAL_ADDRESS: `127.0.0.1:${await freePort()}` }));
  expect(await script.exited).toBe(1);
  expect(script.output()).toMatch(/cannot join the cluster: Temporal does not answer at 127\.0\.0\.1:\d+ \(TEMPORAL_ADDRESS\)/);
  const unset = runStartScript(['agent'], { ...(await agentEnv(`${base}.202`)), TEMPORAL_ADDRESS: '' });
  expect(await unset.exited).toBe(1);
  expect(unset.output()).toMatch(/scripts\/start\.sh agent joins an existing cluster: set TEMPORAL_ADDRESS/);
}, 120_000);

test('an agent queue another machine serves is refused, naming that machine', async () => {
  const ip = `${base}.203`;
  const connection = await NativeConnection.connect({ address: lm.config.temporal.address });
  // A real worker, as another machine's LM would run it: its identity names its host.
  const elsewhere = await Worker.create({
    connection,
    taskQueue: agentTaskQueue(ip),
    identity: `4242@another-machine lm-agent ${ip}`,
    activities: { observeWorkload: async () => 'started' },
  });
  const running = elsewhere.run();
  try {
    const script = runStartScript(['agent'], await agentEnv(ip));
    expect(await script.exited).toBe(1);
    expect(script.output()).toMatch(
      new RegExp(
        `another LM already serves agent ${ip.replace(/\./g, '\\.')} \\(task queue lm-agent-${ip.replace(/\./g, '\\.')}\\) from machine "another-machine"`,
      ),
    );
  } finally {
    elsewhere.shutdown();
    await running;
    await connection.close();
  }
}, 120_000);
