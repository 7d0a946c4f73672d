/**
 * Workload logs of an agent on another machine (real Temporal, real Docker, a real second LM): one instance on the
 * leader (in the test process, the machine's engine) and on an agent that joined with `scripts/start.sh agent`
 * (its own dockerd, its own loopback HOST_IP). Both APIs listen on one LM_PORT, each on its own address
 * (LM_API_ADDRESS), as on two machines; the leader reads the agent's container through the agent's LM, with the
 * internal token, which the agent's LM requires. An agent only a client named is never called; a known agent
 * whose LM does not answer is a notice, not a 500.
 */
import { spawn } from 'node:child_process';
import http from 'node:http';
import { internalLogsPath } from '../../api/logs/remote-logs';
import { getInstance, submit } from '../support/api-calls';
import { containersOf, docker as machineEngine } from '../support/docker-state';
import { eventually } from '../support/eventually';
import { removeExtraAgents, startExtraAgents, type ExtraAgent } from '../support/extra-agents';
import { freePort } from '../support/free-port';
import { startLm, type LmHarness } from '../support/lm-harness';
import { lmctlEnvironment, LMCTL_MAIN } from '../support/lm-process';
import { openNdjson } from '../support/ndjson-stream';
import { BUSYBOX_IMAGE, ensureLoggingImage } from '../support/test-images';
import type { LogLine, LogNotice, LogRecord } from '../../api/logs/log-records';

const TOKEN = 'remote-logs-internal-token';
/** The agent with an LM of its own; not an address other suites use. */
const AGENT = '127.0.0.31';
/** Named only by a client: something listens there, and must never be asked. */
const CLIENT_NAMED = '127.0.0.32';
/** Known to the leader (LM_PEER_AGENTS), but no LM answers there. */
const SILENT = '127.0.0.33';

let port: number;
let lm: LmHarness;
let extra: ExtraAgent[] = [];
let agent: ExtraAgent;
const apis: LmHarness[] = [];
let trap: http.Server;
const trapped: string[] = [];

beforeAll(async () => {
  const image = ensureLoggingImage();
  port = await freePort();
  lm = await startLm(
    { LM_PORT: String(port), LM_INTERNAL_TOKEN: TOKEN, LM_PEER_AGENTS: `${AGENT},${SILENT}` },
    { listenOnConfigPort: true },
  );
  extra = await startExtraAgents({
    temporalAddress: lm.config.temporal.address,
    ips: [AGENT],
    env: { LM_INTERNAL_TOKEN: TOKEN },
    images: [BUSYBOX_IMAGE, image],
    sharedApiPort: port,
  });
  [agent] = extra;
  trap = http.createServer((req, res) => {
    trapped.push(`${req.method} ${req.url} ${req.headers.authorization ?? '(no token)'}`);
    res
      .writeHead(200, { 'Content-Type': 'application/x-ndjson' })
      .end('{"kind":"line","source":"x","stream":"stdout","at":null,"line":"trap"}\n');
  });
  await new Promise<void>((resolve) => trap.listen(port, CLIENT_NAMED, resolve));
}, 300_000);

afterAll(async () => {
  await Promise.allSettled(apis.map((api) => api.stop()));
  await removeExtraAgents(extra);
  await lm?.stop();
  await new Promise<void>((resolve) => (trap ? trap.close(() => resolve()) : resolve()));
}, 120_000);

function parse(text: string): LogRecord[] {
  return text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as LogRecord);
}

async function logsFrom(harness: LmHarness, uuid: string, query: string): Promise<LogRecord[]> {
  const response = await harness.api.get(`/api/v2/lm/service-instances/${uuid}/logs${query}`, { responseType: 'text' });
  if (response.status !== 200) throw new Error(`GET logs: ${response.status} ${String(response.data)}`);
  return parse(response.data as string);
}

const lines = (records: LogRecord[]) => records.filter((r): r is LogLine => r.kind === 'line');
const notices = (records: LogRecord[]) => records.filter((r): r is LogNotice => r.kind === 'notice');

let uuid: string;

test('both APIs share LM_PORT, each on its own address, and the instance runs on both engines', async () => {
  expect(agent.apiUrl).toBe(`http://${AGENT}:${port}`);
  expect(lm.baseUrl).toBe(`http://127.0.0.1:${port}`);
  expect((await fetch(`${agent.apiUrl}/api/v2`)).status).toBe(200);
  await eventually(
    'the agent is alive',
    async () => {
      const response = await lm.api.get(`/api/v2/lm/agents/${AGENT}`);
      return response.status === 200 && response.data.agent.alive === true ? true : undefined;
    },
    60_000,
  );
  const submitted = await submit(lm.api, { image: ensureLoggingImage(), name: 'remote-logger', agents: [lm.config.hostIp, AGENT] });
  uuid = submitted.uuid;
  lm.made.push(uuid);
  expect(submitted.instance.status).toBe('started');
  // The agent's container is on its own engine only: the leader can read it through the agent's LM alone.
  expect((await containersOf(uuid, agent.engine.docker)).map((c) => c.Names[0])).toEqual([`/lm-${uuid}-1`]);
  expect((await containersOf(uuid, machineEngine)).map((c) => c.Names[0])).toEqual([`/lm-${uuid}-0`]);
}, 180_000);

test("?agent=<remote ip>: the remote container's lines, through its LM, tagged with agent and container", async () => {
  const records = await eventually(
    'the remote hello',
    async () => {
      const read = await logsFrom(lm, uuid, `?agent=${AGENT}&tail=50`);
      return lines(read).some((r) => r.line === 'hello from stdout') ? read : undefined;
    },
    30_000,
  );
  expect(notices(records)).toEqual([]);
  expect(records.at(-1)).toEqual({ kind: 'end', reason: 'all logged lines read' });
  for (const record of lines(records)) expect(record).toMatchObject({ agent: `${AGENT}#1`, source: `lm-${uuid}-1`, stream: 'combined' });
  expect(lines(records).filter((r) => /^tick \d+$/.test(r.line)).length).toBeGreaterThan(0);

  // Both agents at once: each line says where it came from.
  const both = await logsFrom(lm, uuid, '?tail=5');
  expect(notices(both)).toEqual([]);
  expect(new Set(lines(both).map((r) => `${r.agent} ${r.source}`))).toEqual(
    new Set([`${lm.config.hostIp}#0 lm-${uuid}-0`, `${AGENT}#1 lm-${uuid}-1`]),
  );
}, 60_000);

test("the agent's LM refuses its internal logs endpoint without the internal token, or with a wrong one", async () => {
  const url = `${agent.apiUrl}${internalLogsPath(uuid)}?agent_index=1&agent_url=${AGENT}&exec_type=docker&tail=5`;
  const missing = await fetch(url);
  expect(missing.status).toBe(401);
  expect(((await missing.json()) as { message: string }).message).toMatch(/LM_INTERNAL_TOKEN/);
  const wrong = await fetch(url, { headers: { Authorization: 'Bearer not-the-token' } });
  expect(wrong.status).toBe(401);
  const right = await fetch(url, { headers: { Authorization: `Bearer ${TOKEN}` } });
  expect(right.status).toBe(200);
  expect(lines(parse(await right.text())).length).toBeGreaterThan(0);

  // A leader with another token, and one that does not know the agent (so sends no token): a notice each, no 500.
  const wrongLeader = await startLm(
    { LM_PORT: String(port), LM_INTERNAL_TOKEN: 'another-token', LM_PEER_AGENTS: AGENT },
    { workers: false },
  );
  apis.push(wrongLeader);
  const refused = await logsFrom(wrongLeader, uuid, `?agent=${AGENT}`);
  expect(lines(refused)).toEqual([]);
  expect(notices(refused)).toEqual([
    { kind: 'notice', agent: `${AGENT}#1`, message: expect.stringMatching(new RegExp(`agent ${AGENT} answered 401`)) },
  ]);
  const stranger = await startLm({ LM_PORT: String(port), LM_INTERNAL_TOKEN: TOKEN }, { workers: false });
  apis.push(stranger);
  const untold = await logsFrom(stranger, uuid, `?agent=${AGENT}`);
  expect(lines(untold)).toEqual([]);
  expect(notices(untold)[0].message).toMatch(/answered 401: .*\(the internal token is sent only to agents CIMI or LM_PEER_AGENTS name\)/);
}, 120_000);

test('lmctl logs --agent prints the remote lines', async () => {
  const run = await new Promise<{ code: number | null; stdout: string }>((resolve) => {
    const child = spawn(process.execPath, [LMCTL_MAIN, 'logs', uuid.slice(0, 8), '--agent', AGENT, '--tail', '50'], {
      env: lmctlEnvironment({ LM_URL: lm.baseUrl }),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.on('close', (code) => resolve({ code, stdout }));
  });
  expect(run.code).toBe(0);
  expect(run.stdout).toMatch(new RegExp(`^${AGENT.replace(/\./g, '\\.')}#1 lm-${uuid}-1 \\| hello from stdout$`, 'm'));
  expect(run.stdout).not.toMatch(/#0 /);
}, 60_000);

test('follow gets the remote lines as they come and closes when the instance is terminated', async () => {
  const stream = await openNdjson<LogRecord>(lm.api, `/api/v2/lm/service-instances/${uuid}/logs?agent=${AGENT}&tail=0&follow=true`);
  try {
    expect(stream.status).toBe(200);
    await stream.waitFor((r) => r.kind === 'line' && r.agent === `${AGENT}#1` && /^tick \d+$/.test(r.line), 20_000);
    const terminated = await lm.api.delete(`/api/v2/lm/service-instances/${uuid}?wait=true`);
    expect(terminated.data.service_instance.status).toBe('terminated');
    const end = await stream.waitFor((r) => r.kind === 'end', 20_000);
    expect(end.kind === 'end' ? end.reason : end).toMatch(/the instance is terminated|every log of the workload ended/);
    await stream.closed;
  } finally {
    stream.close();
  }
}, 90_000);

test('an agent only a client named is never called; a known agent whose LM does not answer is a notice', async () => {
  const { uuid: pending } = await submit(lm.api, { name: 'nowhere', agents: [CLIENT_NAMED, SILENT], wait: false });
  lm.made.push(pending);
  await eventually(
    'its agents are listed',
    async () => ((await getInstance(lm.api, pending)).agents.length === 2 ? true : undefined),
    20_000,
  );
  const records = await logsFrom(lm, pending, '');
  expect(lines(records)).toEqual([]);
  const byAgent = Object.fromEntries(notices(records).map((r) => [r.agent, r.message]));
  expect(byAgent[`${CLIENT_NAMED}#0`]).toMatch(/neither known to this LM \(CIMI, LM_PEER_AGENTS\) nor joined to its cluster/);
  expect(byAgent[`${SILENT}#1`]).toMatch(new RegExp(`cannot reach the LM of agent ${SILENT} \\(http://${SILENT}:${port}/.*ECONNREFUSED`));
  expect(trapped).toEqual([]);
}, 60_000);
