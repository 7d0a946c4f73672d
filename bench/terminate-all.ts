/**
 * bench/terminate-all: N live busybox instances (default 1,000, each one container on this machine's engine), then
 * one `DELETE …/service-instances/all`. Prints the time the request took to answer, the time until every instance
 * is `terminated` (polled on the read model), the instances skipped (not in the answer's snapshot, or never
 * terminated within the bound; goal 0), the containers of these instances still on the engine (by the LM's
 * instance label; goal 0), and the workflow tasks that timed out or failed over the instances' histories (goal 0).
 * The instances are made B at once (default 50) with LM_MIN_RUN_MS=0, so the creation burst ends sooner; the
 * terminate does not depend on it. LM_TERMINATE_ALL_CONCURRENCY in the environment is passed to the LM.
 * Baseline, made first in the same run: the same N containers made through the Docker API and force-removed as many
 * at once as the agent runs runtime steps (LM_AGENT_ACTIVITY_SLOTS); the table gives the ratio, and where each
 * instance's terminate spent its time (from its history).
 * Usage (after npm run build && npm run build:dev): node .build/bench/terminate-all.js [N=1000] [B=50] [baseline=direct|none]
 * — or scripts/bench.sh terminate-all. `none` skips the baseline (the test command's scale check: it is about none
 * skipped and nothing left, and 1,000 more containers made and removed would only wear the engine it runs on).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Docker from 'dockerode';
import { LABEL_INSTANCE, LABEL_SERVICE } from '../activities/runtime/labels';
import { ensureBusyboxImage } from '../test/support/test-images';
import { getInstance, getTimeline } from '../test/support/api-calls';
import { instanceIdOf, uuidOf } from '../workflows/model/instance';
import { forEachBounded } from '../api/client-limits';
import { loadConfig } from '../common/config';
import { terminateUpdate } from '../workflows/messages';
import {
  eventMs,
  historiesOf,
  median,
  percentile,
  removeContainers,
  runBench,
  startBenchStack,
  workflowTaskProblems,
  type BenchStack,
  type HistoryEvent,
} from './bench-support';

const docker = new Docker({ socketPath: '/var/run/docker.sock' });
/** The longest the bench waits for every instance to be terminated. */
const TERMINATED_WITHIN_MS = 15 * 60_000;

const SERVICE_PREFIX = 'terminate-all-';
/** The baseline's containers (made through the Docker API, not by the LM). */
const DIRECT_LABEL = 'lm-bench.terminate-all.direct';

const seconds = (ms: number): string => (ms / 1000).toFixed(2);

let lastProgress = 0;
/** On a terminal, a line rewritten in place; in a log (the test command's), a line every 10 s. */
function progress(line: string): void {
  if (process.stderr.isTTY) process.stderr.write(`\r${line}`);
  else if (Date.now() - lastProgress >= 10_000) {
    lastProgress = Date.now();
    process.stderr.write(`${line}\n`);
  }
}

async function statusCount(stack: BenchStack, status: string): Promise<number> {
  return (await stack.lm.readModel.countByStatus()).find((c) => c.status === status)?.count ?? 0;
}

/** This bench's containers on the engine: those labelled with one of its instances. */
async function containersLeft(uuids: ReadonlySet<string>): Promise<number> {
  const labelled = await docker.listContainers({ all: true, filters: { label: [LABEL_INSTANCE] } });
  return labelled.filter((c) => uuids.has(c.Labels[LABEL_INSTANCE])).length;
}

/** Containers an interrupted earlier run of this bench left (its services are named terminate-all-…). */
async function removeLeftovers(): Promise<number> {
  const labelled = await docker.listContainers({ all: true, filters: { label: [LABEL_INSTANCE, LABEL_SERVICE] } });
  const direct = await docker.listContainers({ all: true, filters: { label: [DIRECT_LABEL] } });
  const left = [...labelled.filter((c) => c.Labels[LABEL_SERVICE]?.startsWith(SERVICE_PREFIX)), ...direct];
  await removeContainers(docker, left);
  return left.length;
}

/** Submits `count` instances, `batch` at once, on this machine's agent; returns once all are `started`. */
async function makeInstances(stack: BenchStack, count: number, batch: number, image: string, made: string[]): Promise<number> {
  const started = Date.now();
  for (let i = 0; i < count; i += batch) {
    const answers = await Promise.all(
      Array.from({ length: Math.min(batch, count - i) }, (_, j) =>
        stack.lm.api.post('/api/v2/lm/service', {
          user_id: `terminate-all-${process.pid}`,
          service: { name: `${SERVICE_PREFIX}${(i + j) % 20}`, exec: image, exec_type: 'docker' },
        }),
      ),
    );
    for (const answer of answers) {
      if (answer.status !== 200) throw new Error(`submit answered ${answer.status}: ${JSON.stringify(answer.data)}`);
      made.push(uuidOf(answer.data.service_instance.id as string));
    }
    // One batch at a time reaches `started`, so the engine is not asked for more at once than the batch.
    for (;;) {
      const up = await statusCount(stack, 'started');
      const failed = (await statusCount(stack, 'error')) + (await statusCount(stack, 'degraded'));
      if (failed > 0) throw new Error(`${failed} instances ended in error while being made`);
      if (up >= made.length) break;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    progress(`${made.length} of ${count} started`);
  }
  process.stderr.write('\n');
  return Date.now() - started;
}

/** Runs `work` over `items`, at most `concurrency` at once; the first failure fails the baseline. */
async function eachBounded<T>(items: T[], concurrency: number, work: (item: T) => Promise<unknown>): Promise<void> {
  const failed = (await forEachBounded(items, concurrency, work)).find((outcome) => outcome.status === 'rejected');
  if (failed !== undefined) throw failed.reason;
}

/**
 * The baseline: the same N containers (image, restart policy) made and started through the Docker API, then
 * force-removed as many at once as the agent runs runtime steps; returns the removal's time (ms). The engine's own
 * remove rate is what bounds DELETE …/all.
 */
async function directRemoval(count: number, image: string, concurrency: number): Promise<number> {
  const ids: string[] = [];
  await eachBounded(
    Array.from({ length: count }, (_, i) => i),
    20,
    async (i) => {
      const container = await docker.createContainer({
        Image: image,
        name: `lm-bench-direct-${process.pid}-${i}`,
        Labels: { [DIRECT_LABEL]: String(process.pid) },
        HostConfig: { RestartPolicy: { Name: 'unless-stopped' } },
      });
      ids.push(container.id);
      await container.start();
      progress(`baseline: ${ids.length} of ${count} containers made`);
    },
  );
  process.stderr.write('\n');
  const started = Date.now();
  await eachBounded(ids, concurrency, (id) => docker.getContainer(id).remove({ force: true, v: true }));
  return Date.now() - started;
}

/** Where each instance's terminate spent its time, from its history (ms; median / p90 / max over the instances). */
interface TerminatePhases {
  /** The DELETE sent → this instance's terminate accepted (the API sending the terminates). */
  dispatch: number[];
  /** Accepted → its first runtime step scheduled (the workflow task that runs the terminate). */
  toSchedule: number[];
  /** The steps waiting for an agent's slot (scheduled → started), summed. */
  queued: number[];
  /** The steps running (started → ended: the engine's remove), summed. */
  running: number[];
  /** The last step ended → the workflow closed. */
  toClose: number[];
  /** Steps no agent took within LM_AGENT_TIMEOUT_S (scheduled again while the agent's LM is present). */
  requeued: number;
}

const isTerminateAccepted = (e: HistoryEvent): boolean =>
  e.workflowExecutionUpdateAcceptedEventAttributes?.acceptedRequest?.input?.name === terminateUpdate.name;

async function terminatePhases(stack: BenchStack, uuids: string[], sentAt: number): Promise<TerminatePhases> {
  const phases: TerminatePhases = { dispatch: [], toSchedule: [], queued: [], running: [], toClose: [], requeued: 0 };
  for (const events of await historiesOf(stack, uuids)) {
    const acceptedAt = events.length - 1 - [...events].reverse().findIndex(isTerminateAccepted);
    if (acceptedAt >= events.length) continue;
    const after = events.slice(acceptedAt);
    const byId = new Map(after.map((event) => [Number(event.eventId), event]));
    const scheduled = after.find((e) => e.activityTaskScheduledEventAttributes);
    let queued = 0;
    let running = 0;
    let lastEnded: HistoryEvent | undefined;
    for (const event of after) {
      if (event.activityTaskTimedOutEventAttributes) phases.requeued += 1;
      const started = event.activityTaskStartedEventAttributes;
      if (started) queued += eventMs(event) - eventMs(byId.get(Number(started.scheduledEventId)));
      const ended = event.activityTaskCompletedEventAttributes ?? event.activityTaskFailedEventAttributes;
      if (ended) {
        running += eventMs(event) - eventMs(byId.get(Number(ended.startedEventId)));
        lastEnded = event;
      }
    }
    phases.dispatch.push(eventMs(after[0]) - sentAt);
    if (scheduled === undefined || lastEnded === undefined) continue;
    phases.toSchedule.push(eventMs(scheduled) - eventMs(after[0]));
    phases.queued.push(queued);
    phases.running.push(running);
    phases.toClose.push(eventMs(events.at(-1)) - eventMs(lastEnded));
  }
  return phases;
}

function printPhases(phases: TerminatePhases): void {
  const rows: Array<[string, number[]]> = [
    ['DELETE sent → terminate accepted', phases.dispatch],
    ['accepted → remove scheduled', phases.toSchedule],
    ['remove waiting for an agent slot', phases.queued],
    ['remove running (the engine)', phases.running],
    ['removed → workflow closed', phases.toClose],
  ];
  console.log('| phase of each terminate | median | p90 | max |');
  console.log('|---|---|---|---|');
  for (const [name, values] of rows) {
    if (values.length === 0) continue;
    console.log(`| ${name} | ${seconds(median(values))} s | ${seconds(percentile(values, 90))} s | ${seconds(Math.max(...values))} s |`);
  }
  console.log(`runtime steps timed out in the agent's queue and scheduled again: ${phases.requeued}`);
}

/** Whatever the run left: its workflows ended (no workflow code runs), then its containers, 20 at once. */
async function cleanUp(stack: BenchStack, uuids: string[]): Promise<void> {
  const open = (await Promise.allSettled(uuids.map((uuid) => stack.lm.client.workflow.getHandle(instanceIdOf(uuid)).describe())))
    .map((d, i) => (d.status === 'fulfilled' && d.value.status.name === 'RUNNING' ? uuids[i] : null))
    .filter((uuid): uuid is string => uuid !== null);
  await Promise.allSettled(open.map((uuid) => stack.lm.client.workflow.getHandle(instanceIdOf(uuid)).terminate('bench over')));
  const ours = new Set(uuids);
  const left = (await docker.listContainers({ all: true, filters: { label: [LABEL_INSTANCE] } })).filter((c) =>
    ours.has(c.Labels[LABEL_INSTANCE]),
  );
  await removeContainers(docker, left);
}

/** What a failed run shows: the unfinished instances by status, and a few of them with their last timeline entry. */
async function describeUnfinished(stack: BenchStack, uuids: string[]): Promise<void> {
  const statuses = await Promise.all(uuids.map(async (uuid) => ({ uuid, status: (await getInstance(stack.lm.api, uuid)).status })));
  const unfinished = statuses.filter((s) => s.status !== 'terminated');
  const byStatus = new Map<string, number>();
  for (const { status } of unfinished) byStatus.set(status, (byStatus.get(status) ?? 0) + 1);
  console.error(`not terminated, by status: ${JSON.stringify(Object.fromEntries(byStatus))}`);
  for (const { uuid, status } of unfinished.slice(0, 5)) {
    const last = (await getTimeline(stack.lm.api, uuid)).at(-1);
    console.error(`  ${uuid} ${status}: last timeline entry ${JSON.stringify(last ?? null)}`);
  }
}

async function main(): Promise<void> {
  const n = Number(process.argv[2] ?? 1000);
  const batch = Number(process.argv[3] ?? 50);
  const baseline = process.argv[4] ?? 'direct';
  if (baseline !== 'direct' && baseline !== 'none') throw new Error(`baseline "${baseline}": direct (the default) or none`);
  const image = ensureBusyboxImage();
  const leftovers = await removeLeftovers();
  if (leftovers > 0) process.stderr.write(`removed ${leftovers} containers an earlier run left\n`);
  const slots = Number(process.env.LM_AGENT_ACTIVITY_SLOTS ?? loadConfig({}).agentActivitySlots);
  const directMs = baseline === 'direct' ? await directRemoval(n, image, slots) : NaN;
  if (baseline === 'direct')
    process.stderr.write(`baseline: ${n} containers removed through the Docker API, ${slots} at once, in ${seconds(directMs)} s\n`);
  // A read model of its own: the statuses it counts are this run's instances only.
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'lm-bench-terminate-all-'));
  const env: Record<string, string> = { LM_MIN_RUN_MS: '0', LM_DATA_DIR: dataDir };
  if (process.env.LM_TERMINATE_ALL_CONCURRENCY) env.LM_TERMINATE_ALL_CONCURRENCY = process.env.LM_TERMINATE_ALL_CONCURRENCY;
  const stack = await startBenchStack(env);
  const made: string[] = [];
  try {
    const makeMs = await makeInstances(stack, n, batch, image, made);
    const ours = new Set(made);
    const containersBefore = await containersLeft(ours);
    const loadBefore = os.loadavg()[0];

    const sent = Date.now();
    const answer = await stack.lm.api.delete('/api/v2/lm/service-instances/all');
    const answerMs = Date.now() - sent;
    if (answer.status !== 200) throw new Error(`DELETE …/all answered ${answer.status}: ${JSON.stringify(answer.data)}`);
    process.stderr.write(`DELETE …/all answered in ${answerMs} ms\n`);
    const snapshot = new Set((answer.data.service_instances as string[]).map(uuidOf));
    const notInSnapshot = made.filter((uuid) => !snapshot.has(uuid)).length;

    let terminatedMs = NaN;
    let terminated = 0;
    for (;;) {
      terminated = await statusCount(stack, 'terminated');
      if (terminated >= n) {
        terminatedMs = Date.now() - sent;
        break;
      }
      if (Date.now() - sent > TERMINATED_WITHIN_MS) break;
      progress(`${terminated} terminated after ${seconds(Date.now() - sent)} s`);
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    const loadAfter = os.loadavg()[0];
    const left = await containersLeft(ours);
    const taskProblems = await workflowTaskProblems(stack, made);
    const phases = await terminatePhases(stack, made, sent);

    console.log(
      `bench/terminate-all  N=${n}  (${os.cpus().length} cores, load ${loadBefore.toFixed(1)} before the DELETE, ${loadAfter.toFixed(1)} after; ` +
        `made in ${seconds(makeMs)} s, ${batch} at once; terminate-all concurrency ${env.LM_TERMINATE_ALL_CONCURRENCY ?? 'default'})`,
    );
    console.log(
      '| live instances | containers before | DELETE …/all answered | all terminated | same containers removed directly | ÷ direct | skipped (not in snapshot / not terminated) | containers left | WFT timed out or failed |',
    );
    console.log('|---|---|---|---|---|---|---|---|---|');
    const ratio = Number.isNaN(terminatedMs) || Number.isNaN(directMs) ? '–' : `${(terminatedMs / directMs).toFixed(2)}×`;
    const direct = Number.isNaN(directMs) ? 'not measured' : `${seconds(directMs)} s (${slots} at once)`;
    console.log(
      `| ${n} | ${containersBefore} | ${answerMs} ms | ${Number.isNaN(terminatedMs) ? `not within ${TERMINATED_WITHIN_MS / 60_000} min` : `${seconds(terminatedMs)} s`} | ` +
        `${direct} | ${ratio} | ${notInSnapshot} / ${n - terminated} | ${left} | ${taskProblems} |`,
    );
    printPhases(phases);
    // What the issue asks of DELETE …/all, whatever the timings: every instance terminated, nothing left.
    if (notInSnapshot > 0 || terminated < n || left > 0) {
      console.error(`FAILED: ${notInSnapshot} not in the snapshot, ${n - terminated} not terminated, ${left} containers left`);
      await describeUnfinished(stack, made);
      process.exitCode = 1;
    }
  } finally {
    await cleanUp(stack, made);
    await stack.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

runBench(main);
