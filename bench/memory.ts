/**
 * bench/memory: what idle instances cost. At each level of live instances (default 0, 1,000, 5,000, made in
 * turn) it waits for them to settle, then measures over one full sweep interval the worker's resident memory and
 * the CPU of the worker, the Temporal dev server and the API (this process): the KiB per instance is the slope of
 * the worker's RSS over the levels, the CPU per 1,000 idle instances the slope of the CPU. The instances target an
 * agent no worker serves (no container is made): they settle to `error` and live on as open workflows waiting
 * for operations, with no timer of their own, which is what an idle instance costs the orchestration side.
 * Usage: node .build/bench/memory.js [levels=0,1000,5000] [sweep interval s=60]
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import { startWorkerProcess } from '../test/support/lm-process';
import { rssMiB, runBench, startBenchStack, type BenchStack } from './bench-support';

const UNSERVED_AGENT = '10.255.255.1';
const BATCH = 50;
const TICKS_PER_S = Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;

/** CPU seconds a process has used (user + system), from /proc. */
function cpuSeconds(pid: number): number {
  const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_S;
}

async function submitUpTo(stack: BenchStack, from: number, to: number): Promise<void> {
  for (let done = from; done < to; done += BATCH) {
    const batch = Math.min(BATCH, to - done);
    const responses = await Promise.all(
      Array.from({ length: batch }, (_, i) =>
        stack.lm.api.post('/api/v2/lm/service', {
          user_id: 'bench-memory',
          agents_list: [{ agent_ip: UNSERVED_AGENT }],
          service: { name: `mem-${done + i}`, exec: 'lm-test/busybox:latest', exec_type: 'docker' },
        }),
      ),
    );
    const failed = responses.find((r) => r.status !== 200);
    if (failed) throw new Error(`submit failed: ${failed.status} ${JSON.stringify(failed.data)}`);
  }
  for (;;) {
    const page = await stack.lm.api.get('/api/v2/lm/service-instances/all?user=bench-memory&status=error&page_size=1');
    if (page.data.count >= to) return;
    await new Promise((resolve) => setTimeout(resolve, 1_000));
  }
}

/** Least-squares slope of y over x. */
function slope(xs: number[], ys: number[]): number {
  const mx = xs.reduce((a, b) => a + b, 0) / xs.length;
  const my = ys.reduce((a, b) => a + b, 0) / ys.length;
  const num = xs.reduce((sum, x, i) => sum + (x - mx) * (ys[i] - my), 0);
  const den = xs.reduce((sum, x) => sum + (x - mx) ** 2, 0);
  return den === 0 ? 0 : num / den;
}

interface Level {
  n: number;
  workerMiB: number;
  temporalMiB: number;
  /** Share of one core over the window, each. */
  workerCpu: number;
  temporalCpu: number;
  apiCpu: number;
}

async function main(): Promise<void> {
  const levels = (process.argv[2] ?? '0,1000,5000').split(',').map(Number);
  const intervalS = Number(process.argv[3] ?? 60);
  const env = { LM_AGENT_TIMEOUT_S: '1', LM_SWEEP_INTERVAL_S: String(intervalS) };
  const stack = await startBenchStack(env, { workers: false });
  const worker = startWorkerProcess({
    TEMPORAL_ADDRESS: stack.server.address,
    HOST_IP: stack.lm.config.hostIp,
    LM_WATCH_DOCKER_EVENTS: 'true',
    ...env,
  });
  const pid = worker.process.pid ?? 0;
  const temporalPid = stack.server.process.pid ?? 0;
  const measured: Level[] = [];
  let made = 0;
  try {
    for (const n of levels) {
      await submitUpTo(stack, made, n);
      made = Math.max(made, n);
      // Let the creation burst's evictions and GC settle before the window.
      await new Promise((resolve) => setTimeout(resolve, 5_000));
      const before = { worker: cpuSeconds(pid), temporal: cpuSeconds(temporalPid), api: process.cpuUsage() };
      await new Promise((resolve) => setTimeout(resolve, intervalS * 1000));
      const api = process.cpuUsage(before.api);
      measured.push({
        n,
        workerMiB: rssMiB(pid),
        temporalMiB: rssMiB(temporalPid),
        workerCpu: (cpuSeconds(pid) - before.worker) / intervalS,
        temporalCpu: (cpuSeconds(temporalPid) - before.temporal) / intervalS,
        apiCpu: (api.user + api.system) / 1e6 / intervalS,
      });
    }
  } finally {
    await worker.kill('SIGTERM');
    await stack.stop();
  }
  const pct = (share: number): string => `${(share * 100).toFixed(2)} %`;
  console.log(
    `bench/memory  levels ${levels.join(', ')}  window = sweep interval ${intervalS} s  (${os.cpus().length} cores, load ${os.loadavg()[0].toFixed(1)})`,
  );
  console.log('| live idle instances | worker RSS | Temporal RSS | CPU worker / Temporal / API (of one core) | CPU total |');
  console.log('|---|---|---|---|---|');
  for (const l of measured) {
    console.log(
      `| ${l.n} | ${l.workerMiB.toFixed(0)} MiB | ${l.temporalMiB.toFixed(0)} MiB | ${pct(l.workerCpu)} / ${pct(l.temporalCpu)} / ${pct(l.apiCpu)} | ${pct(l.workerCpu + l.temporalCpu + l.apiCpu)} |`,
    );
  }
  const ns = measured.map((l) => l.n);
  const kib = slope(
    ns,
    measured.map((l) => l.workerMiB * 1024),
  );
  const cpuPer1000 =
    slope(
      ns,
      measured.map((l) => l.workerCpu + l.temporalCpu + l.apiCpu),
    ) * 1000;
  console.log(
    `worker KiB per instance (slope): ${kib.toFixed(1)}; Temporal KiB per instance: ${slope(
      ns,
      measured.map((l) => l.temporalMiB * 1024),
    ).toFixed(1)}`,
  );
  console.log(`CPU per 1,000 idle instances (slope, worker + Temporal + API): ${pct(cpuPer1000)} of a core`);
  console.log(
    `instances within 1.5 GB of worker RSS at that slope: ${kib > 0 ? Math.floor(((1536 - (measured[0]?.workerMiB ?? 0)) * 1024) / kib) : 'unbounded'}`,
  );
}

runBench(main);
