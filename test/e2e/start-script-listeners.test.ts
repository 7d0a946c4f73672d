/**
 * The README's first command as a new user runs it (`scripts/start.sh`, here with its own data directory and free
 * ports so it cannot collide with another run): only the API listens beyond loopback — the embedded Temporal
 * (gRPC, Web UI, internal ports) and the worker's metrics have no authentication. Logs of an earlier run survive.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { eventually } from '../support/eventually';
import { freePort } from '../support/free-port';
import { isLoopback, listenersOf } from '../support/listening-sockets';
import { PROJECT_ROOT, temporalBinary } from '../support/temporal-binary';

const TOKEN = 'start-script-test-token';
let dataDir: string;
let script: ChildProcess | null = null;
let output = '';
const ports = { api: 0, temporal: 0, ui: 0, metrics: 0 };
const EARLIER_LINE = '{"msg":"a line from an earlier run"}';

beforeAll(async () => {
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'lm-start-'));
  fs.mkdirSync(path.join(dataDir, 'logs'));
  fs.writeFileSync(path.join(dataDir, 'logs', 'worker.log'), `${EARLIER_LINE}\n`);
  for (const key of Object.keys(ports) as Array<keyof typeof ports>) ports[key] = await freePort();
  const env: NodeJS.ProcessEnv = { ...process.env };
  delete env.TEMPORAL_ADDRESS;
  delete env.LM_BIND_ADDRESS;
  delete env.LM_METRICS_ADDRESS;
  script = spawn('bash', [path.join(PROJECT_ROOT, 'scripts', 'start.sh')], {
    env: {
      ...env,
      TEMPORAL_CLI_PATH: temporalBinary(),
      LM_DATA_DIR: dataDir,
      LM_PORT: String(ports.api),
      LM_TEMPORAL_PORT: String(ports.temporal),
      LM_TEMPORAL_UI_PORT: String(ports.ui),
      LM_METRICS_PORT: String(ports.metrics),
      WORKING_DIR_VOLUME: path.join(dataDir, 'compose'),
      LM_API_TOKEN: TOKEN,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const keep = (chunk: Buffer) => (output = (output + chunk.toString()).slice(-20_000));
  script.stdout?.on('data', keep);
  script.stderr?.on('data', keep);
  await eventually(
    'start.sh says the LM is running',
    async () => (output.includes('Lifecycle Manager is running') ? true : undefined),
    170_000,
    500,
  ).catch((err: unknown) => {
    throw new Error(`${String(err)}\n--- start.sh output:\n${output}`);
  });
}, 180_000);

afterAll(async () => {
  if (script !== null && script.exitCode === null) {
    const exited = new Promise((resolve) => script?.once('exit', resolve));
    script.kill('SIGTERM');
    await exited;
  }
  fs.rmSync(dataDir, { recursive: true, force: true });
}, 60_000);

test('after scripts/start.sh only the API port listens beyond loopback', () => {
  const listeners = listenersOf(script?.pid as number);
  const wide = listeners.filter((l) => !isLoopback(l.address));
  const describe = (list: typeof listeners) => list.map((l) => `${l.address}:${l.port} (pid ${l.pid})`).join(', ');
  // The check must see the sockets it is about: Temporal, its Web UI, the metrics and the API are all there.
  const seen = new Set(listeners.map((l) => l.port));
  for (const [what, port] of Object.entries(ports)) expect({ what, listening: seen.has(port) }).toEqual({ what, listening: true });
  expect({ beyondLoopback: describe(wide.filter((l) => l.port !== ports.api)) }).toEqual({ beyondLoopback: '' });
  expect(wide.some((l) => l.port === ports.api)).toBe(true);
});

test('the API answers with the token only, and the log of an earlier run is still there', async () => {
  const base = `http://127.0.0.1:${ports.api}/api/v2`;
  expect((await fetch(base)).status).toBe(401);
  expect((await fetch(base, { headers: { Authorization: `Bearer ${TOKEN}` } })).status).toBe(200);
  expect(fs.readFileSync(path.join(dataDir, 'logs', 'worker.log'), 'utf8').startsWith(EARLIER_LINE)).toBe(true);
});
