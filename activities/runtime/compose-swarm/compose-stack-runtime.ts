/**
 * `docker-compose-swarm` workloads (DESIGN §5): the fetched compose file as swarm stack `lm-<uuid>`.
 *
 * Semantics (fixing the original's bug C3, where stop removed the stack and terminate did nothing):
 * - deploy = `docker stack deploy` with every service at 0 replicas (nothing runs yet), the replicas the file
 *   declares kept in a service label;
 * - start  = scale every service back to its declared replicas, then wait until the tasks run;
 * - stop   = scale every service to 0, then wait until no task runs (the stack, its networks and ports stay);
 * - remove = `docker stack rm`, then wait until its services and networks are gone; a missing stack is fine.
 * Status (observe) follows the running tasks, not the last command.
 */
import type Docker from 'dockerode';
import { ApplicationFailure } from '@temporalio/common';
import { FailureType, NON_RETRYABLE_FAILURES } from '../../../workflows/model/failures';
import type { AgentStatus } from '../../../workflows/model/status';
import { failure } from '../../failures';
import { homeFilters } from '../docker/labelled-containers';
import {
  composeProjectName,
  findOwned,
  identifyOwned,
  identityOf,
  LABEL_EXEC_TYPE,
  refOfIdentity,
  workloadLabels,
  type OwnedLookup,
} from '../labels';
import { DETACHED_CALL, NEVER_ABORTED } from '../cancellation';
import type {
  DeployedWorkload,
  InstanceHome,
  LabelledWorkload,
  RuntimeCall,
  WorkloadRef,
  WorkloadRuntime,
  WorkloadSpec,
} from '../workload';
import type { ComposeFetchLimits } from '../compose/fetch-compose-file';
import { composeFilesIn, removeInstanceDirectory } from '../compose/instance-directory';
import { KeyedLock } from '../compose/keyed-lock';
import { prepareComposeFiles } from '../compose/prepare-compose-files';
import { pollUntil, type PollStep } from '../poll-until';
import { checkStackDocument } from './check-stack-document';
import { StackCli } from './stack-cli';
import { stackOverride } from './stack-override';
import {
  failedTasksSince,
  listStackServices,
  removeLeftoverNetworks,
  STACK_NAMESPACE_LABEL,
  stackNetworks,
  stackServices,
  type StackService,
} from './stack-state';
import { requireSwarmManager, swarmRole } from './swarm-manager';

export interface ComposeStackRuntimeOptions {
  docker: Docker;
  socket: string;
  workingDir: string;
  allowPrivileged: boolean;
  fetchLimits: ComposeFetchLimits;
  /** How long start, stop and remove wait for the swarm to converge. */
  convergeTimeoutMs?: number;
}

const DEFAULT_CONVERGE_TIMEOUT_MS = 120_000;
/** Task timestamps come from the manager's clock; tolerate a little skew. */
const CLOCK_SKEW_MS = 2_000;
const POLL_EVERY_MS = 500;

/** `web 1/2, worker 0/1`: what a wait last saw, for its timeout message. */
function replicaSummary(services: StackService[], target: 'declared' | 'desired'): string {
  return services.map((s) => `${s.name} ${s.running}/${s[target]}`).join(', ');
}

export class ComposeStackRuntime implements WorkloadRuntime {
  private readonly cli: StackCli;
  private readonly lock = new KeyedLock();
  private readonly convergeTimeoutMs: number;

  constructor(private readonly options: ComposeStackRuntimeOptions) {
    this.cli = new StackCli(options.socket);
    this.convergeTimeoutMs = options.convergeTimeoutMs ?? DEFAULT_CONVERGE_TIMEOUT_MS;
  }

  async deploy(spec: WorkloadSpec, call: RuntimeCall = DETACHED_CALL): Promise<DeployedWorkload> {
    const stack = composeProjectName(spec);
    return this.lock.run(stack, async () => {
      await requireSwarmManager(this.options.docker, this.options.socket, spec.agentUrl);
      // stack deploy would update the services of a stack of that name that someone else made.
      await this.locate({ ...spec, container_id: '-', ports: [], agent_param: '-' });
      const { files } = await prepareComposeFiles(spec.service.exec, stack, {
        workingDir: this.options.workingDir,
        allowPrivileged: this.options.allowPrivileged,
        fetchLimits: this.options.fetchLimits,
        runtimeChecks: checkStackDocument,
        override: (model) => stackOverride(model, workloadLabels(spec)),
      });
      try {
        // A retry re-deploys the same files: stack deploy updates in place, so it never makes a second stack.
        await this.cli.deploy(stack, files, call.signal);
        const services = await this.services(stack);
        if (services.length === 0) {
          throw failure(FailureType.RuntimeUnavailable, `docker stack deploy of ${stack} succeeded but the stack has no services yet`);
        }
        return { container_id: stack, ports: [...new Set(services.flatMap((s) => s.publishedPorts))], agent_param: files.dir };
      } catch (err) {
        // Not retried, so never removed by the workflow: leave nothing behind.
        if (err instanceof ApplicationFailure && NON_RETRYABLE_FAILURES.includes(err.type ?? '')) {
          await this.removeStack(stack, spec.agentUrl).catch(() => undefined);
        }
        throw err;
      }
    });
  }

  async start(ref: WorkloadRef, call: RuntimeCall = DETACHED_CALL): Promise<void> {
    const stack = composeProjectName(ref);
    await this.lock.run(stack, async () => {
      const services = await this.existingServices(ref, stack);
      const since = Date.now() - CLOCK_SKEW_MS;
      await this.cli.scale(Object.fromEntries(services.map((s) => [s.name, s.declared])), `scale stack ${stack} back up`, call.signal);
      const outcome = await pollUntil(
        async (): Promise<PollStep<void>> => {
          const now = await this.services(stack);
          if (now.every((s) => s.running >= s.declared)) return { done: true, value: undefined };
          const failures = await failedTasksSince(this.options.docker, now, since, this.options.socket);
          if (failures.length > 0) {
            throw failure(
              FailureType.WorkloadExited,
              `stack ${stack} on agent ${ref.agentUrl} was scaled up but its tasks fail: ${failures.slice(0, 3).join('; ')}`,
            );
          }
          return { done: false, seen: replicaSummary(now, 'declared') };
        },
        { timeoutMs: this.convergeTimeoutMs, everyMs: POLL_EVERY_MS, signal: call.signal },
      );
      if (!outcome.settled) {
        throw failure(
          FailureType.RuntimeUnavailable,
          `stack ${stack} did not reach its declared replicas within ${this.convergeTimeoutMs / 1000} s (running: ${outcome.lastSeen})`,
        );
      }
    });
  }

  async stop(ref: WorkloadRef, call: RuntimeCall = DETACHED_CALL): Promise<void> {
    const stack = composeProjectName(ref);
    await this.lock.run(stack, async () => {
      const services = await this.existingServices(ref, stack);
      await this.cli.scale(Object.fromEntries(services.map((s) => [s.name, 0])), `scale stack ${stack} to 0`, call.signal);
      const outcome = await pollUntil(
        async (): Promise<PollStep<void>> => {
          const now = await this.services(stack);
          return now.every((s) => s.running === 0)
            ? { done: true, value: undefined }
            : { done: false, seen: replicaSummary(now, 'desired') };
        },
        { timeoutMs: this.convergeTimeoutMs, everyMs: POLL_EVERY_MS, signal: call.signal },
      );
      if (!outcome.settled) {
        throw failure(
          FailureType.RuntimeUnavailable,
          `tasks of stack ${stack} were still running ${this.convergeTimeoutMs / 1000} s after scaling to 0 (running: ${outcome.lastSeen})`,
        );
      }
    });
  }

  async remove(ref: WorkloadRef, call: RuntimeCall = DETACHED_CALL): Promise<void> {
    const stack = composeProjectName(ref);
    await this.lock.run(stack, async () => {
      // Outside a swarm manager nothing can be listed, and no stack can be there to refuse.
      if ((await swarmRole(this.options.docker, this.options.socket)) === 'manager') await this.locate(ref);
      await this.removeStack(stack, ref.agentUrl, call.signal);
    });
  }

  async observe(ref: WorkloadRef): Promise<AgentStatus> {
    if ((await swarmRole(this.options.docker, this.options.socket)) !== 'manager') return 'unknown';
    const services = await this.locate(ref);
    if (services === null) return 'error';
    if (services.every((s) => s.desired === 0)) return services.some((s) => s.updated) ? 'stopped' : 'waiting';
    if (services.every((s) => s.running >= s.desired)) return 'started';
    return services.some((s) => s.running === 0 && s.desired > 0) ? 'error' : 'unknown';
  }

  identify(ref: WorkloadRef): Promise<WorkloadRef | null> {
    return identifyOwned(ref, this.lookup);
  }

  /** One workload per stack, as old as its oldest service; none outside a swarm manager. */
  async labelled(home: InstanceHome): Promise<LabelledWorkload[]> {
    if ((await swarmRole(this.options.docker, this.options.socket)) !== 'manager') return [];
    const services = await listStackServices(this.options.docker, homeFilters(home), 'list the LM stacks', this.options.socket);
    const stacks = new Map<string, LabelledWorkload>();
    for (const service of services) {
      const stack = service.labels[STACK_NAMESPACE_LABEL];
      const identity = identityOf(service.labels);
      if (service.labels[LABEL_EXEC_TYPE] !== 'docker-compose-swarm' || stack === undefined || identity === null) continue;
      const ref = refOfIdentity(identity, 'docker-compose-swarm', { container_id: stack });
      if (ref.name !== stack) continue;
      const createdAt = Math.min(service.createdAt, stacks.get(stack)?.createdAt ?? Infinity);
      stacks.set(stack, { ref, createdAt, describe: `stack ${stack}` });
    }
    return [...stacks.values()];
  }

  /** A stack is the LM's when every service of it carries the instance's labels. */
  private readonly lookup: OwnedLookup<StackService[]> = {
    kind: 'stack',
    find: async (stack) => {
      const services = await this.services(stack);
      return services.length === 0 ? null : services;
    },
    labelsOf: (services) => services.map((s) => s.labels),
  };

  /** The stack's services; null when it has none. Refuses a stack whose services are not the instance's. */
  private locate(ref: WorkloadRef): Promise<StackService[] | null> {
    return findOwned({ ...ref, name: composeProjectName(ref) }, this.lookup);
  }

  private async removeStack(stack: string, agent: string, signal: AbortSignal = NEVER_ABORTED): Promise<void> {
    const role = await swarmRole(this.options.docker, this.options.socket);
    if (role === 'worker') await requireSwarmManager(this.options.docker, this.options.socket, agent);
    // Outside a swarm no stack can exist: only the directory is left to delete.
    if (role === 'manager') {
      // Services first, then networks: what is still there, or undefined once the stack is gone.
      const remaining = async (): Promise<string | undefined> => {
        const services = await this.services(stack);
        if (services.length > 0) return `services ${services.map((s) => s.name).join(', ')}`;
        const networks = await removeLeftoverNetworks(this.options.docker, stack, this.options.socket);
        return networks.length > 0 ? `networks ${networks.join(', ')}` : undefined;
      };
      if ((await this.services(stack)).length > 0 || (await stackNetworks(this.options.docker, stack, this.options.socket)).length > 0) {
        // A network already on its way out makes `stack rm` fail with "not found"; the wait below decides.
        await this.cli.remove(stack, signal).catch((err: unknown) => {
          if (!(err instanceof ApplicationFailure) || err.type === FailureType.NotSupported) throw err;
        });
        const gone = await pollUntil(
          async (): Promise<PollStep<void>> => {
            const left = await remaining();
            return left === undefined ? { done: true, value: undefined } : { done: false, seen: left };
          },
          { timeoutMs: this.convergeTimeoutMs, everyMs: POLL_EVERY_MS, signal },
        );
        if (!gone.settled) {
          throw failure(
            FailureType.RuntimeUnavailable,
            `stack ${stack} was still being removed after ${this.convergeTimeoutMs / 1000} s (left: ${gone.lastSeen}); the terminate is retried`,
          );
        }
      }
    }
    await removeInstanceDirectory(this.options.workingDir, composeFilesIn(this.options.workingDir, stack).dir);
  }

  private services(stack: string): Promise<StackService[]> {
    return stackServices(this.options.docker, stack, this.options.socket);
  }

  private async existingServices(ref: WorkloadRef, stack: string): Promise<StackService[]> {
    await requireSwarmManager(this.options.docker, this.options.socket, ref.agentUrl);
    const services = (await this.locate(ref)) ?? [];
    if (services.length === 0) {
      throw failure(
        FailureType.WorkloadMissing,
        `stack ${stack} has no services on agent ${ref.agentUrl} (removed outside the LM); terminate the instance and submit it again`,
      );
    }
    return services;
  }
}
