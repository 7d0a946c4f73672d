/** What the benchmarks share: a Temporal dev server and an LM API for one run, and small statistics. */
import fs from 'node:fs';
import type { temporal } from '@temporalio/proto';
import type Docker from 'dockerode';
import { tsToMs } from '@temporalio/common/lib/time';
import { createDockerClient } from '../activities/runtime/docker/docker-client';
import { homeFilters } from '../activities/runtime/docker/labelled-containers';
import type { InstanceHome } from '../activities/runtime/workload';
import { forEachBounded } from '../api/client-limits';
import { loadConfig } from '../common/config';
import { instanceHome } from '../worker/instance-home';
import { startDevServer, type DevServer } from '../test/support/dev-server';
import { startLm, type HarnessOptions, type LmHarness } from '../test/support/lm-harness';

export interface BenchStack {
  server: DevServer;
  lm: LmHarness;
  stop(): Promise<void>;
}

/** Worker tuning a bench run may set in its own environment, to measure one setting against another. */
const TUNING = ['LM_WORKFLOW_THREADS', 'LM_WORKFLOW_TASK_SLOTS', 'LM_MAX_CACHED_WORKFLOWS', 'LM_AGENT_ACTIVITY_SLOTS'] as const;

function tuningFromEnvironment(): Record<string, string> {
  return Object.fromEntries(TUNING.flatMap((name) => (process.env[name] ? [[name, process.env[name]]] : [])));
}

/** SQLite in WAL mode, as scripts/start.sh runs it. */
export async function startBenchStack(env: Record<string, string> = {}, options: HarnessOptions = {}): Promise<BenchStack> {
  const server = await startDevServer({ extraArgs: ['--sqlite-pragma', 'journal_mode=WAL'] });
  const interrupt = cleanUpOnSignal(server);
  process.env.LM_TEST_TEMPORAL_ADDRESS = server.address;
  // The LM's own defaults for observation, not the test harness's (which turns it off).
  const defaults = loadConfig({});
  const lm = await startLm(
    {
      TEMPORAL_ADDRESS: server.address,
      LM_LOG_LEVEL: 'error',
      LM_OBSERVE_INTERVAL_S: String(defaults.observeIntervalMs / 1000),
      LM_WATCH_DOCKER_EVENTS: String(defaults.watchDockerEvents),
      ...tuningFromEnvironment(),
      ...env,
    },
    options,
  );
  interrupt.containers = { home: await instanceHome(lm.client.connection, lm.config.temporal.namespace), socket: lm.config.docker.socket };
  return {
    server,
    lm,
    async stop() {
      interrupt.off();
      await lm.stop();
      await server.stop();
    },
  };
}

/** The exit status of a process ended by `signal`, as a shell reports it. */
const EXIT_STATUS: Partial<Record<NodeJS.Signals, number>> = { SIGINT: 130, SIGTERM: 143 };

/** Force-removes `containers`, 20 at once; one already gone (or failing) does not stop the others. */
export async function removeContainers(docker: Docker, containers: Docker.ContainerInfo[]): Promise<void> {
  await forEachBounded(containers, 20, (c) => docker.getContainer(c.Id).remove({ force: true, v: true }));
}

/** Removes this run's containers (labelled with its cluster and namespace); returns how many there were. */
async function removeRunContainers(home: InstanceHome, socket: string): Promise<number> {
  const docker = createDockerClient(socket, 30_000);
  const ours = await docker.listContainers({ all: true, filters: { label: homeFilters(home) } });
  await removeContainers(docker, ours);
  return ours.length;
}

interface SignalCleanUp {
  /** Whose containers to remove, once the LM is up and knows its cluster. */
  containers: { home: InstanceHome; socket: string } | null;
  /** Takes the handlers away: the bench stops by itself. */
  off(): void;
}

/**
 * A bench stopped by Ctrl-C or a timeout's SIGTERM ends its dev server first (no workflow schedules anything more),
 * removes the containers its instances made, twice (a create already sent may land after the first listing), and
 * exits as the signal asks (a second signal exits at once): a thousand idle containers and a Temporal process are
 * not left behind.
 */
function cleanUpOnSignal(server: DevServer): SignalCleanUp {
  let handling = false;
  const onSignal = (signal: NodeJS.Signals): void => {
    // A second one: the user will not wait for the clean-up.
    if (handling) process.exit(EXIT_STATUS[signal] ?? 1);
    handling = true;
    process.stderr.write(`\n${signal}: ending this run's Temporal dev server and removing its containers\n`);
    server.process.kill('SIGKILL');
    const { containers } = cleanUp;
    void (async () => {
      if (containers !== null) {
        let removed = 0;
        try {
          removed += await removeRunContainers(containers.home, containers.socket);
          await new Promise((resolve) => setTimeout(resolve, 2_000));
          removed += await removeRunContainers(containers.home, containers.socket);
        } catch (err) {
          const label = homeFilters(containers.home).join(', ');
          process.stderr.write(`could not remove this run's containers (labels ${label}): ${String(err)}\n`);
        }
        process.stderr.write(`removed ${removed} containers\n`);
      }
      process.exit(EXIT_STATUS[signal] ?? 1);
    })();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const cleanUp: SignalCleanUp = {
    containers: null,
    off() {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    },
  };
  return cleanUp;
}

export function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** Resident memory of a process, in MiB, from /proc. */
export function rssMiB(pid: number): number {
  const line = fs
    .readFileSync(`/proc/${pid}/status`, 'utf8')
    .split('\n')
    .find((l) => l.startsWith('VmRSS:'));
  return Number(line?.split(/\s+/)[1] ?? 0) / 1024;
}

export function runBench(main: () => Promise<void>): void {
  main().then(
    // A bench that found its goal unmet set process.exitCode.
    () => process.exit(typeof process.exitCode === 'number' ? process.exitCode : 0),
    (err: unknown) => {
      console.error(err);
      process.exit(1);
    },
  );
}

export type HistoryEvent = temporal.api.history.v1.IHistoryEvent;

export async function historiesOf(stack: BenchStack, uuids: string[]): Promise<HistoryEvent[][]> {
  const histories: HistoryEvent[][] = [];
  for (const uuid of uuids)
    histories.push((await stack.lm.client.workflow.getHandle(`service-instance/${uuid}`).fetchHistory()).events ?? []);
  return histories;
}

/** Workflow tasks that timed out or failed, over the histories of `uuids` (the lifecycle stalled; goal 0). */
export async function workflowTaskProblems(stack: BenchStack, uuids: string[]): Promise<number> {
  let problems = 0;
  for (const events of await historiesOf(stack, uuids)) {
    for (const event of events) if (event.workflowTaskTimedOutEventAttributes || event.workflowTaskFailedEventAttributes) problems += 1;
  }
  return problems;
}

/** Where an instance's time went, summed per history then taken as the median over the instances (ms). */
export interface PhaseBreakdown {
  /** Activity tasks waiting in their queue (scheduled → started). */
  activityScheduleToStart: number;
  /** Activity tasks running (started → completed or failed). */
  activityRun: number;
  /** Workflow tasks from scheduled to completed (queue wait and the workflow's own code). */
  workflowTasks: number;
  /** Of `workflowTasks`, the part the tasks waited for a worker to pick them up (scheduled → started). */
  workflowTaskQueue: number;
  /** From the workflow's start to its last event so far. */
  total: number;
  activities: number;
  workflowTaskCount: number;
}

/** An event's time in ms since the epoch; NaN for none. */
export const eventMs = (event: HistoryEvent | undefined): number => (event?.eventTime ? tsToMs(event.eventTime) : NaN);

/** How long the submissions took to become workflows, and how long the bench saw the last one after it was done (ms). */
export interface SubmitSpread {
  /** Median and maximum over the instances, from the bench sending its POST to the workflow's first event. */
  submitToWorkflowMedian: number;
  submitToWorkflowMax: number;
  /** From the first completed activity of the last instance to finish its deploy, to `seenAt`. */
  lastDeployedToSeen: number;
  /** From the bench's first POST to the last instance's first activity being scheduled, then started. */
  lastActivityScheduled: number;
  lastActivityStarted: number;
}

export async function submitSpread(stack: BenchStack, uuids: string[], sentAt: number, seenAt: number): Promise<SubmitSpread> {
  const firsts: number[] = [];
  let lastDeployed = 0;
  let lastScheduled = 0;
  let lastStarted = 0;
  for (const events of await historiesOf(stack, uuids)) {
    firsts.push(eventMs(events[0]) - sentAt);
    const done = events.find((event) => event.activityTaskCompletedEventAttributes);
    if (done) lastDeployed = Math.max(lastDeployed, eventMs(done));
    const scheduled = events.find((event) => event.activityTaskScheduledEventAttributes);
    if (scheduled) lastScheduled = Math.max(lastScheduled, eventMs(scheduled));
    const started = events.find((event) => event.activityTaskStartedEventAttributes);
    if (started) lastStarted = Math.max(lastStarted, eventMs(started));
  }
  return {
    submitToWorkflowMedian: median(firsts),
    submitToWorkflowMax: Math.max(...firsts),
    lastDeployedToSeen: seenAt - lastDeployed,
    lastActivityScheduled: lastScheduled - sentAt,
    lastActivityStarted: lastStarted - sentAt,
  };
}

export async function phaseBreakdown(stack: BenchStack, uuids: string[]): Promise<PhaseBreakdown> {
  const per: PhaseBreakdown[] = [];
  for (const events of await historiesOf(stack, uuids)) {
    const byId = new Map(events.map((event) => [Number(event.eventId), event]));
    const sum: PhaseBreakdown = {
      activityScheduleToStart: 0,
      activityRun: 0,
      workflowTasks: 0,
      workflowTaskQueue: 0,
      total: 0,
      activities: 0,
      workflowTaskCount: 0,
    };
    for (const event of events) {
      const started = event.activityTaskStartedEventAttributes;
      if (started) sum.activityScheduleToStart += eventMs(event) - eventMs(byId.get(Number(started.scheduledEventId)));
      const ended = event.activityTaskCompletedEventAttributes ?? event.activityTaskFailedEventAttributes;
      if (ended) {
        sum.activityRun += eventMs(event) - eventMs(byId.get(Number(ended.startedEventId)));
        sum.activities += 1;
      }
      const picked = event.workflowTaskStartedEventAttributes;
      if (picked) sum.workflowTaskQueue += eventMs(event) - eventMs(byId.get(Number(picked.scheduledEventId)));
      const completed = event.workflowTaskCompletedEventAttributes;
      if (completed) {
        sum.workflowTasks += eventMs(event) - eventMs(byId.get(Number(completed.scheduledEventId)));
        sum.workflowTaskCount += 1;
      }
    }
    sum.total = eventMs(events[events.length - 1]) - eventMs(events[0]);
    per.push(sum);
  }
  const key = (k: keyof PhaseBreakdown): number => median(per.map((p) => p[k]));
  return {
    activityScheduleToStart: key('activityScheduleToStart'),
    activityRun: key('activityRun'),
    workflowTasks: key('workflowTasks'),
    workflowTaskQueue: key('workflowTaskQueue'),
    total: key('total'),
    activities: key('activities'),
    workflowTaskCount: key('workflowTaskCount'),
  };
}
