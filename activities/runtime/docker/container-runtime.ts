/**
 * `docker` and `compss` workloads: one container per agent (DESIGN §5).
 * COMPSs containers get the original's environment and keep their REST port (46100) on the host.
 */
import type Docker from 'dockerode';
import { FailureType } from '../../../workflows/model/failures';
import type { AgentStatus } from '../../../workflows/model/status';
import { failure } from '../../failures';
import { belongsTo, findOwned, identifyOwned, workloadLabels, type OwnedLookup } from '../labels';
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
import { labelledContainers } from './labelled-containers';
import { reserveHostPorts } from './allocate-host-ports';
import { killSignalsSince } from './container-events';
import { classifyDockerError, classifyEarlyExit, dockerStatus, needsNewContainer } from './docker-errors';
import { inspectedStatus } from './container-status';
import { engineStartedAt, leftExitedByEngineRestart, startAgainAfterEngineRestart } from './engine-restart';
import { HOST_PORTS_LABEL, parsePortsLabel } from './host-ports';
import { handOverToDocker, releaseReservation } from './host-port-reservations';
import { watchExits, type ExitWatch } from './exit-watch';
import { DEFAULT_PULL_LIMITS, ensureImage, type PullLimits } from './images';
import type { PortMapping } from './port-rule';

export interface ContainerRuntimeOptions {
  docker: Docker;
  /** Without a request timeout: a pull is bounded by `pullLimits`. */
  pullDocker: Docker;
  socket: string;
  hostIp: string;
  cimiUrl: string | null;
  compss: { port: number; dataclayEp: string; network: string };
  pullLimits?: PullLimits;
  /** LM_MIN_RUN_MS: how long a started container must run without dying before its start counts; 0: not waited for. */
  minRunMs: number;
}

/** Network the original joins COMPSs containers to when it exists. */
const MF2C_NETWORK = 'mf2c_default';
const STOP_GRACE_SECONDS = 10;
/** Survives a reboot of the agent or of its Docker engine, as a service should; set when the container is made. */
const RESTART_POLICY = 'unless-stopped';
/** How many times a start may make its container again (host port taken meanwhile, stale containerd task). */
const MAX_REMAKES = 3;

export class ContainerRuntime implements WorkloadRuntime {
  constructor(private readonly options: ContainerRuntimeOptions) {}

  async deploy(spec: WorkloadSpec, call: RuntimeCall = DETACHED_CALL): Promise<DeployedWorkload> {
    const existing = await this.adoptable(spec);
    if (existing) return existing;
    await ensureImage(spec.service.exec, {
      docker: this.options.pullDocker,
      socket: this.options.socket,
      agent: spec.agentUrl,
      limits: this.options.pullLimits ?? DEFAULT_PULL_LIMITS,
      signal: call.signal,
      onProgress: call.progress?.bind(call),
    });
    throwIfAborted(call.signal);
    const mappings = await this.portsFor(spec);
    const hosts = mappings.map((m) => m.host);
    let created = false;
    try {
      const raced = await this.adoptable(spec);
      if (raced) return raced;
      const container = await this.create(spec, mappings);
      created = true;
      if (spec.service.exec_type === 'compss') await this.joinNetworkIfPresent(container, MF2C_NETWORK);
      return { container_id: container.id, ports: hosts, agent_param: '-' };
    } finally {
      // Once created, the container's label holds its ports; until then the reservation does.
      if (created) handOverToDocker(hosts);
      else releaseReservation(hosts);
    }
  }

  start(ref: WorkloadRef, call: RuntimeCall = DETACHED_CALL): Promise<DeployedWorkload | void> {
    return this.startMoving(ref, call, MAX_REMAKES);
  }

  private async startMoving(ref: WorkloadRef, call: RuntimeCall, remakesLeft: number): Promise<DeployedWorkload | void> {
    const found = await this.locate(ref);
    if (found === null) throw this.missing(ref);
    const container = this.options.docker.getContainer(found.Id);
    // Made before the policy was set at creation: it gets it once.
    if (found.HostConfig.RestartPolicy?.Name !== RESTART_POLICY) await this.setRestartPolicy(found.Id, ref);
    // Running after crashes Docker restarted it from: started again by the LM, its minimum run time counting from now.
    const crashed = found.State.Running && found.RestartCount > 0;
    if (crashed) await this.stop(ref);
    // Subscribed before the start, so that a death right after it is seen; one running already has nothing to prove.
    const exits = this.options.minRunMs > 0 && (crashed || !found.State.Running) ? await watchExits(this.options.docker, found.Id) : null;
    const startedAtMs = Date.now();
    try {
      try {
        await container.start();
      } catch (err) {
        const status = dockerStatus(err);
        if (status === 404) throw this.missing(ref);
        if (needsNewContainer(err) !== null && remakesLeft > 0) return await this.remake(ref, call, remakesLeft - 1);
        if (status !== 304) throw classifyDockerError(err, `start container ${ref.name}`, this.options.socket);
      }
      if (this.options.compss.network !== 'not-defined') await this.joinNetworkIfPresent(container, this.options.compss.network);
      if (exits !== null) await this.assertStaysUp(found.Id, ref, exits, startedAtMs, call.signal);
    } finally {
      exits?.close();
    }
    // Found by name, not by the recorded id: a remake cut short made it; the caller records where it now is.
    if (found.Id !== ref.container_id)
      return { container_id: found.Id, ports: parsePortsLabel(found.Config.Labels[HOST_PORTS_LABEL]), agent_param: '-' };
  }

  /**
   * A container the engine cannot start as it is: Docker binds host ports only at start, and something else may
   * have taken one since deploy; or containerd kept a task of a start that dockerd's restart cut short. The
   * container holds no state yet worth keeping, so it is made again (on free ports, with a new id), and the
   * caller learns where it now is.
   */
  private async remake(ref: WorkloadRef, call: RuntimeCall, remakesLeft: number): Promise<DeployedWorkload> {
    await this.remove(ref);
    const remade = await this.deploy(ref, call);
    return (await this.startMoving({ ...ref, ...remade }, call, remakesLeft)) ?? remade;
  }

  private async setRestartPolicy(id: string, ref: WorkloadRef): Promise<void> {
    try {
      await this.options.docker.getContainer(id).update({ RestartPolicy: { Name: RESTART_POLICY } });
    } catch (err) {
      if (dockerStatus(err) === 404) throw this.missing(ref);
      throw classifyDockerError(err, `set the restart policy of ${ref.name}`, this.options.socket);
    }
  }

  /**
   * A container whose command fails at once must not count as started: it must run LM_MIN_RUN_MS without a `die`
   * (the wait ends at the first one). One that ended on its own is then stopped, so its restart policy does not run
   * it in a loop; one the engine killed meanwhile (dockerd shutting down, a `docker stop`) is started again.
   */
  private async assertStaysUp(id: string, ref: WorkloadRef, exits: ExitWatch, startedAtMs: number, signal: AbortSignal): Promise<void> {
    const died = await exits.exitWithin(this.options.minRunMs, signal);
    const info = await this.inspect(id, ref);
    // No `die` seen, yet restarted or down: the event stream missed it; the inspect does not.
    if (died === null && info.State.Running && !info.State.Restarting && info.RestartCount === 0) return;
    // Read before the stop below, whose own kill must not count as the engine's.
    let killSignals: string[];
    try {
      killSignals = await killSignalsSince(this.options.docker, id, startedAtMs);
    } catch (err) {
      throw classifyDockerError(err, `read the events of container ${ref.name}`, this.options.socket);
    }
    await this.options.docker
      .getContainer(id)
      .stop({ t: 0 })
      .catch(() => undefined);
    throw classifyEarlyExit(ref.name, ref.agentUrl, { exitCode: died ?? info.State.ExitCode, error: info.State.Error, killSignals });
  }

  async stop(ref: WorkloadRef): Promise<void> {
    const found = await this.locate(ref);
    if (found === null) throw this.missing(ref);
    try {
      await this.options.docker.getContainer(found.Id).stop({ t: STOP_GRACE_SECONDS });
    } catch (err) {
      const status = dockerStatus(err);
      if (status === 404) throw this.missing(ref);
      if (status !== 304) throw classifyDockerError(err, `stop container ${ref.name}`, this.options.socket);
    }
  }

  async remove(ref: WorkloadRef): Promise<void> {
    const found = await this.locate(ref);
    if (found === null) return;
    try {
      await this.options.docker.getContainer(found.Id).remove({ force: true, v: true });
    } catch (err) {
      const status = dockerStatus(err);
      // 409: removal already in progress; the next attempt sees 404.
      if (status === 404) return;
      throw classifyDockerError(err, `remove container ${ref.name}`, this.options.socket);
    }
  }

  async observe(ref: WorkloadRef): Promise<AgentStatus> {
    const info = await this.locate(ref);
    // Removed behind the LM's back: the agent is broken, not stopped.
    return info === null ? 'error' : inspectedStatus(info);
  }

  /**
   * A container of a started instance that the engine's restart left exited is started again, as its restart
   * policy meant it to be; one stopped while the engine stayed up (by hand: a crash is restarted by the policy) is
   * left to the instance to report. Idempotent: a retry finds it running.
   */
  async startIfLeftByEngineRestart(ref: WorkloadRef, call: RuntimeCall = DETACHED_CALL): Promise<EngineRestartRecovery> {
    const found = await this.locate(ref);
    if (found === null) return NOT_LEFT;
    if (found.State.Running) return { outcome: 'running' };
    const engineStart = await engineStartedAt(this.options.docker, this.options.socket);
    if (engineStart === null || !leftExitedByEngineRestart(found, engineStart)) return NOT_LEFT;
    return startAgainAfterEngineRestart(engineStart, call, () => this.start(ref, call));
  }

  identify(ref: WorkloadRef): Promise<WorkloadRef | null> {
    return identifyOwned(ref, this.lookup);
  }

  async labelled(home: InstanceHome): Promise<LabelledWorkload[]> {
    return labelledContainers(this.options.docker, home, ['docker', 'compss'], this.options.socket);
  }

  /** Containers by id or name, judged by their labels. */
  private readonly lookup: OwnedLookup<Docker.ContainerInspectInfo> = {
    kind: 'container',
    find: async (key) => {
      try {
        return await this.options.docker.getContainer(key).inspect();
      } catch (err) {
        if (dockerStatus(err) === 404) return null;
        throw classifyDockerError(err, `inspect container ${key}`, this.options.socket);
      }
    },
    labelsOf: (info) => [info.Config.Labels],
  };

  private locate(ref: WorkloadRef): Promise<Docker.ContainerInspectInfo | null> {
    return findOwned(ref, this.lookup);
  }

  private async inspect(id: string, ref: WorkloadRef): Promise<Docker.ContainerInspectInfo> {
    try {
      return await this.options.docker.getContainer(id).inspect();
    } catch (err) {
      if (dockerStatus(err) === 404) throw this.missing(ref);
      throw classifyDockerError(err, `inspect container ${ref.name}`, this.options.socket);
    }
  }

  /** The container a previous attempt made, if any; a same-named container of someone else is an error. */
  private async adoptable(spec: WorkloadSpec): Promise<DeployedWorkload | null> {
    let info: Docker.ContainerInspectInfo;
    try {
      info = await this.options.docker.getContainer(spec.name).inspect();
    } catch (err) {
      if (dockerStatus(err) === 404) return null;
      throw classifyDockerError(err, `look up container ${spec.name}`, this.options.socket);
    }
    if (!belongsTo(info.Config.Labels, spec)) {
      throw failure(
        FailureType.InvalidSpec,
        `a container named ${spec.name} exists on agent ${spec.agentUrl} but was not made for this instance; remove it`,
      );
    }
    return { container_id: info.Id, ports: parsePortsLabel(info.Config.Labels[HOST_PORTS_LABEL]), agent_param: '-' };
  }

  /** Chosen and reserved (see reserveHostPorts): the caller hands them over to Docker or releases them. */
  private async portsFor(spec: WorkloadSpec): Promise<PortMapping[]> {
    const { docker, compss } = this.options;
    if (spec.service.exec_type !== 'compss') return reserveHostPorts(docker, spec.service.exec_ports);
    // COMPSs listens on AGENT_PORT inside the container, so its REST port is published 1:1 (host = container).
    const others = spec.service.exec_ports.filter((p) => p !== compss.port);
    const [rest, ...app] = await reserveHostPorts(docker, [compss.port, ...others]);
    return [{ container: rest.host, host: rest.host }, ...app];
  }

  private async create(spec: WorkloadSpec, mappings: PortMapping[]): Promise<Docker.Container> {
    const exposed: Record<string, object> = {};
    const bindings: Record<string, Array<{ HostPort: string }>> = {};
    for (const { container, host } of mappings) {
      exposed[`${container}/tcp`] = {};
      bindings[`${container}/tcp`] = [{ HostPort: String(host) }];
    }
    try {
      return await this.options.docker.createContainer({
        name: spec.name,
        Image: spec.service.exec,
        Tty: true,
        Env: spec.service.exec_type === 'compss' ? this.compssEnv(spec, mappings[0].host) : undefined,
        Labels: { ...workloadLabels(spec), [HOST_PORTS_LABEL]: mappings.map((m) => m.host).join(',') },
        ExposedPorts: exposed,
        HostConfig: { PortBindings: bindings, RestartPolicy: { Name: RESTART_POLICY } },
      });
    } catch (err) {
      if (dockerStatus(err) === 404) {
        throw failure(
          FailureType.ImageNotFound,
          `image "${spec.service.exec}" disappeared from agent ${spec.agentUrl} while deploying; load it again`,
          err,
        );
      }
      throw classifyDockerError(err, `create container ${spec.name} from ${spec.service.exec}`, this.options.socket);
    }
  }

  private compssEnv(spec: WorkloadSpec, restPort: number): string[] {
    return [
      `MF2C_HOST=${spec.agentUrl}`,
      'DEBUG=debug',
      `AGENT_HOST=${this.options.hostIp}`,
      `AGENT_PORT=${restPort}`,
      `DATACLAY_EP=${spec.deviceIp}${this.options.compss.dataclayEp}`,
      `REPORT_ADDRESS=${this.options.cimiUrl ?? 'not-defined'}`,
    ];
  }

  private async joinNetworkIfPresent(container: Docker.Container, network: string): Promise<void> {
    const target = this.options.docker.getNetwork(network);
    try {
      // Docker records a connect to a missing network on a created container and then fails its start.
      await target.inspect();
    } catch (err) {
      if (dockerStatus(err) === 404) return;
      throw classifyDockerError(err, `inspect network ${network}`, this.options.socket);
    }
    try {
      await target.connect({ Container: container.id });
    } catch (err) {
      // Already connected (403/409): nothing to do, as in the original.
      const status = dockerStatus(err);
      if (status !== 403 && status !== 409) throw classifyDockerError(err, `connect to network ${network}`, this.options.socket);
    }
  }

  private missing(ref: WorkloadRef): Error {
    return failure(
      FailureType.WorkloadMissing,
      `container ${ref.name} no longer exists on agent ${ref.agentUrl} (removed outside the LM); terminate the instance and submit it again`,
    );
  }
}
