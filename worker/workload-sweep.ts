/**
 * An idle instance costs nothing: it has no timer of its own. Instead each agent's worker looks at its runtimes —
 * on every Docker event about an LM workload (runtime-watcher.ts), and once every LM_SWEEP_INTERVAL_S — and wakes
 * only the instances whose workload no longer matches what they last recorded.
 *
 * A sweep reads each runtime's labelled workloads once and, in one visibility listing, the memo of every live
 * instance with agents here (the instance document as of its last transition). That one listing also serves the
 * reaper: workloads whose instance is closed or gone are removed (workload-reaper.ts). What the listings suggest
 * has drifted is confirmed by `check` before the instance hears of it: the instance's own description (read
 * from the server, not from visibility) and the runtime's answer for that workload, compared by the rule the
 * instance applies itself. An instance in the middle of an operation is checked again once it has settled.
 *
 * Nothing is kept between sweeps but the checks waiting for an instance to settle: a restarted worker sweeps at
 * once (and on every reconnect of its Docker event stream), so what changed while it was away is found then.
 */
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { MetricMeter } from '@temporalio/common';
import type { Logger } from '../common/logger';
import { errorMessage } from '../activities/failures';
import type { RuntimeRegistry } from '../activities/runtime/runtime-registry';
import type { InstanceHome, WorkloadRuntime } from '../activities/runtime/workload';
import { runtimeChangedSignal } from '../workflows/messages';
import { instanceIdOf, type ServiceInstance } from '../workflows/model/instance';
import { isTransitional, type AgentStatus } from '../workflows/model/status';
import { liveInstancesOn, recordOf, type InstanceRecord } from './agent-instances';
import { createReaper, isReapable, type ListedWorkload } from './workload-reaper';
import { drifted, refOfAgent, settledAgentsHere } from './workload-drift';

export interface SweepOptions {
  client: Client;
  /** This agent's IP: its instances' agents here are the ones compared. */
  agentIp: string;
  /** Which runtime serves which exec type here. */
  registry: RuntimeRegistry;
  /** The runtimes to list (each once, however many exec types it serves). */
  runtimes: readonly WorkloadRuntime[];
  home: InstanceHome;
  /** 0: no periodic sweep (and no reaping); events and reconnects still sweep for drift. */
  intervalMs: number;
  graceMs: number;
  logger: Logger;
  meter: MetricMeter;
}

export interface SweepOutcome {
  /** Instances whose workload the listings show otherwise than recorded: each is checked, and told if so. */
  suspects: number;
  /** Orphaned workloads removed. */
  reaped: number;
}

export interface WorkloadSweep {
  /** One sweep now (a sweep already running is joined); `reap`: remove orphans too. */
  sweep(options?: { reap: boolean }): Promise<SweepOutcome>;
  /** The runtime reported a change to a workload of `uuid`: compare it now, and again while the instance is busy. */
  check(uuid: string): void;
  stop(): void;
}

/** Checks (describe + one runtime call each) in flight at once: a burst of events does not flood the frontend. */
const CHECK_CONCURRENCY = 8;
/** An instance busy with an operation is checked again after 1 s, doubling up to 10 s, for at most 5 minutes. */
const RECHECK_FIRST_MS = 1_000;
const RECHECK_MAX_MS = 10_000;
const RECHECK_FOR_MS = 5 * 60_000;

export function startWorkloadSweep(options: SweepOptions): WorkloadSweep {
  const { client, agentIp, registry, runtimes, home, intervalMs, graceMs, logger } = options;
  const signals = options.meter.createCounter(
    'lm_runtime_changes_signalled_total',
    '1',
    'Instances told that their workload changed, by what found it (event, sweep)',
  );
  let stopped = false;
  let timer: NodeJS.Timeout | null = null;
  let sweeping: Promise<SweepOutcome> | null = null;
  const reaper = createReaper({ graceMs, logger, meter: options.meter, stopped: () => stopped });

  // ── Checks: one instance, confirmed against its own description and its runtime ──────────────────────

  const queued = new Set<string>();
  const waiting: Array<{ uuid: string; since: number; source: string }> = [];
  const rechecks = new Map<string, NodeJS.Timeout>();
  /** Checked right now; a change reported meanwhile may come after what the check saw, so it is checked again. */
  const checking = new Set<string>();
  const again = new Map<string, string>();
  let running = 0;

  function enqueue(uuid: string, source: string, since = Date.now()): void {
    if (stopped) return;
    if (checking.has(uuid)) {
      again.set(uuid, source);
      return;
    }
    // A check still to come (queued, or waiting for the instance to settle) sees this change too.
    if (queued.has(uuid) || rechecks.has(uuid)) return;
    queued.add(uuid);
    waiting.push({ uuid, since, source });
    drain();
  }

  function drain(): void {
    while (running < CHECK_CONCURRENCY && waiting.length > 0) {
      const next = waiting.shift();
      if (next === undefined) break;
      running += 1;
      queued.delete(next.uuid);
      checking.add(next.uuid);
      void confirm(next.uuid, next.since, next.source)
        .catch((err: unknown) =>
          logger.warn({ err: errorMessage(err), uuid: next.uuid }, 'could not check an instance against its runtime'),
        )
        .finally(() => {
          checking.delete(next.uuid);
          running -= 1;
          const source = again.get(next.uuid);
          again.delete(next.uuid);
          if (source !== undefined) enqueue(next.uuid, source);
          drain();
        });
    }
  }

  function recheckLater(uuid: string, since: number, source: string): void {
    const waited = Date.now() - since;
    if (stopped || waited >= RECHECK_FOR_MS) return;
    const delay = Math.min(RECHECK_MAX_MS, Math.max(RECHECK_FIRST_MS, waited));
    rechecks.set(
      uuid,
      setTimeout(() => {
        rechecks.delete(uuid);
        enqueue(uuid, source, since);
      }, delay),
    );
  }

  async function observedHere(instance: ServiceInstance, index: number): Promise<AgentStatus | null> {
    const runtime = registry[instance.agents[index].app_type];
    if (runtime === undefined) return null;
    try {
      return await runtime.observe(refOfAgent(instance, index));
    } catch (err) {
      // Cannot tell now (the engine away): the next event or sweep asks again.
      logger.debug({ err: errorMessage(err), instance: instance.id, agent: index }, 'could not observe a workload');
      return null;
    }
  }

  async function confirm(uuid: string, since: number, source: string): Promise<void> {
    const record = await recordOf(client, uuid);
    if (record.state !== 'running' || record.instance === null) return;
    const { instance } = record;
    if (isTransitional(instance.status)) {
      recheckLater(uuid, since, source);
      return;
    }
    for (const index of settledAgentsHere(instance, agentIp)) {
      const observed = await observedHere(instance, index);
      if (observed !== null && drifted(instance, index, observed)) {
        await signal(uuid, source);
        return;
      }
    }
  }

  async function signal(uuid: string, source: string): Promise<void> {
    try {
      await client.workflow.getHandle(instanceIdOf(uuid)).signal(runtimeChangedSignal);
      signals.add(1, { source });
    } catch (err) {
      // Terminated since it was read: nothing to tell.
      if (!(err instanceof WorkflowNotFoundError)) throw err;
    }
  }

  // ── Sweeps: every workload and every instance here, in one listing each ──────────────────────────────

  async function sweepOnce(reap: boolean): Promise<SweepOutcome> {
    const listed: ListedWorkload[] = [];
    const listedBy = new Set<WorkloadRuntime>();
    for (const runtime of runtimes) {
      try {
        for (const workload of await runtime.labelled(home)) listed.push({ runtime, workload });
        listedBy.add(runtime);
      } catch (err) {
        logger.debug({ err: errorMessage(err) }, 'sweep: a runtime could not be listed; trying again at the next sweep');
      }
    }
    const workloadOf = new Map(listed.map((entry) => [`${entry.workload.ref.instanceUuid}/${entry.workload.ref.agentIndex}`, entry]));

    let live: Map<string, ServiceInstance>;
    try {
      live = await liveInstancesOn(client, agentIp);
    } catch (err) {
      logger.warn({ err: errorMessage(err) }, 'sweep: cannot list the instances on this agent; trying again at the next sweep');
      live = new Map();
    }
    // Workloads of instances the listing did not name (closed, started before the agents were searchable, another
    // agent's on this engine): their own description says whether they live, for the reaper and for drift.
    const records = new Map<string, InstanceRecord>();
    for (const { workload } of listed) {
      const uuid = workload.ref.instanceUuid;
      if (stopped) break;
      if (live.has(uuid) || records.has(uuid)) continue;
      if (!(reap && isReapable(workload, graceMs)) && workload.ref.agentUrl !== agentIp) continue;
      records.set(uuid, await recordOf(client, uuid));
    }
    const reaped = reap ? await reaper.reapOrphans(listed, (uuid) => records.get(uuid)) : 0;

    const instances = new Map(live);
    for (const [uuid, record] of records) if (record.state === 'running' && record.instance !== null) instances.set(uuid, record.instance);
    let suspects = 0;
    for (const [uuid, instance] of instances) {
      if (stopped) break;
      if (await suspect(uuid, instance, workloadOf, listedBy)) {
        suspects += 1;
        enqueue(uuid, 'sweep');
      }
    }
    return { suspects, reaped };
  }

  /** What the listings say of the instance's agents here differs from what it recorded (or only observing can tell). */
  async function suspect(
    uuid: string,
    instance: ServiceInstance,
    workloadOf: Map<string, ListedWorkload>,
    listedBy: Set<WorkloadRuntime>,
  ): Promise<boolean> {
    for (const index of settledAgentsHere(instance, agentIp)) {
      const runtime = registry[instance.agents[index].app_type];
      if (runtime === undefined || !listedBy.has(runtime)) continue;
      const found = workloadOf.get(`${uuid}/${index}`);
      // Not listed: removed behind the LM's back (or made before the labels the listing filters on): check it.
      if (found === undefined) return true;
      const observed = found.workload.observed ?? (await observedHere(instance, index));
      if (observed !== null && drifted(instance, index, observed)) return true;
    }
    return false;
  }

  function sweep({ reap }: { reap: boolean } = { reap: false }): Promise<SweepOutcome> {
    // One sweep at a time: a slow one (a stack removal waits for its tasks) is never overtaken by the next.
    sweeping ??= sweepOnce(reap).finally(() => {
      sweeping = null;
    });
    return sweeping;
  }

  const schedule = (delayMs: number): void => {
    if (stopped || intervalMs <= 0) return;
    timer = setTimeout(() => {
      void sweep({ reap: true })
        .catch((err: unknown) => logger.warn({ err: errorMessage(err) }, 'sweep failed'))
        .finally(() => schedule(intervalMs));
    }, delayMs);
  };
  // At once: what changed while this worker was away is found now, not an interval later.
  schedule(0);

  return {
    sweep,
    check: (uuid) => enqueue(uuid, 'event'),
    stop() {
      stopped = true;
      if (timer !== null) clearTimeout(timer);
      for (const pending of rechecks.values()) clearTimeout(pending);
      rechecks.clear();
      waiting.length = 0;
      again.clear();
    },
  };
}
