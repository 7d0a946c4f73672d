/**
 * `docker` and `compss` workloads: one container per agent (DESIGN §5).
 * COMPSs containers get the original's environment and keep their REST port (46100) on the host.
 */
import type Docker from 'dockerode';
import { FailureType } from '../../../workflows/model/failures';
import type { AgentStatus } from '../../../workflows/model/status';
import { failure } from '../../failures';
import { belongsTo, workloadLabels } from '../labels';
import type { DeployedWorkload, WorkloadRef, WorkloadRuntime, WorkloadSpec } from '../workload';
import { allocateHostPorts } from './allocate-host-ports';
import { classifyDockerError, dockerMessage, dockerStatus } from './docker-errors';
import { HOST_PORTS_LABEL, parsePortsLabel } from './host-ports';
import { hostPortLock, reservedHostPorts } from './host-port-reservations';
import { ensureImage } from './images';
import type { PortMapping } from './port-rule';

export interface ContainerRuntimeOptions {
  docker: Docker;
  /** Without a request timeout: pulls take as long as they take (the activity heartbeats meanwhile). */
  pullDocker: Docker;
  socket: string;
  hostIp: string;
  cimiUrl: string | null;
  compss: { port: number; dataclayEp: string; network: string };
  onProgress: (detail: string) => void;
}

/** Network the original joins COMPSs containers to when it exists. */
const MF2C_NETWORK = 'mf2c_default';
const STOP_GRACE_SECONDS = 10;
/** How long a started container must stay up before it counts as started. */
const START_SETTLE_MS = 500;
/** How many times a start may move a container whose host port was taken meanwhile. */
const MAX_PORT_MOVES = 3;

function isPortTaken(err: unknown): boolean {
  return /port is already allocated|address already in use/i.test(dockerMessage(err));
}


export class ContainerRuntime implements WorkloadRuntime {
  constructor(private readonly options: ContainerRuntimeOptions) {}

  async deploy(spec: WorkloadSpec): Promise<DeployedWorkload> {
    const existing = await this.adoptable(spec);
    if (existing) return existing;
    await ensureImage(this.options.pullDocker, spec.service.exec, spec.agentUrl, this.options.socket, this.options.onProgress);
    const mappings = await this.reservePorts(spec);
    try {
      const raced = await this.adoptable(spec);
      if (raced) return raced;
      const container = await this.create(spec, mappings);
      if (spec.service.exec_type === 'compss') await this.joinNetworkIfPresent(container, MF2C_NETWORK);
      return { container_id: container.id, ports: mappings.map((m) => m.host), agent_param: '-' };
    } finally {
      // Once created, the container's label holds its ports; until then the reservation does.
      for (const { host } of mappings) reservedHostPorts.delete(host);
    }
  }

  /** Port choice is serialised per process, but container creation is not: reservations bridge the gap. */
  private reservePorts(spec: WorkloadSpec): Promise<PortMapping[]> {
    return hostPortLock.runExclusive(async () => {
      const mappings = await this.portsFor(spec);
      for (const { host } of mappings) reservedHostPorts.add(host);
      return mappings;
    });
  }

  async start(ref: WorkloadRef, movesLeft = MAX_PORT_MOVES): Promise<DeployedWorkload | void> {
    const container = this.options.docker.getContainer(ref.container_id);
    // No restart policy while proving the container stays up, so a failing command shows its real exit code.
    await this.setRestartPolicy(ref, 'no');
    try {
      await container.start();
    } catch (err) {
      const status = dockerStatus(err);
      if (status === 404) throw this.missing(ref);
      if (isPortTaken(err) && movesLeft > 0) return this.moveToFreePorts(ref, movesLeft - 1);
      if (status !== 304) throw classifyDockerError(err, `start container ${ref.name}`, this.options.socket);
    }
    if (this.options.compss.network !== 'not-defined') await this.joinNetworkIfPresent(container, this.options.compss.network);
    await this.assertStaysUp(ref);
    // Survives a reboot of the agent or of its Docker engine, as a service should.
    await this.setRestartPolicy(ref, 'unless-stopped');
  }

  /**
   * Docker binds host ports only at start: something else (another process, a container made outside this
   * LM) may have taken one since deploy. The container holds no state yet worth keeping, so it is made again
   * on free ports, and the caller learns where it now is.
   */
  private async moveToFreePorts(ref: WorkloadRef, movesLeft: number): Promise<DeployedWorkload> {
    await this.remove(ref);
    const moved = await this.deploy(ref);
    return (await this.start({ ...ref, ...moved }, movesLeft)) ?? moved;
  }

  private async setRestartPolicy(ref: WorkloadRef, name: 'no' | 'unless-stopped'): Promise<void> {
    try {
      await this.options.docker.getContainer(ref.container_id).update({ RestartPolicy: { Name: name } });
    } catch (err) {
      if (dockerStatus(err) === 404) throw this.missing(ref);
      throw classifyDockerError(err, `set the restart policy of ${ref.name}`, this.options.socket);
    }
  }

  /** A container whose command fails at once must not count as started. */
  private async assertStaysUp(ref: WorkloadRef): Promise<void> {
    await new Promise((resolve) => setTimeout(resolve, START_SETTLE_MS));
    const { State: state } = await this.inspect(ref);
    if (state.Running) return;
    throw failure(
      FailureType.WorkloadExited,
      `container ${ref.name} on agent ${ref.agentUrl} stopped right after start (exit code ${state.ExitCode}` +
        `${state.Error ? `, ${state.Error}` : ''}); check the image's command with "docker logs ${ref.name}"`,
    );
  }

  async stop(ref: WorkloadRef): Promise<void> {
    try {
      await this.options.docker.getContainer(ref.container_id).stop({ t: STOP_GRACE_SECONDS });
    } catch (err) {
      const status = dockerStatus(err);
      if (status === 404) throw this.missing(ref);
      if (status !== 304) throw classifyDockerError(err, `stop container ${ref.name}`, this.options.socket);
    }
  }

  async remove(ref: WorkloadRef): Promise<void> {
    if (ref.container_id === '-' || ref.container_id === '') return;
    try {
      await this.options.docker.getContainer(ref.container_id).remove({ force: true, v: true });
    } catch (err) {
      const status = dockerStatus(err);
      // 409: removal already in progress; the next attempt sees 404.
      if (status === 404) return;
      throw classifyDockerError(err, `remove container ${ref.name}`, this.options.socket);
    }
  }

  async observe(ref: WorkloadRef): Promise<AgentStatus> {
    let info: Docker.ContainerInspectInfo;
    try {
      info = await this.options.docker.getContainer(ref.container_id).inspect();
    } catch (err) {
      // Removed behind the LM's back: the agent is broken, not stopped.
      if (dockerStatus(err) === 404) return 'error';
      throw classifyDockerError(err, `inspect container ${ref.name}`, this.options.socket);
    }
    // A container whose own HEALTHCHECK fails runs, but does not serve: it is not `started`.
    if (info.State.Running && !info.State.Restarting) return info.State.Health?.Status === 'unhealthy' ? 'error' : 'started';
    return info.State.Status === 'created' ? 'waiting' : 'stopped';
  }

  private async inspect(ref: WorkloadRef): Promise<Docker.ContainerInspectInfo> {
    try {
      return await this.options.docker.getContainer(ref.container_id).inspect();
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

  private async portsFor(spec: WorkloadSpec): Promise<PortMapping[]> {
    const { docker, compss } = this.options;
    if (spec.service.exec_type !== 'compss') return allocateHostPorts(docker, spec.service.exec_ports, reservedHostPorts);
    // COMPSs listens on AGENT_PORT inside the container, so its REST port is published 1:1 (host = container).
    const others = spec.service.exec_ports.filter((p) => p !== compss.port);
    const [rest, ...app] = await allocateHostPorts(docker, [compss.port, ...others], reservedHostPorts);
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
        HostConfig: { PortBindings: bindings },
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
