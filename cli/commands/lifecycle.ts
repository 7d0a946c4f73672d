/** Commands that change instances and follow them until they settle: run, start, stop, restart, rm. */
import type { Command } from 'commander';
import type { ApiClient, ApiInstance as ServiceInstance } from '../api-client';
import type { InstanceStatus } from '../../workflows/model/status';

import { apiOf, action } from '../context';
import { CliError, EXIT } from '../exit-codes';
import { resolveInstanceId, uuidOfId } from '../instance-ids';
import { colour, printJson, statusText } from '../output';
import { followUntilSettled, type FollowResult } from '../progress';
import { oneLinerBody, readSubmitFile, withAgents, type SubmitBody } from '../service-file';

const collect = (value: string, previous: string[]) => [...previous, value];
const seconds = (value: string) => {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new CliError(`--timeout ${value} is not a number of seconds`, EXIT.invalid);
  return n;
};

async function instanceOf(api: ApiClient, uuid: string): Promise<ServiceInstance> {
  return (await api.get<{ service_instance: ServiceInstance }>(`/api/v2/lm/service-instances/${uuid}`)).service_instance;
}

/** The exit code and the last words of a command that wanted `wanted`. */
async function conclude(
  api: ApiClient,
  uuid: string,
  result: FollowResult,
  wanted: readonly InstanceStatus[],
  json: boolean,
): Promise<number> {
  const instance = await instanceOf(api, uuid);
  if (json) printJson(instance);
  else
    process.stdout.write(
      `${uuidOfId(instance.id)}  ${statusText(instance.status)}${instance.status === 'terminated' ? '' : `  ${instance.ui_url ?? ''}`}\n`,
    );
  if (result.timedOut) return EXIT.timedOut;
  if (wanted.includes(instance.status)) return EXIT.ok;
  const failures = result.entries
    .filter((e) => e.outcome === 'failed')
    .map((e) => `${e.agent ? `${e.agent}: ` : ''}${e.message ?? e.step}`);
  const reason = instance.error ?? failures[failures.length - 1] ?? `the instance is ${instance.status}`;
  process.stderr.write(`${colour.red('lmctl:')} ${instance.status}: ${reason}\n`);
  return EXIT.settledBadly;
}

interface RunOptions {
  image?: string;
  port: string[];
  name?: string;
  execType: string;
  agent: string[];
  detach?: boolean;
  json?: boolean;
  timeout?: number;
}

function submitBody(file: string | undefined, options: RunOptions): SubmitBody {
  if (file !== undefined && options.image !== undefined) throw new CliError('give a file or --image, not both', EXIT.invalid);
  if (file !== undefined) return withAgents(readSubmitFile(file), options.agent);
  if (options.image !== undefined)
    return withAgents(
      oneLinerBody({ image: options.image, name: options.name, port: options.port, execType: options.execType }),
      options.agent,
    );
  throw new CliError('nothing to run: give a service file (YAML or JSON) or --image <image> [--port <port>]', EXIT.invalid);
}

async function runService(command: Command, file: string | undefined, options: RunOptions): Promise<number> {
  const api = apiOf(command);
  const body = submitBody(file, options);
  const { data } = await api.request<{ service_instance?: ServiceInstance; service_instance_id?: string; message: string }>(
    'post',
    '/api/v2/lm/service',
    { body },
  );
  const instance = data.service_instance;
  if (!instance) {
    // mF2C: forwarded to the leader's LM, which runs it under the same id.
    process.stdout.write(`${data.message}\n`);
    return EXIT.ok;
  }
  const uuid = uuidOfId(instance.id);
  if (options.detach) {
    if (options.json) printJson(instance);
    else process.stdout.write(`${uuid}\n`);
    return EXIT.ok;
  }
  const name = typeof body.service?.name === 'string' ? body.service.name : instance.service_name;
  const result = await followUntilSettled(api, uuid, {
    title: `${name} (${uuid.slice(0, 8)})`,
    doing: 'deploying',
    since: 0,
    timeoutS: options.timeout,
  });
  return conclude(api, uuid, result, ['started', 'forwarded'], options.json === true);
}

type Operation = 'start' | 'stop' | 'restart' | 'terminate';

const OPERATIONS: Record<Operation, { verb: string; wanted: InstanceStatus[] }> = {
  start: { verb: 'starting', wanted: ['started'] },
  stop: { verb: 'stopping', wanted: ['stopped'] },
  restart: { verb: 'restarting', wanted: ['started'] },
  terminate: { verb: 'removing', wanted: ['terminated'] },
};

async function operate(command: Command, id: string, operation: Operation, options: { json?: boolean; timeout?: number }): Promise<number> {
  const api = apiOf(command);
  const uuid = await resolveInstanceId(api, id);
  // Only what this operation adds to the timeline is shown.
  const { next } = await api.get<{ next: number }>(`/api/v2/lm/service-instances/${uuid}/timeline`, { since: 1_000_000_000 });
  if (operation === 'terminate') await api.request('delete', `/api/v2/lm/service-instances/${uuid}`);
  else await api.request('put', `/api/v2/lm/service-instances/${uuid}`, { body: { operation } });
  const { verb, wanted } = OPERATIONS[operation];
  const result = await followUntilSettled(api, uuid, { title: uuid.slice(0, 8), doing: verb, since: next, timeoutS: options.timeout });
  return conclude(api, uuid, result, wanted, options.json === true);
}

export function lifecycleCommands(program: Command): void {
  program
    .command('run')
    .description('submit a service and follow its deploy until it settles (exit 0 on started)')
    .argument('[file]', 'YAML or JSON: a service ({name, exec, exec_type, exec_ports…}) or a whole submit body ({service, agents_list…})')
    .option('--image <image>', 'one-liner: run this image (instead of a file)')
    .option('--port <port>', 'one-liner: a container port to publish (repeatable)', collect, [])
    .option('--name <name>', 'one-liner: the service name (default: the image name)')
    .option('--exec-type <type>', 'one-liner: docker, compss, docker-swarm, kubernetes…', 'docker')
    .option('--agent <ip>', 'deploy on this agent (repeatable): sets agents_list', collect, [])
    .option('-d, --detach', 'submit and print the instance id, without following')
    .option('--json', 'print the settled instance as JSON')
    .option('--timeout <seconds>', 'stop following after this long (exit 124; the deploy goes on)', seconds)
    .action(action((file: string | undefined, options: RunOptions, command: Command) => runService(command, file, options)));

  for (const [name, operation, description] of [
    ['start', 'start', 'start an instance and wait until it runs'],
    ['stop', 'stop', 'stop an instance and wait until it is stopped'],
    ['restart', 'restart', 'stop then start an instance, and wait until it runs'],
    ['rm', 'terminate', 'terminate an instance (remove its workloads) and wait until it is terminated'],
  ] as const) {
    program
      .command(name)
      .description(description)
      .argument('<id>', 'instance: uuid, service-instance/<uuid>, or a unique prefix')
      .option('--json', 'print the settled instance as JSON')
      .option('--timeout <seconds>', 'stop following after this long (exit 124; the operation goes on)', seconds)
      .action(
        action((id: string, options: { json?: boolean; timeout?: number }, command: Command) => operate(command, id, operation, options)),
      );
  }
}
