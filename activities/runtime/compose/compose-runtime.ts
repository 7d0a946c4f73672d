/**
 * `docker-compose` workloads (DESIGN §5): the compose file of the service's `exec` URL, in the instance's own
 * directory, as compose project `lm-<uuid>`.
 *
 * deploy = fetch + check + `up --no-start` (containers, networks and volumes exist; nothing runs);
 * start = `up -d` then a check that no container died; stop = `stop`; remove = `down -v` (plus a sweep of
 * whatever still carries the project label) and the directory. Every step is safe to repeat.
 */
import type Docker from 'dockerode';
import { ApplicationFailure } from '@temporalio/common';
import { FailureType, NON_RETRYABLE_FAILURES } from '../../../workflows/model/failures';
import type { AgentStatus } from '../../../workflows/model/status';
import { failure } from '../../failures';
import { ensureImage } from '../docker/images';
import { workloadLabels } from '../labels';
import type { DeployedWorkload, WorkloadRef, WorkloadRuntime, WorkloadSpec } from '../workload';
import type { ComposeModel } from './check-compose-structure';
import { ComposeCli } from './compose-cli';
import { COMPOSE_SERVICE_LABEL, failedContainers, projectContainers, projectStatus, publishedHostPorts } from './compose-containers';
import { composeOverride } from './compose-override';
import { composeProjectName } from './compose-project-name';
import { hasInterpolation } from './compose-values';
import type { ComposeFetchLimits } from './fetch-compose-file';
import { composeFilesIn, composeFilesPresent, removeInstanceDirectory, type ComposeFiles } from './instance-directory';
import { KeyedLock } from './keyed-lock';
import { prepareComposeFiles } from './prepare-compose-files';
import { sweepComposeProject } from './sweep-compose-project';

export interface ComposeRuntimeOptions {
  docker: Docker;
  /** Without a request timeout: pulls take as long as they take (the activity heartbeats meanwhile). */
  pullDocker: Docker;
  socket: string;
  workingDir: string;
  allowPrivileged: boolean;
  fetchLimits: ComposeFetchLimits;
  /** Seconds compose waits for one Docker API call. */
  composeHttpTimeoutS: number;
  onProgress: (detail: string) => void;
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

  async deploy(spec: WorkloadSpec): Promise<DeployedWorkload> {
    const project = composeProjectName(spec);
    return this.lock.run(project, async () => {
      const { files, model } = await prepareComposeFiles(spec.service.exec, project, {
        workingDir: this.options.workingDir,
        allowPrivileged: this.options.allowPrivileged,
        fetchLimits: this.options.fetchLimits,
        override: (checked) => composeOverride(checked, () => ({ labels: workloadLabels(spec) })),
      });
      try {
        await this.ensureImages(model, spec.agentUrl);
        await this.cli.run(project, files, ['up', '--no-start'], spec.agentUrl, UP_TIMEOUT_MS);
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

  async start(ref: WorkloadRef): Promise<void> {
    const project = composeProjectName(ref);
    await this.lock.run(project, async () => {
      const files = await this.existingFiles(ref, project);
      await this.cli.run(project, files, ['up', '-d'], ref.agentUrl, UP_TIMEOUT_MS);
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

  async stop(ref: WorkloadRef): Promise<void> {
    const project = composeProjectName(ref);
    await this.lock.run(project, async () => {
      const files = await this.existingFiles(ref, project);
      await this.cli.run(project, files, ['stop', '--timeout', STOP_GRACE_SECONDS], ref.agentUrl, COMMAND_TIMEOUT_MS);
    });
  }

  async remove(ref: WorkloadRef): Promise<void> {
    const project = composeProjectName(ref);
    await this.lock.run(project, () => this.removeProject(project, composeFilesIn(this.options.workingDir, project), ref.agentUrl));
  }

  async observe(ref: WorkloadRef): Promise<AgentStatus> {
    const containers = await projectContainers(this.options.docker, composeProjectName(ref), this.options.socket);
    return projectStatus(containers) ?? 'error';
  }

  /** `down` when the file is there; then a label sweep, which also covers a missing file or a half-done `down`. */
  private async removeProject(project: string, files: ComposeFiles, agent: string): Promise<void> {
    if (await composeFilesPresent(files)) {
      await this.cli
        .run(project, files, ['down', '--volumes', '--remove-orphans', '--timeout', STOP_GRACE_SECONDS], agent, COMMAND_TIMEOUT_MS)
        .catch(() => undefined); // the sweep below removes what down could not, or fails with the real reason
    }
    await sweepComposeProject(this.options.docker, project, this.options.socket);
    await removeInstanceDirectory(this.options.workingDir, files.dir);
  }

  /** Images named by the file, pulled up front so a missing one fails clearly (and the pull heartbeats). */
  private async ensureImages(model: ComposeModel, agent: string): Promise<void> {
    const images = new Set<string>();
    for (const service of Object.values(model.services)) {
      // Services that build, or whose image compose interpolates, are left to compose.
      if (typeof service.image === 'string' && service.build === undefined && !hasInterpolation(service.image)) images.add(service.image);
    }
    for (const image of images) await ensureImage(this.options.pullDocker, image, agent, this.options.socket, this.options.onProgress);
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
