/**
 * Workload logs read from this agent's Docker engine: the containers of a docker, COMPSs or compose workload, the
 * services of a swarm workload or stack. Found by the labels the runtimes put on them, never by a name alone.
 */
import { Readable, Writable } from 'node:stream';
import type Docker from 'dockerode';
import { COMPOSE_PROJECT_LABEL, COMPOSE_SERVICE_LABEL } from '../../activities/runtime/compose/compose-containers';
import { STACK_NAMESPACE_LABEL } from '../../activities/runtime/compose-swarm/stack-state';
import { dockerMessage, isDockerUnreachable } from '../../activities/runtime/docker/docker-errors';
import { composeProjectName, LABEL_AGENT, LABEL_AGENT_INDEX, LABEL_INSTANCE, workloadName } from '../../activities/runtime/labels';
import type { ExecType } from '../../workflows/model/service';
import { LineSplitter, LOG_LIMITS, type LogRequest, type LogSink, type LogStream } from './log-records';

/** Which workload of which instance, on this engine. */
export interface LocalWorkload {
  uuid: string;
  index: number;
  /** The agent's IP as the instance names it (the runtimes' `lm.agent` label). */
  agentUrl: string;
  execType: ExecType;
  /** The agent's label on the records. */
  agent: string;
}

interface DockerLogTarget {
  source: string;
  tty: boolean;
  open(options: Docker.ContainerLogsOptions): Promise<Buffer | NodeJS.ReadableStream>;
}

function containerName(info: Docker.ContainerInfo): string {
  return (info.Names[0] ?? info.Id.slice(0, 12)).replace(/^\//, '');
}

async function containerTargets(
  docker: Docker,
  labels: string[],
  sourceOf: (info: Docker.ContainerInfo) => string,
): Promise<DockerLogTarget[]> {
  const containers = await docker.listContainers({ all: true, filters: { label: labels } });
  return Promise.all(
    containers.map(async (info) => {
      const container = docker.getContainer(info.Id);
      // A container with a TTY logs one raw stream; any other multiplexes stdout and stderr.
      const tty = (await container.inspect()).Config.Tty;
      return { source: sourceOf(info), tty, open: (options) => container.logs(options as Docker.ContainerLogsOptions & { follow: true }) };
    }),
  );
}

async function serviceTargets(docker: Docker, filters: { name?: string[]; label?: string[] }, uuid: string): Promise<DockerLogTarget[]> {
  const services = await docker.listServices({ filters });
  return services
    .filter((service) => filters.label !== undefined || service.Spec?.Labels?.[LABEL_INSTANCE] === uuid)
    .map((service) => {
      const handle = docker.getService(service.ID);
      const tty =
        service.Spec?.TaskTemplate && 'ContainerSpec' in service.Spec.TaskTemplate
          ? service.Spec.TaskTemplate.ContainerSpec?.TTY === true
          : false;
      return { source: service.Spec?.Name ?? service.ID, tty, open: (options) => handle.logs(options) };
    });
}

function targetsOf(docker: Docker, workload: LocalWorkload): Promise<DockerLogTarget[]> {
  const { uuid, index } = workload;
  switch (workload.execType) {
    case 'docker':
    case 'compss':
      return containerTargets(
        docker,
        [`${LABEL_INSTANCE}=${uuid}`, `${LABEL_AGENT_INDEX}=${index}`, `${LABEL_AGENT}=${workload.agentUrl}`],
        containerName,
      );
    case 'docker-compose':
      return containerTargets(
        docker,
        [`${COMPOSE_PROJECT_LABEL}=${composeProjectName({ instanceUuid: uuid, agentIndex: index })}`],
        (info) => `${info.Labels[COMPOSE_SERVICE_LABEL] ?? '?'}/${containerName(info)}`,
      );
    case 'docker-swarm':
      return serviceTargets(docker, { name: [workloadName(uuid, index)] }, uuid);
    case 'docker-compose-swarm':
      return serviceTargets(
        docker,
        { label: [`${STACK_NAMESPACE_LABEL}=${composeProjectName({ instanceUuid: uuid, agentIndex: index })}`] },
        uuid,
      );
    default:
      return Promise.reject(new Error(`${workload.execType} workloads are not read from Docker`));
  }
}

const lineWriter = (splitter: LineSplitter): Writable =>
  new Writable({
    write(chunk: Buffer, _encoding, done) {
      splitter.push(chunk);
      done();
    },
  });

/** Reads one container's or service's log until it ends (or `signal` aborts), line by line into `sink`. */
async function readTarget(
  docker: Docker,
  target: DockerLogTarget,
  workload: LocalWorkload,
  request: LogRequest,
  sink: LogSink,
  signal: AbortSignal,
): Promise<void> {
  const splitter = (stream: LogStream) =>
    new LineSplitter(LOG_LIMITS.maxLineBytes, (at, line) =>
      sink({ kind: 'line', agent: workload.agent, source: target.source, stream, at, line }),
    );
  const stdout = splitter(target.tty ? 'combined' : 'stdout');
  const stderr = splitter('stderr');
  const raw = await target.open({
    stdout: true,
    stderr: true,
    timestamps: true,
    follow: request.follow,
    tail: request.tail,
    ...(request.since === null ? {} : { since: request.since }),
    abortSignal: signal,
  });
  // Without follow the engine answers the whole (tail-bounded) log at once.
  const input = Buffer.isBuffer(raw) ? Readable.from([raw]) : (raw as Readable);
  await new Promise<void>((resolve) => {
    const done = () => {
      stdout.end();
      stderr.end();
      resolve();
    };
    if (target.tty) input.on('data', (chunk: Buffer) => stdout.push(chunk));
    else docker.modem.demuxStream(input, lineWriter(stdout), lineWriter(stderr));
    input.once('end', done);
    input.once('close', done);
    input.once('error', done);
    signal.addEventListener('abort', () => input.destroy(), { once: true });
  });
}

/** Every log of `workload` on this engine; what cannot be read becomes a notice. */
export async function readDockerLogs(
  docker: Docker,
  workload: LocalWorkload,
  request: LogRequest,
  sink: LogSink,
  signal: AbortSignal,
): Promise<void> {
  let targets: DockerLogTarget[];
  try {
    targets = await targetsOf(docker, workload);
  } catch (err) {
    const why = isDockerUnreachable(err) ? `the Docker engine does not answer (${dockerMessage(err)})` : dockerMessage(err);
    sink({ kind: 'notice', agent: workload.agent, message: `cannot list the workload's ${workload.execType} objects: ${why}` });
    return;
  }
  if (targets.length === 0) {
    sink({
      kind: 'notice',
      agent: workload.agent,
      message: `no ${workload.execType} workload of this instance on the agent (not deployed yet, or removed)`,
    });
    return;
  }
  await Promise.all(
    targets.map((target) =>
      readTarget(docker, target, workload, request, sink, signal).catch((err: unknown) => {
        if (signal.aborted) return;
        sink({ kind: 'notice', agent: workload.agent, source: target.source, message: `cannot read the log: ${dockerMessage(err)}` });
      }),
    ),
  );
}
