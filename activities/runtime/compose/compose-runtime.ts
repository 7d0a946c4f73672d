/**
 * `docker-compose` workloads (DESIGN §5): the compose file of the service's `exec` URL, in the instance's own
 * directory, as compose project `lm-<uuid>`.
 *
 * deploy = fetch + check + `up --no-start` (containers, networks and volumes exist; nothing runs);
 * start = the files checked against their seal (compose-file-seal.ts), `up -d`, then a check that no container
 * died; stop = `stop`; remove = `down -v` (plus a sweep of whatever still carries the project label) and the
 * directory; a project its engine's restart left exited is started again as start does it. Every step is safe to
 * repeat.
 */
import type Docker from 'dockerode';
import { ApplicationFailure } from '@temporalio/common';
import { FailureType, NON_RETRYABLE_FAILURES } from '../../../workflows/model/failures';
import type { AgentStatus } from '../../../workflows/model/status';
import { failure } from '../../failures';
import { engineStartedAt, leftExitedByEngineRestart, startAgainAfterEngineRestart } from '../docker/engine-restart';
import { DEFAULT_PULL_LIMITS, ensureImage, type PullLimits } from '../docker/images';
import { homeContainers } from '../docker/labelled-containers';
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
import { DETACHED_CALL, throwIfAborted } from '../cancellation';
import {
  NOT_LEFT,
  type DeployedWorkload,
  type EngineRestartRecovery,
  type InstanceHome,
  type LabelledWorkload,
  type RuntimeCall,
  type WorkloadRef,
  type WorkloadRuntime,
  type WorkloadSpec,
} from '../workload';
import type { ComposeModel } from './check-compose-structure';
import { ComposeCli } from './compose-cli';
import {
  COMPOSE_PROJECT_LABEL,
  COMPOSE_SERVICE_LABEL,
  failedContainers,
  inspectProjectContainer,
  projectContainers,
  projectStatus,
  publishedHostPorts,
} from './compose-containers';
import { assertComposeFilesSealed, sealBroken, type SealCheckOptions } from './compose-file-seal';
import { composeOverride } from './compose-override';
import { hasInterpolation } from './compose-values';
import type { ComposeFetchLimits } from './fetch-compose-file';
import { composeFilesIn, composeFilesPresent, removeInstanceDirectory, type ComposeFiles } from './instance-directory';
import { KeyedLock } from './keyed-lock';
import { prepareComposeFiles } from './prepare-compose-files';
import { sweepComposeProject } from './sweep-compose-project';

export interface ComposeRuntimeOptions {
  docker: Docker;
  /** Without a request timeout: a pull is bounded by `pullLimits`. */
  pullDocker: Docker;
  socket: string;
  workingDir: string;
  allowPrivileged: boolean;
  fetchLimits: ComposeFetchLimits;
  /** Seconds compose waits for one Docker API call. */
  composeHttpTimeoutS: number;
  pullLimits?: PullLimits;
}

/** `up` may build images; the activity's start-to-close timeout (10 min) is the outer bound. */
const UP_TIMEOUT_MS = 9 * 60_000;
const COMMAND_TIMEOUT_MS = 3 * 60_000;
const STOP_GRACE_SECONDS = '10';

export class ComposeRuntime implements WorkloadRuntime {
  private readonly cli: ComposeCli;
  private readonly lock = new KeyedLock();

  constructor(private readonly options: ComposeRuntimeOptions) {
    this.cli = new ComposeCli({ socket: options.socket, httpTimeoutS: options.composeHttpTimeoutS });
  }

  async deploy(spec: WorkloadSpec, call: RuntimeCall = DETACHED_CALL): Promise<DeployedWorkload> {
    const project = composeProjectName(spec);
    return this.lock.run(project, async () => {
      // compose would take over containers of a project of that name that someone else made.
      await this.locate({ ...spec, container_id: '-', ports: [], agent_param: '-' });
      const { files, model } = await prepareComposeFiles(spec.service.exec, project, {
        workingDir: this.options.workingDir,
        allowPrivileged: this.options.allowPrivileged,
        fetchLimits: this.options.fetchLimits,
        override: (checked) => composeOverride(checked, () => ({ labels: workloadLabels(spec) })),
      });
      try {
        await this.ensureImages(model, spec.agentUrl, call);
        await this.cli.run(project, files, ['up', '--no-start'], spec.agentUrl, UP_TIMEOUT_MS, call.signal);
        const containers = await projectContainers(this.options.docker, project, this.options.socket);
        const ports = await publishedHostPorts(this.options.docker, containers, this.options.socket);
        return { container_id: project, ports, agent_param: files.dir };
      } catch (err) {
        // A deploy that will not be retried leaves nothing behind: the workflow never removes an undeployed agent.
        if (err instanceof ApplicationFailure && NON_RETRYABLE_FAILURES.includes(err.type ?? '')) {
          await this.removeProject(project, files, spec.agentUrl).catch(() => undefined);
        }
        throw err;
      }
    });
  }

  async start(ref: WorkloadRef, call: RuntimeCall = DETACHED_CALL): Promise<void> {
    const project = composeProjectName(ref);
    await this.lock.run(project, async () => {
      await this.locate(ref);
      const files = await this.existingFiles(ref, project);
      // A container that mounts the instance directory can rewrite the files, or plant links, between two `up`s.
      await assertComposeFilesSealed(files, 'start', this.sealOptions(project, ref.agentUrl));
      await this.cli.run(project, files, ['up', '-d'], ref.agentUrl, UP_TIMEOUT_MS, call.signal);
      const containers = await projectContainers(this.options.docker, project, this.options.socket);
      if (containers.length === 0) throw this.missing(ref, project);
      const failed = failedContainers(containers);
      if (failed.length > 0) {
        const which = failed.map((c) => `${c.Labels[COMPOSE_SERVICE_LABEL] ?? c.Names[0]} (${c.Status})`).join(', ');
        throw failure(
          FailureType.WorkloadExited,
          `compose project ${project} on agent ${ref.agentUrl} started, but ${which} stopped right away; see "docker logs" of those containers`,
        );
      }
    });
  }

  async stop(ref: WorkloadRef, call: RuntimeCall = DETACHED_CALL): Promise<void> {
    const project = composeProjectName(ref);
    await this.lock.run(project, async () => {
      if ((await this.locate(ref)) === null) throw this.missing(ref, project);
      const files = await this.existingFiles(ref, project);
      await this.cli.run(project, files, ['stop', '--timeout', STOP_GRACE_SECONDS], ref.agentUrl, COMMAND_TIMEOUT_MS, call.signal);
    });
  }

  async remove(ref: WorkloadRef, call: RuntimeCall = DETACHED_CALL): Promise<void> {
    const project = composeProjectName(ref);
    await this.lock.run(project, async () => {
      await this.locate(ref);
      await this.removeProject(project, composeFilesIn(this.options.workingDir, project), ref.agentUrl, call.signal);
    });
  }

  async observe(ref: WorkloadRef): Promise<AgentStatus> {
    const containers = await this.locate(ref);
    return containers === null ? 'error' : (projectStatus(containers) ?? 'error');
  }

  /**
   * A started project found with nothing running: when its engine's restart left any of its containers exited, the
   * project is started again as a start would (`up -d`, its files checked against their seal); when all of them
   * ended while the engine stayed up, the instance reports it. Idempotent: a retry finds it running.
   */
  async startIfLeftByEngineRestart(ref: WorkloadRef, call: RuntimeCall = DETACHED_CALL): Promise<EngineRestartRecovery> {
    const containers = await this.locate(ref);
    if (containers === null) return NOT_LEFT;
    if (projectStatus(containers) === 'started') return { outcome: 'running' };
    const engineStart = await engineStartedAt(this.options.docker, this.options.socket);
    if (engineStart === null) return NOT_LEFT;
    const inspected = await Promise.all(
      containers.filter((c) => c.State !== 'running').map((c) => inspectProjectContainer(this.options.docker, c, this.options.socket)),
    );
    if (!inspected.some((info) => leftExitedByEngineRestart(info, engineStart))) return NOT_LEFT;
    return startAgainAfterEngineRestart(engineStart, call, () => this.start(ref, call));
  }

  identify(ref: WorkloadRef): Promise<WorkloadRef | null> {
    return identifyOwned(ref, this.lookup);
  }

  /** One workload per compose project, as old as its oldest container, in the state its containers add up to. */
  async labelled(home: InstanceHome): Promise<LabelledWorkload[]> {
    const projects = new Map<string, LabelledWorkload>();
    const containersOf = new Map<string, Docker.ContainerInfo[]>();
    for (const container of await homeContainers(this.options.docker, home, this.options.socket)) {
      const project = container.Labels[COMPOSE_PROJECT_LABEL];
      const identity = identityOf(container.Labels);
      if (container.Labels[LABEL_EXEC_TYPE] !== 'docker-compose' || project === undefined || identity === null) continue;
      const ref = refOfIdentity(identity, 'docker-compose', { container_id: project });
      if (ref.name !== project) continue;
      const createdAt = Math.min(container.Created * 1000, projects.get(project)?.createdAt ?? Infinity);
      projects.set(project, { ref, createdAt, describe: `compose project ${project}` });
      containersOf.set(project, [...(containersOf.get(project) ?? []), container]);
    }
    return [...projects.entries()].map(([project, workload]) => ({
      ...workload,
      observed: projectStatus(containersOf.get(project) ?? []) ?? 'error',
    }));
  }

  /** A compose project is the LM's when every container of it carries the instance's labels. */
  private readonly lookup: OwnedLookup<Docker.ContainerInfo[]> = {
    kind: 'compose project',
    find: async (project) => {
      const containers = await projectContainers(this.options.docker, project, this.options.socket);
      return containers.length === 0 ? null : containers;
    },
    labelsOf: (containers) => containers.map((c) => c.Labels),
  };

  /** The project's containers; null when it has none. Refuses a project whose containers are not the instance's. */
  private locate(ref: WorkloadRef): Promise<Docker.ContainerInfo[] | null> {
    return findOwned({ ...ref, name: composeProjectName(ref) }, this.lookup);
  }

  /**
   * `down` when the files are there and still the sealed ones (a rewritten file could name volumes that are not
   * the instance's); then a label sweep, which also covers a missing or refused file or a half-done `down`.
   */
  private async removeProject(project: string, files: ComposeFiles, agent: string, signal?: AbortSignal): Promise<void> {
    if ((await composeFilesPresent(files)) && (await sealBroken(files, this.sealOptions(project, agent))) === null) {
      await this.cli
        .run(project, files, ['down', '--volumes', '--remove-orphans', '--timeout', STOP_GRACE_SECONDS], agent, COMMAND_TIMEOUT_MS, signal)
        .catch(() => undefined); // the sweep below removes what down could not, or fails with the real reason
    }
    if (signal) throwIfAborted(signal);
    await sweepComposeProject(this.options.docker, project, this.options.socket);
    await removeInstanceDirectory(this.options.workingDir, files.dir);
  }

  /** Images named by the file, pulled up front so a missing one fails clearly (and the pull heartbeats). */
  private async ensureImages(model: ComposeModel, agent: string, call: RuntimeCall): Promise<void> {
    const images = new Set<string>();
    for (const service of Object.values(model.services)) {
      // Services that build, or whose image compose interpolates, are left to compose.
      if (typeof service.image === 'string' && service.build === undefined && !hasInterpolation(service.image)) images.add(service.image);
    }
    const limits = this.options.pullLimits ?? DEFAULT_PULL_LIMITS;
    for (const image of images) {
      await ensureImage(image, {
        docker: this.options.pullDocker,
        socket: this.options.socket,
        agent,
        limits,
        signal: call.signal,
        onProgress: call.progress?.bind(call),
      });
    }
  }

  private sealOptions(project: string, agent: string): SealCheckOptions {
    return { allowPrivileged: this.options.allowPrivileged, project, agent: `agent ${agent}` };
  }

  private async existingFiles(ref: WorkloadRef, project: string): Promise<ComposeFiles> {
    const files = composeFilesIn(this.options.workingDir, project);
    if (!(await composeFilesPresent(files))) {
      throw failure(
        FailureType.WorkloadMissing,
        `the compose files of project ${project} are gone from ${files.dir} on agent ${ref.agentUrl} (removed outside the LM); terminate the instance and submit it again`,
      );
    }
    return files;
  }

  private missing(ref: WorkloadRef, project: string): Error {
    return failure(
      FailureType.WorkloadMissing,
      `compose project ${project} has no containers on agent ${ref.agentUrl} (removed outside the LM); terminate the instance and submit it again`,
    );
  }
}
