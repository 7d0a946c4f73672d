/**
 * bench/deploy: for each N, submit N instances at once through the LM and time until all are `started`; in the same
 * run, create and start the same N containers directly through the Docker API, in A-B-B-A order (direct, LM, LM,
 * direct) so that a machine getting busier or quieter moves both alike. Prints the ratio, the LM's cost per
 * instance over the raw create+start at N=1, where each instance's time went (from its workflow history; the median
 * over the LM runs of each run's median over its instances), how the submissions spread, and the
 * workflow tasks that timed out or failed (goal 0).
 * Usage (after npm run build && npm run build:dev): node .build/bench/deploy.js [Ns=1,20,100] [rounds=1]
 * — or scripts/bench.sh deploy. LM_MIN_RUN_MS in the environment is passed to the LM (default: the LM's own).
 */
import os from 'node:os';
import Docker from 'dockerode';
import type { LmHarness } from '../test/support/lm-harness';
import { ensureBusyboxImage } from '../test/support/test-images';
import { removeContainersOf } from '../test/support/docker-state';
import { instanceIdOf, uuidOf } from '../workflows/model/instance';
import { loadConfig } from '../common/config';
import {
  median,
  phaseBreakdown,
  runBench,
  startBenchStack,
  submitSpread,
  type SubmitSpread,
  workflowTaskProblems,
  type BenchStack,
  type PhaseBreakdown,
} from './bench-support';

const docker = new Docker({ socketPath: '/var/run/docker.sock' });
const BENCH_LABEL = 'lm.bench';

const seconds = (ms: number): string => (ms / 1000).toFixed(2);

/** The baseline: what the LM does per agent (create with a published port and its restart policy, start), straight to Docker. */
async function directDeploy(n: number, image: string): Promise<number> {
  const started = Date.now();
  await Promise.all(
    Array.from({ length: n }, async (_, i) => {
      const container = await docker.createContainer({
        name: `lm-bench-direct-${process.pid}-${i}`,
        Image: image,
        Tty: true,
        Labels: { [BENCH_LABEL]: `direct-${process.pid}` },
        ExposedPorts: { '80/tcp': {} },
        HostConfig: { PortBindings: { '80/tcp': [{ HostPort: String(30001 + i) }] }, RestartPolicy: { Name: 'unless-stopped' } },
      });
      await container.start();
    }),
  );
  const elapsed = Date.now() - started;
  const made = await docker.listContainers({ all: true, filters: { label: [`${BENCH_LABEL}=direct-${process.pid}`] } });
  await Promise.all(made.map((c) => docker.getContainer(c.Id).remove({ force: true })));
  return elapsed;
}

let round = 0;

/** Polls the listing (the read model), not each instance. Returns the time and the instances, left running. */
async function lmDeploy(lm: LmHarness, n: number, image: string): Promise<{ ms: number; uuids: string[]; sentAt: number; seenAt: number }> {
  round += 1;
  const user = `bench-${process.pid}-${round}`;
  const started = Date.now();
  const responses = await Promise.all(
    Array.from({ length: n }, (_, i) =>
      lm.api.post('/api/v2/lm/service', {
        user_id: user,
        service: { name: `bench-${i}`, exec: image, exec_type: 'docker', exec_ports: [80] },
      }),
    ),
  );
  const uuids = responses.map((r) => {
    if (r.status !== 200) throw new Error(`submit failed: ${r.status} ${JSON.stringify(r.data)}`);
    return uuidOf(r.data.service_instance.id as string);
  });
  for (;;) {
    const page = await lm.api.get(`/api/v2/lm/service-instances/all?user=${user}&status=started,error,degraded&page_size=1000`);
    const instances = page.data.service_instances as Array<{ status: string; error: string | null }>;
    const failed = instances.find((i) => i.status !== 'started');
    if (failed) throw new Error(`an instance ended ${failed.status}: ${failed.error}`);
    if (instances.length === n) break;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  const seenAt = Date.now();
  return { ms: seenAt - started, uuids, sentAt: started, seenAt };
}

/** Ends what a round made without loading the LM: the workflows (no workflow code runs), then their containers. */
async function cleanUp(stack: BenchStack, uuids: string[]): Promise<void> {
  // In this order: a container removed under a live instance would have the agent's sweep wake it.
  await Promise.allSettled(uuids.map((uuid) => stack.lm.client.workflow.getHandle(instanceIdOf(uuid)).terminate('bench round over')));
  await removeContainersOf(uuids);
}

interface Measured {
  n: number;
  direct: number[];
  lm: number[];
  phases: PhaseBreakdown;
  spread: SubmitSpread;
  taskProblems: number;
}

/** The median over the LM runs of each field. */
function medianOf<T extends object>(runs: T[]): T {
  const keys = Object.keys(runs[0]) as Array<keyof T>;
  return Object.fromEntries(keys.map((k) => [k, median(runs.map((r) => Number(r[k])))])) as T;
}

async function measure(stack: BenchStack, n: number, rounds: number, image: string): Promise<Measured> {
  const direct: number[] = [];
  const lm: number[] = [];
  const phases: PhaseBreakdown[] = [];
  const spreads: SubmitSpread[] = [];
  let taskProblems = 0;
  for (let i = 0; i < rounds; i += 1) {
    direct.push(await directDeploy(n, image));
    for (let j = 0; j < 2; j += 1) {
      const run = await lmDeploy(stack.lm, n, image);
      lm.push(run.ms);
      phases.push(await phaseBreakdown(stack, run.uuids));
      spreads.push(await submitSpread(stack, run.uuids, run.sentAt, run.seenAt));
      taskProblems += await workflowTaskProblems(stack, run.uuids);
      await cleanUp(stack, run.uuids);
    }
    direct.push(await directDeploy(n, image));
  }
  return { n, direct, lm, phases: medianOf(phases), spread: medianOf(spreads), taskProblems };
}

async function main(): Promise<void> {
  const ns = (process.argv[2] ?? '1,20,100').split(',').map(Number);
  const rounds = Number(process.argv[3] ?? 1);
  const minRunMs = process.env.LM_MIN_RUN_MS ?? String(loadConfig({}).minRunMs);
  const image = ensureBusyboxImage();
  const stack = await startBenchStack({ LM_MIN_RUN_MS: minRunMs });
  const results: Measured[] = [];
  try {
    await cleanUp(stack, (await lmDeploy(stack.lm, 1, image)).uuids); // warm-up: bundle caches, JIT, first connections
    for (const n of ns) results.push(await measure(stack, n, rounds, image));
  } finally {
    await stack.stop();
  }
  console.log(
    `bench/deploy  LM_MIN_RUN_MS=${minRunMs}  A-B-B-A × ${rounds}  (medians; ${os.cpus().length} cores, load ${os.loadavg()[0].toFixed(1)})`,
  );
  console.log(
    '| N | Docker API direct | LM submit → all started | ratio | LM − direct per instance at N=1 | activity queue / run / workflow tasks (of it queued) per instance | submit → workflow median / max | submit → last deploy scheduled / started | last deployed → seen | WFT timed out or failed |',
  );
  console.log('|---|---|---|---|---|---|---|---|---|---|');
  for (const r of results) {
    const d = median(r.direct);
    const l = median(r.lm);
    const over = r.n === 1 ? `${(l - d).toFixed(0)} ms` : '–';
    const p = r.phases;
    const s = r.spread;
    console.log(
      `| ${r.n} | ${seconds(d)} s | ${seconds(l)} s | ${(l / d).toFixed(2)}× | ${over} | ${p.activityScheduleToStart.toFixed(0)} / ${p.activityRun.toFixed(0)} / ${p.workflowTasks.toFixed(0)} (${p.workflowTaskQueue.toFixed(0)}) ms (${p.activities} activities, ${p.workflowTaskCount} tasks) | ${s.submitToWorkflowMedian.toFixed(0)} / ${s.submitToWorkflowMax.toFixed(0)} ms | ${s.lastActivityScheduled.toFixed(0)} / ${s.lastActivityStarted.toFixed(0)} ms | ${s.lastDeployedToSeen.toFixed(0)} ms | ${r.taskProblems} |`,
    );
  }
  console.log(
    `runs (s): ${results.map((r) => `N=${r.n} direct ${r.direct.map(seconds).join(', ')} · LM ${r.lm.map(seconds).join(', ')}`).join(' ; ')}`,
  );
}

runBench(main);
