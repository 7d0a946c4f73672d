/**
 * The activities that act on one agent's workloads. They run on that agent's task queue, heartbeat while
 * they work (so a killed worker is noticed in seconds, not at the start-to-close timeout, and a cancellation
 * reaches them) with their real progress as details, honour cancellation, and are idempotent.
 */
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import type { Logger } from '../../common/logger';
import type { AgentStatus } from '../../workflows/model/status';
import { FailureType } from '../../workflows/model/failures';
import { errorMessage, failure } from '../failures';
import { abortReason } from './cancellation';
import { runtimeFor, type RuntimeRegistry } from './runtime-registry';
import { stepProgressReporter } from './step-progress';
import {
  NOT_LEFT,
  type DeployedBeforeFailure,
  type DeployedWorkload,
  type EngineRestartRecovery,
  type InstanceHome,
  type RuntimeCall,
  type WorkloadRef,
  type WorkloadSpec,
} from './workload';

const HEARTBEAT_EVERY_MS = 2_000;

type Step = 'deploy' | 'start' | 'stop' | 'remove' | 'observe';

/** The start's failure, classified as it was, carrying what the deploy before it made. */
function withDeployed(err: unknown, deployed: DeployedWorkload): ApplicationFailure {
  const details: DeployedBeforeFailure = { deployed };
  if (err instanceof ApplicationFailure) {
    return ApplicationFailure.create({
      type: err.type ?? undefined,
      message: err.message,
      nonRetryable: err.nonRetryable === true,
      details: [details],
      cause: err.cause,
    });
  }
  return ApplicationFailure.create({ message: errorMessage(err), details: [details], cause: err instanceof Error ? err : undefined });
}

/** `home`: this agent's Temporal cluster and namespace, where the instances it serves have their workflows. */
export function createRuntimeActivities(registry: RuntimeRegistry, home: InstanceHome, logger: Logger) {
  const runtime = (spec: WorkloadSpec) => runtimeFor(registry, spec.service.exec_type, spec.agentUrl);

  /**
   * Runs `work` with the activity's cancellation signal, heartbeating meanwhile: Temporal delivers a
   * cancellation only in a heartbeat's answer, and the heartbeat carries the step's latest real progress.
   * Whatever `work` throws once cancelled, the attempt ends as cancelled; a failure is logged with its message.
   */
  async function whileHeartbeating<T>(step: Step, spec: WorkloadSpec, work: (call: RuntimeCall) => Promise<T>): Promise<T> {
    const context = Context.current();
    const signal = context.cancellationSignal;
    const progress = stepProgressReporter(step, spec, logger);
    // No heartbeat at once: most steps end before the first one is due, and each is a call to the server.
    const timer = setInterval(() => context.heartbeat(progress.latest()), HEARTBEAT_EVERY_MS);
    try {
      return await work({ signal, progress: (update) => progress.report(update) });
    } catch (err) {
      if (signal.aborted) throw abortReason(signal);
      const type = err instanceof ApplicationFailure ? err.type : undefined;
      logger.warn(
        {
          step,
          instance: spec.instanceUuid,
          agent: spec.agentUrl,
          workload: spec.name,
          type,
          attempt: context.info.attempt,
          err: errorMessage(err),
        },
        `${step} of ${spec.name} failed: ${errorMessage(err)}`,
      );
      throw err;
    } finally {
      clearInterval(timer);
      progress.finish();
    }
  }

  /** Workloads made for a peer LM's instance are not labelled as this cluster's: the reaper leaves them alone. */
  const labelled = <T extends WorkloadSpec>(spec: T): T => (spec.forPeer ? spec : { ...spec, home });
  /** The ref itself, or (an original LM naming only a container id) the workload that id names; null: none. */
  const identified = async (ref: WorkloadRef): Promise<WorkloadRef | null> => (ref.unidentified ? runtime(ref).identify(ref) : ref);
  const missing = (ref: WorkloadRef): Error =>
    failure(
      FailureType.WorkloadMissing,
      `no workload with id ${ref.container_id} exists on agent ${ref.agentUrl}; it was removed, or never made`,
    );
  return {
    async deployWorkload(spec: WorkloadSpec): Promise<DeployedWorkload> {
      return whileHeartbeating('deploy', spec, (call) => runtime(spec).deploy(labelled(spec), call));
    },
    /**
     * A fresh agent's deploy and start in one task (one schedule, one round trip to the workflow); a start that
     * fails names, in the failure's details, what the deploy made, so the workflow records it as deployed.
     */
    async deployAndStartWorkload(spec: WorkloadSpec): Promise<DeployedWorkload> {
      return whileHeartbeating('deploy', spec, async (call) => {
        const own = labelled(spec);
        const deployed = await runtime(spec).deploy(own, call);
        try {
          return (await runtime(spec).start({ ...own, ...deployed }, call)) ?? deployed;
        } catch (err) {
          throw call.signal.aborted ? err : withDeployed(err, deployed);
        }
      });
    },
    async startWorkload(ref: WorkloadRef): Promise<DeployedWorkload | null> {
      return whileHeartbeating('start', ref, async (call) => {
        const found = await identified(ref);
        if (found === null) throw missing(ref);
        return (await runtime(found).start(labelled(found), call)) ?? null;
      });
    },
    async stopWorkload(ref: WorkloadRef): Promise<void> {
      return whileHeartbeating('stop', ref, async (call) => {
        const found = await identified(ref);
        if (found === null) throw missing(ref);
        await runtime(found).stop(found, call);
      });
    },
    async removeWorkload(ref: WorkloadRef): Promise<void> {
      return whileHeartbeating('remove', ref, async (call) => {
        const found = await identified(ref);
        if (found !== null) await runtime(found).remove(found, call);
      });
    },
    async observeWorkload(ref: WorkloadRef): Promise<AgentStatus> {
      return whileHeartbeating('observe', ref, async (call) => {
        const found = await identified(ref);
        return found === null ? 'error' : runtime(found).observe(found, call);
      });
    },
    /**
     * A workload of a started agent found stopped: started again when a restart of its engine left it so, left as
     * it is otherwise (the instance reports it). Only the LM's own labelled workload is looked at or started.
     */
    async startIfLeftByEngineRestart(ref: WorkloadRef): Promise<EngineRestartRecovery> {
      return whileHeartbeating('start', ref, async (call) => {
        const found = await identified(ref);
        if (found === null) return NOT_LEFT;
        const recover = runtime(found).startIfLeftByEngineRestart?.bind(runtime(found));
        if (recover === undefined) return NOT_LEFT;
        const recovery = await recover(labelled(found), call);
        if (recovery.outcome === 'started-again')
          logger.info(
            { instance: ref.instanceUuid, agent: ref.agentUrl, workload: ref.name, engineStartedAt: recovery.engineStartedAt },
            `the engine restarted and left ${ref.name} exited: started again`,
          );
        return recovery;
      });
    },
  };
}

export type RuntimeActivities = ReturnType<typeof createRuntimeActivities>;
