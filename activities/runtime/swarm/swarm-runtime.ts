/**
 * `docker-swarm` workloads (DESIGN §5): one replicated swarm service per agent, on the agent's swarm manager.
 * Deploy creates it with 0 replicas; start scales it to `num_agents` (or 1) and waits for running tasks; stop
 * scales it to 0 and waits for its tasks to end; remove deletes it. Fixes C2 of spec/original-lm.md §13: deploy
 * answers the service, start really starts and stop really stops (the original deleted the service).
 */
import type Docker from 'dockerode';
import type { ApplicationFailure } from '@temporalio/common';
import { FailureType } from '../../../workflows/model/failures';
import type { AgentStatus } from '../../../workflows/model/status';
import { failure } from '../../failures';
import { dockerStatus } from '../docker/docker-errors';
import { homeFilters } from '../docker/labelled-containers';
import {
  belongsTo,
  findOwned,
  identifyOwned,
  identityOf,
  LABEL_AGENT_INDEX,
  LABEL_EXEC_TYPE,
  LABEL_INSTANCE,
  refOfIdentity,
  type OwnedLookup,
} from '../labels';
import { pollUntil, sleep } from '../poll-until';
import { targetReplicas } from '../target-replicas';
import { DETACHED_CALL } from '../cancellation';
import type {
  DeployedWorkload,
  InstanceHome,
  LabelledWorkload,
  RuntimeCall,
  WorkloadRef,
  WorkloadRuntime,
  WorkloadSpec,
} from '../workload';
import { replicasOf, type SwarmServiceInfo, type SwarmTask } from './swarm-api-types';
import { classifySwarmError, portInUse } from './swarm-errors';
import { assertSwarmManager } from './swarm-manager-check';
import { swarmRole } from './swarm-role';
import { swarmObservedStatus } from './swarm-observed-status';
import { allocateHostPorts } from '../docker/allocate-host-ports';
import { handOverToDocker, hostPortLock, reservedHostPorts } from '../docker/host-port-reservations';
import { publishedPortsOf, recordedReplicas, swarmServiceSpec } from './swarm-service-spec';
import { scaleSwarmService } from './scale-swarm-service';
import { notRunningInTime, taskFailure } from './task-failure';
import { startVerdict, summariseTasks, type TaskSummary } from './task-summary';

export interface SwarmRuntimeOptions {
  docker: Docker;
  socket: string;
  /** Longest wait for the tasks to run after a scale up (image pulls on the nodes happen in it). */
  startTimeoutMs?: number;
  /** Longest wait for the tasks to end after a scale down or a removal. */
  stopTimeoutMs?: number;
  /** How long the tasks must keep running before the service counts as started. */
  settleMs?: number;
  pollMs?: number;
}

const DEFAULTS = { startTimeoutMs: 180_000, stopTimeoutMs: 60_000, settleMs: 1_000, pollMs: 500 };
/** Docker refused the chosen ports because another service took them meanwhile: choose again, a few times. */
const PORT_ATTEMPTS = 3;

export class SwarmRuntime implements WorkloadRuntime {
  private readonly timing: typeof DEFAULTS;

  constructor(private readonly options: SwarmRuntimeOptions) {
    this.timing = {
      startTimeoutMs: options.startTimeoutMs ?? DEFAULTS.startTimeoutMs,
      stopTimeoutMs: options.stopTimeoutMs ?? DEFAULTS.stopTimeoutMs,
      settleMs: options.settleMs ?? DEFAULTS.settleMs,
      pollMs: options.pollMs ?? DEFAULTS.pollMs,
    };
  }

  async deploy(spec: WorkloadSpec): Promise<DeployedWorkload> {
    await assertSwarmManager(this.options.docker, this.options.socket, spec.agentUrl);
    const existing = await this.adoptable(spec);
    if (existing) return existing;
    // Choosing published ports and creating the service that holds them is one step, shared with containers.
    return hostPortLock.runExclusive(async () => {
      // A zombie attempt may have created it while this one waited for the lock.
      const raced = await this.adoptable(spec);
      if (raced) return raced;
      return this.create(spec);
    });
  }

  async start(ref: WorkloadRef, call: RuntimeCall = DETACHED_CALL): Promise<void> {
    const current = await this.inspect(ref);
    const target = recordedReplicas(current.Spec.Labels) ?? targetReplicas(ref.service);
    const scaled = await this.scale(current.ID, ref, target);
    const outcome = await pollUntil(
      async () => {
        const verdict = startVerdict(await this.tasksOf(ref, scaled), target);
        if (verdict.kind === 'waiting') return { done: false, seen: verdict.detail };
        if (verdict.kind === 'failed') return { done: true, value: taskFailure(ref, verdict.problem) };
        // Tasks that crash at once are briefly "running": they count only if they still run a moment later.
        await sleep(this.timing.settleMs, call.signal);
        const settled = startVerdict(await this.tasksOf(ref, scaled), target);
        if (settled.kind === 'running') return { done: true, value: null };
        if (settled.kind === 'failed') return { done: true, value: taskFailure(ref, settled.problem) };
        return { done: false, seen: settled.detail };
      },
      { timeoutMs: this.timing.startTimeoutMs, everyMs: this.timing.pollMs, signal: call.signal },
    );
    const problem = outcome.settled ? outcome.value : notRunningInTime(ref, target, this.timing.startTimeoutMs, outcome.lastSeen);
    if (problem === null) return;
    // Swarm would retry the failing tasks forever: scale back so what runs matches the reported error.
    await this.scale(current.ID, ref, 0).catch(() => undefined);
    throw problem;
  }

  async stop(ref: WorkloadRef, call: RuntimeCall = DETACHED_CALL): Promise<void> {
    const scaled = await this.scale((await this.inspect(ref)).ID, ref, 0);
    const outcome = await pollUntil(
      async () => {
        const tasks = await this.tasksOf(ref, scaled);
        return tasks.active === 0 ? { done: true, value: null } : { done: false, seen: tasks.detail };
      },
      { timeoutMs: this.timing.stopTimeoutMs, everyMs: this.timing.pollMs, signal: call.signal },
    );
    if (!outcome.settled) {
      throw failure(
        FailureType.RuntimeUnavailable,
        `swarm service ${ref.name} on agent ${ref.agentUrl} still has tasks ${Math.round(this.timing.stopTimeoutMs / 1000)} s ` +
          `after scaling to 0 (${outcome.lastSeen}); the swarm is slow or a node is unreachable`,
      );
    }
  }

  async remove(ref: WorkloadRef, call: RuntimeCall = DETACHED_CALL): Promise<void> {
    // Outside a swarm no service can be there; a worker cannot see them and says so.
    const role = await swarmRole(this.options.docker, this.options.socket);
    if (role === 'inactive') return;
    if (role === 'worker') await assertSwarmManager(this.options.docker, this.options.socket, ref.agentUrl);
    const service = await this.locate(ref);
    if (service !== null) {
      try {
        await this.options.docker.getService(service.ID).remove();
      } catch (err) {
        if (dockerStatus(err) !== 404) throw this.classify(err, `remove swarm service ${ref.name}`, ref);
      }
    }
    // The service goes at once, its containers a little later: removed means nothing of it runs any more.
    const outcome = await pollUntil(
      async () => {
        const left = await this.containersOf(ref);
        return left === 0 ? { done: true, value: null } : { done: false, seen: `${left} container(s) left` };
      },
      { timeoutMs: this.timing.stopTimeoutMs, everyMs: this.timing.pollMs, signal: call.signal },
    );
    if (!outcome.settled) {
      throw failure(
        FailureType.RuntimeUnavailable,
        `swarm service ${ref.name} on agent ${ref.agentUrl} is removed but ${outcome.lastSeen} after ` +
          `${Math.round(this.timing.stopTimeoutMs / 1000)} s; the swarm is slow or a node is unreachable`,
      );
    }
  }

  async observe(ref: WorkloadRef): Promise<AgentStatus> {
    let service: SwarmServiceInfo;
    try {
      service = await this.inspect(ref);
    } catch (err) {
      // Gone or refused: error; engine not reachable: unknown (the original's "??").
      const type = (err as Partial<ApplicationFailure> | null)?.type;
      if (type === FailureType.RuntimeUnavailable) return 'unknown';
      if (type !== undefined) return 'error';
      throw err;
    }
    return swarmObservedStatus({
      desired: replicasOf(service),
      everScaled: service.PreviousSpec !== undefined,
      tasks: await this.tasksOf(ref, service),
    });
  }

  identify(ref: WorkloadRef): Promise<WorkloadRef | null> {
    return identifyOwned(ref, this.lookup);
  }

  async labelled(home: InstanceHome): Promise<LabelledWorkload[]> {
    if ((await swarmRole(this.options.docker, this.options.socket)) !== 'manager') return [];
    let services: SwarmServiceInfo[];
    try {
      services = (await this.options.docker.listServices({ filters: { label: homeFilters(home) } })) as SwarmServiceInfo[];
    } catch (err) {
      throw classifySwarmError(err, 'list the LM swarm services', this.options.socket, '');
    }
    const found: LabelledWorkload[] = [];
    for (const service of services) {
      const identity = identityOf(service.Spec.Labels);
      if (service.Spec.Labels?.[LABEL_EXEC_TYPE] !== 'docker-swarm' || identity === null) continue;
      found.push({
        ref: refOfIdentity(identity, 'docker-swarm', { container_id: service.ID }),
        createdAt: Date.parse(service.CreatedAt) || 0,
        describe: `swarm service ${service.Spec.Name ?? service.ID}`,
      });
    }
    return found;
  }

  /** Swarm services by id or name, judged by their labels. */
  private readonly lookup: OwnedLookup<SwarmServiceInfo> = {
    kind: 'swarm service',
    find: async (key) => {
      try {
        return (await this.options.docker.getService(key).inspect()) as SwarmServiceInfo;
      } catch (err) {
        if (dockerStatus(err) === 404) return null;
        throw classifySwarmError(err, `inspect swarm service ${key}`, this.options.socket, '');
      }
    },
    labelsOf: (service) => [service.Spec.Labels],
  };

  private locate(ref: WorkloadRef): Promise<SwarmServiceInfo | null> {
    return findOwned(ref, this.lookup);
  }

  private async create(spec: WorkloadSpec): Promise<DeployedWorkload> {
    const refused = new Set<number>();
    for (let attempt = 1; ; attempt += 1) {
      const mappings = await allocateHostPorts(this.options.docker, spec.service.exec_ports, new Set([...refused, ...reservedHostPorts]));
      try {
        const service = await this.options.docker.createService(swarmServiceSpec(spec, mappings));
        const ports = mappings.map((m) => m.host);
        // A container deploy reading Docker outside the lock since before this service existed cannot see its ports.
        handOverToDocker(ports);
        return { container_id: service.id, ports, agent_param: '-' };
      } catch (err) {
        const status = dockerStatus(err);
        if (status === 409) {
          // Another attempt (another LM process) created it first: adopt it if it is ours.
          const adopted = await this.adoptable(spec);
          if (adopted) return adopted;
        }
        const taken = portInUse(err);
        if (taken !== null && attempt < PORT_ATTEMPTS) {
          refused.add(taken);
          continue;
        }
        throw this.classify(err, `create swarm service ${spec.name} from ${spec.service.exec}`, spec);
      }
    }
  }

  /** The service a previous attempt made, if any; a same-named service of someone else is an error. */
  private async adoptable(spec: WorkloadSpec): Promise<DeployedWorkload | null> {
    let service: SwarmServiceInfo;
    try {
      service = (await this.options.docker.getService(spec.name).inspect()) as SwarmServiceInfo;
    } catch (err) {
      if (dockerStatus(err) === 404) return null;
      throw this.classify(err, `look up swarm service ${spec.name}`, spec);
    }
    if (!belongsTo(service.Spec.Labels, spec)) {
      throw failure(
        FailureType.InvalidSpec,
        `a swarm service named ${spec.name} exists on agent ${spec.agentUrl} but was not made for this instance; ` +
          `remove it ("docker service rm ${spec.name}")`,
      );
    }
    return { container_id: service.ID, ports: publishedPortsOf(service.Spec), agent_param: '-' };
  }

  private async inspect(ref: WorkloadRef): Promise<SwarmServiceInfo> {
    const service = await this.locate(ref);
    if (service === null) throw this.missing(ref);
    return service;
  }

  private async scale(serviceId: string, ref: WorkloadRef, replicas: number): Promise<SwarmServiceInfo> {
    try {
      return await scaleSwarmService(this.options.docker, serviceId, replicas);
    } catch (err) {
      if (dockerStatus(err) === 404) throw this.missing(ref);
      throw this.classify(err, `scale swarm service ${ref.name} to ${replicas}`, ref);
    }
  }

  private async tasksOf(ref: WorkloadRef, service: SwarmServiceInfo): Promise<TaskSummary> {
    try {
      const tasks = (await this.options.docker.listTasks({ filters: { service: [service.ID] } })) as SwarmTask[];
      return summariseTasks(tasks, service.UpdatedAt);
    } catch (err) {
      throw this.classify(err, `list the tasks of swarm service ${ref.name}`, ref);
    }
  }

  /** The task containers of the workload, by the labels the service gives them (its id may never have been recorded). */
  private async containersOf(ref: WorkloadRef): Promise<number> {
    try {
      const filters = {
        label: [`${LABEL_INSTANCE}=${ref.instanceUuid}`, `${LABEL_AGENT_INDEX}=${ref.agentIndex}`, `${LABEL_EXEC_TYPE}=docker-swarm`],
      };
      return (await this.options.docker.listContainers({ all: true, filters })).length;
    } catch (err) {
      throw this.classify(err, `list the containers of swarm service ${ref.name}`, ref);
    }
  }

  private classify(err: unknown, what: string, spec: WorkloadSpec): Error {
    return classifySwarmError(err, what, this.options.socket, spec.agentUrl);
  }

  private missing(ref: WorkloadRef): Error {
    return failure(
      FailureType.WorkloadMissing,
      `swarm service ${ref.name} no longer exists on agent ${ref.agentUrl} (removed outside the LM); terminate the instance and submit it again`,
    );
  }
}
