/**
 * bench/api-latency: the API's reads with N live instances (default 1,000), loaded by `wrk` from its own process with
 * C connections (default 50): GET of one instance (random ids), a listing page of 50 without and with a filter, and a
 * timeline (random ids). The baseline is a route of the same API process, behind the same middleware, answering
 * the same JSON from memory. Each scenario runs baseline, LM, LM, baseline (A-B-B-A) and prints p50/p99/rps and the
 * ratios. Once on the SQLite read model and once on PostgreSQL (LM_BENCH_DATABASE_URL: scripts/bench.sh starts one).
 * Afterwards it counts WorkflowTaskTimedOut / WorkflowTaskFailed events in the histories of every instance it made.
 * Usage: node .build/bench/api-latency.js [N=1000] [D=10 seconds per run] [C=50] [stores=sqlite,postgres]
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { Client as PgClient } from 'pg';
import { uuidOf } from '../workflows/model/instance';
import { freePort } from '../test/support/free-port';
import { runBench, startBenchStack, workflowTaskProblems, type BenchStack } from './bench-support';

const run = promisify(execFile);

interface WrkResult {
  p50: number;
  p99: number;
  rps: number;
  errors: number;
}

interface Scenario {
  name: string;
  /** Paths the LM answers (one picked at random per request). */
  lm: string[];
  /** The baseline's name for the same JSON. */
  baseline: string;
}

/** A wrk Lua script: random paths, and a JSON line with the latency percentiles (µs) at the end. */
function wrkScript(paths: string[]): string {
  return [
    `local paths = { ${paths.map((p) => JSON.stringify(p)).join(', ')} }`,
    'math.randomseed(os.time())',
    'request = function() return wrk.format("GET", paths[math.random(#paths)]) end',
    'done = function(summary, latency, requests)',
    '  local e = summary.errors',
    '  io.write(string.format("WRK {\\"p50\\":%d,\\"p99\\":%d,\\"requests\\":%d,\\"duration\\":%d,\\"errors\\":%d}\\n",',
    '    latency:percentile(50), latency:percentile(99), summary.requests, summary.duration, e.connect + e.read + e.write + e.timeout + e.status))',
    'end',
  ].join('\n');
}

async function wrk(baseUrl: string, paths: string[], connections: number, seconds: number, dir: string): Promise<WrkResult> {
  const script = path.join(dir, `wrk-${Math.random().toString(36).slice(2)}.lua`);
  fs.writeFileSync(script, wrkScript(paths));
  const { stdout } = await run(
    'wrk',
    ['-t', '2', '-c', String(connections), '-d', `${seconds}s`, '--timeout', '10s', '-s', script, baseUrl],
    { maxBuffer: 1 << 24 },
  );
  const line = stdout.split('\n').find((l) => l.startsWith('WRK '));
  if (line === undefined) throw new Error(`wrk printed no result:\n${stdout}`);
  const r = JSON.parse(line.slice(4)) as { p50: number; p99: number; requests: number; duration: number; errors: number };
  return { p50: r.p50 / 1000, p99: r.p99 / 1000, rps: r.requests / (r.duration / 1e6), errors: r.errors };
}

function mean(a: WrkResult, b: WrkResult): WrkResult {
  return { p50: (a.p50 + b.p50) / 2, p99: (a.p99 + b.p99) / 2, rps: (a.rps + b.rps) / 2, errors: a.errors + b.errors };
}

async function startApiProcess(
  env: Record<string, string>,
  baselineFile: string,
  dir: string,
): Promise<{ url: string; child: ChildProcess }> {
  const port = await freePort();
  const log = fs.openSync(path.join(dir, 'api.log'), 'a');
  const child = spawn(process.execPath, [path.join(__dirname, 'api-server.js'), baselineFile], {
    env: { ...process.env, ...env, LM_PORT: String(port) },
    stdio: ['ignore', log, log],
  });
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 200; i += 1) {
    try {
      if ((await fetch(`${url}/api/v2`)).ok) return { url, child };
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`the API process did not answer; see ${path.join(dir, 'api.log')}`);
}

/** Submits `count` instances on an agent nobody serves (they settle at once in `error`; no container is needed). */
async function makeInstances(stack: BenchStack, count: number): Promise<string[]> {
  const uuids: string[] = [];
  const batch = 25;
  for (let i = 0; i < count; i += batch) {
    const answers = await Promise.all(
      Array.from({ length: Math.min(batch, count - i) }, (_, j) =>
        stack.lm.api.post('/api/v2/lm/service', {
          agents_list: [{ agent_ip: '10.255.255.1' }],
          user_id: `user-${(i + j) % 10}`,
          service: { name: `latency-${(i + j) % 20}`, exec: 'lm-test/busybox:latest', exec_type: 'docker' },
        }),
      ),
    );
    for (const answer of answers) {
      if (answer.status !== 200) throw new Error(`submit answered ${answer.status}: ${JSON.stringify(answer.data)}`);
      uuids.push(uuidOf(answer.data.service_instance.id as string));
    }
  }
  // Settled: every instance in the read model with its final status.
  for (const start = Date.now(); ;) {
    const counts = await stack.lm.readModel.countByStatus();
    const settled = counts.filter((c) => c.status === 'error').reduce((n, c) => n + c.count, 0);
    if (settled >= count) break;
    if (Date.now() - start > 15 * 60_000) throw new Error(`only ${settled} of ${count} instances settled`);
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
  return uuids;
}

function row(label: string, r: WrkResult): string {
  return `  ${label.padEnd(40)} p50 ${r.p50.toFixed(2).padStart(7)} ms  p99 ${r.p99.toFixed(2).padStart(7)} ms  ${r.rps.toFixed(0).padStart(6)} req/s${r.errors ? `  ${r.errors} errors` : ''}`;
}

interface Measured {
  store: string;
  scenario: string;
  lm: WrkResult;
  baseline: WrkResult;
}

async function benchStore(store: 'sqlite' | 'postgres', count: number, seconds: number, connections: number): Promise<Measured[]> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `lm-bench-api-${store}-`));
  let readModelEnv: Record<string, string> = { LM_DATA_DIR: dir };
  let dropDatabase = async () => undefined as void;
  if (store === 'postgres') {
    const admin = process.env.LM_BENCH_DATABASE_URL;
    if (!admin) throw new Error('LM_BENCH_DATABASE_URL is not set: run scripts/bench.sh api-latency, which starts PostgreSQL');
    const name = `lm_bench_${Date.now()}`;
    const client = new PgClient({ connectionString: admin });
    await client.connect();
    await client.query(`CREATE DATABASE ${name}`);
    await client.end();
    const url = new URL(admin);
    url.pathname = `/${name}`;
    readModelEnv = { LM_DATABASE_URL: url.toString() };
    dropDatabase = async () => {
      const c = new PgClient({ connectionString: admin });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
    };
  }
  const env = { LM_AGENT_TIMEOUT_S: '1', ...readModelEnv };
  const stack = await startBenchStack(env);
  let api: ChildProcess | null = null;
  try {
    const started = Date.now();
    const uuids = await makeInstances(stack, count);
    console.log(`[${store}] ${count} instances settled in ${((Date.now() - started) / 1000).toFixed(0)} s`);

    const lm = stack.lm.api;
    const sample = uuids[0];
    const baseline = {
      one: (await lm.get(`/api/v2/lm/service-instances/${sample}`)).data as unknown,
      page: (await lm.get('/api/v2/lm/service-instances/all?page_size=50&status=error')).data as unknown,
      filtered: (await lm.get('/api/v2/lm/service-instances/all?page_size=50&user=user-3&service=latency-3')).data as unknown,
      timeline: (await lm.get(`/api/v2/lm/service-instances/${sample}/timeline`)).data as unknown,
    };
    const baselineFile = path.join(dir, 'baseline.json');
    fs.writeFileSync(baselineFile, JSON.stringify(baseline));
    const server = await startApiProcess({ TEMPORAL_ADDRESS: stack.server.address, ...env }, baselineFile, dir);
    api = server.child;

    const picks = uuids.slice(0, 1000);
    const scenarios: Scenario[] = [
      { name: 'GET one instance (random ids)', lm: picks.map((u) => `/api/v2/lm/service-instances/${u}`), baseline: 'one' },
      { name: 'list page of 50', lm: ['/api/v2/lm/service-instances/all?page_size=50&status=error'], baseline: 'page' },
      {
        name: 'list page of 50, user+service filter',
        lm: ['/api/v2/lm/service-instances/all?page_size=50&user=user-3&service=latency-3'],
        baseline: 'filtered',
      },
      { name: 'timeline (random ids)', lm: picks.map((u) => `/api/v2/lm/service-instances/${u}/timeline`), baseline: 'timeline' },
    ];
    const measured: Measured[] = [];
    console.log(`[${store}] wrk, ${connections} connections, ${seconds} s a run, A-B-B-A (baseline, LM, LM, baseline)`);
    for (const scenario of scenarios) {
      const basePaths = [`/bench/baseline/${scenario.baseline}`];
      const a1 = await wrk(server.url, basePaths, connections, seconds, dir);
      const b1 = await wrk(server.url, scenario.lm, connections, seconds, dir);
      const b2 = await wrk(server.url, scenario.lm, connections, seconds, dir);
      const a2 = await wrk(server.url, basePaths, connections, seconds, dir);
      const base = mean(a1, a2);
      const lmResult = mean(b1, b2);
      measured.push({ store, scenario: scenario.name, lm: lmResult, baseline: base });
      console.log(`  ${scenario.name}`);
      console.log(row('baseline (same app, JSON from memory)', base));
      console.log(row(`LM (${store} read model)`, lmResult));
      console.log(
        `  ratio p50 ${(lmResult.p50 / base.p50).toFixed(2)}x  p99 ${(lmResult.p99 / base.p99).toFixed(2)}x  throughput ${(lmResult.rps / base.rps).toFixed(2)}x`,
      );
    }
    const problems = await workflowTaskProblems(stack, uuids);
    console.log(`[${store}] workflow tasks timed out or failed in the ${uuids.length} histories: ${problems}`);
    measured.push({
      store,
      scenario: 'workflow task problems',
      lm: { p50: problems, p99: problems, rps: 0, errors: 0 },
      baseline: { p50: 0, p99: 0, rps: 0, errors: 0 },
    });
    return measured;
  } finally {
    api?.kill('SIGTERM');
    await stack.stop();
    await dropDatabase();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

function targets(results: Measured[]): void {
  console.log('\nmeasure                                          store      now         goal                      met');
  for (const r of results) {
    if (r.scenario === 'workflow task problems') {
      console.log(
        `  ${'workflow tasks timed out during the read bench'.padEnd(46)} ${r.store.padEnd(9)} ${String(r.lm.p50).padEnd(11)} 0                         ${r.lm.p50 === 0 ? 'yes' : 'NO'}`,
      );
      continue;
    }
    const ratio = r.lm.p99 / r.baseline.p99;
    if (r.scenario.startsWith('GET one')) {
      const met = r.lm.p99 <= 20 && ratio <= 3;
      console.log(
        `  ${'GET one, p99 (and ÷ baseline p99)'.padEnd(46)} ${r.store.padEnd(9)} ${`${r.lm.p99.toFixed(1)} ms (${ratio.toFixed(2)}x)`.padEnd(11)} ≤ 20 ms, ≤ 3x              ${met ? 'yes' : 'NO'}`,
      );
    } else if (r.scenario.startsWith('list')) {
      console.log(
        `  ${`${r.scenario}, p99`.padEnd(46)} ${r.store.padEnd(9)} ${`${r.lm.p99.toFixed(1)} ms`.padEnd(11)} ≤ 50 ms                   ${r.lm.p99 <= 50 ? 'yes' : 'NO'}`,
      );
    } else {
      console.log(
        `  ${`${r.scenario}, p99`.padEnd(46)} ${r.store.padEnd(9)} ${`${r.lm.p99.toFixed(1)} ms (${ratio.toFixed(2)}x)`.padEnd(11)} (no goal)`,
      );
    }
  }
}

async function main(): Promise<void> {
  const count = Number(process.argv[2] ?? 1000);
  const seconds = Number(process.argv[3] ?? 10);
  const connections = Number(process.argv[4] ?? 50);
  const stores = (process.argv[5] ?? 'sqlite,postgres').split(',') as Array<'sqlite' | 'postgres'>;
  const results: Measured[] = [];
  for (const store of stores) results.push(...(await benchStore(store, count, seconds, connections)));
  console.log(`\nbench/api-latency on ${os.cpus().length} cores (${os.cpus()[0]?.model ?? 'unknown CPU'}), ${count} live instances`);
  targets(results);
}

runBench(main);
