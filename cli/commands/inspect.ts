/** Commands that read: ps, status, timeline, logs, agents. `--json` on each prints what the API answered. */
import type { Command } from 'commander';
import type { TimelineEntry } from '../../workflows/model/instance';
import type { ApiInstance } from '../api-client';
import { apiOf, action } from '../context';
import { CliError, EXIT } from '../exit-codes';
import { ALL_STATUSES, listInstances, resolveInstanceId, uuidOfId } from '../instance-ids';
import { age, colour, printJson, statusText, table } from '../output';
import { readTimelineStream } from '../timeline-stream';

const shortId = (id: string) => uuidOfId(id).slice(0, 8);

function agentsSummary(instance: ApiInstance): string {
  const running = instance.agents.filter((a) => a.status === 'started').length;
  return `${running}/${instance.agents.length}`;
}

async function ps(command: Command, options: { status?: string; user?: string; all?: boolean; json?: boolean }): Promise<void> {
  const api = apiOf(command);
  const instances = (await listInstances(api, {
    status: options.all ? ALL_STATUSES : options.status,
    user: options.user,
  })) as ApiInstance[];
  if (options.json) return printJson(instances);
  const rows = instances.map((i) => [
    shortId(i.id),
    i.service_name,
    statusText(i.status),
    agentsSummary(i),
    i.service_type,
    age(i.created),
  ]);
  process.stdout.write(`${table(['ID', 'NAME', 'STATUS', 'AGENTS', 'EXEC TYPE', 'AGE'], rows)}\n`);
}

async function status(command: Command, id: string, options: { json?: boolean }): Promise<void> {
  const api = apiOf(command);
  const uuid = await resolveInstanceId(api, id);
  const { service_instance: instance } = await api.get<{ service_instance: ApiInstance }>(`/api/v2/lm/service-instances/${uuid}`);
  if (options.json) return printJson(instance);
  const fields: Array<[string, string]> = [
    ['id', instance.id],
    ['name', instance.service_name],
    ['status', statusText(instance.status)],
    ['exec type', instance.service_type],
    ['user', instance.user],
    ['created', `${instance.created} (${age(instance.created)} ago)`],
    ['updated', instance.updated],
    ...(instance.error ? [['error', colour.red(instance.error)] as [string, string]] : []),
    ...(instance.expires_at ? [['expires', instance.expires_at] as [string, string]] : []),
    ['ui_url', instance.ui_url ?? '-'],
  ];
  const width = Math.max(...fields.map(([k]) => k.length));
  for (const [key, value] of fields) process.stdout.write(`${colour.bold(key.padEnd(width))}  ${value}\n`);
  if (instance.agents.length > 0) {
    const rows = instance.agents.map((a, i) => [`${a.url}#${i}`, statusText(a.status), a.name, a.ports.join(',') || '-', a.error ?? '']);
    process.stdout.write(`\n${table(['AGENT', 'STATUS', 'WORKLOAD', 'PORTS', 'ERROR'], rows)}\n`);
  }
}

function entryRow(entry: TimelineEntry): string[] {
  const outcome =
    entry.outcome === 'failed' ? colour.red(entry.outcome) : entry.outcome === 'ok' ? colour.green(entry.outcome) : entry.outcome;
  return [entry.at, entry.step, outcome, entry.agent ?? '', entry.message ?? ''];
}

async function timeline(command: Command, id: string, options: { follow?: boolean; json?: boolean }): Promise<void> {
  const api = apiOf(command);
  const uuid = await resolveInstanceId(api, id);
  if (!options.follow) {
    const page = await api.get<{ timeline: TimelineEntry[] }>(`/api/v2/lm/service-instances/${uuid}/timeline`);
    if (options.json) return printJson(page.timeline);
    process.stdout.write(`${table(['AT', 'STEP', 'OUTCOME', 'AGENT', 'MESSAGE'], page.timeline.map(entryRow))}\n`);
    return;
  }
  // Followed: one line per entry as it comes (JSON lines with --json), until the instance has ended.
  await readTimelineStream(api, uuid, 0, (event) => {
    if (event.type === 'entry') {
      if (options.json) process.stdout.write(`${JSON.stringify(event.entry)}\n`);
      else process.stdout.write(`${entryRow(event.entry).filter(Boolean).join('  ')}\n`);
    } else if (event.type === 'end' && !options.json) process.stderr.write(`${colour.dim(`the instance has ended (${event.status})`)}\n`);
  });
}

interface LogRecord {
  kind: 'line' | 'notice' | 'end';
  agent?: string;
  source?: string;
  stream?: string;
  line?: string;
  message?: string;
  reason?: string;
}

async function logs(
  command: Command,
  id: string,
  options: { agent?: string; follow?: boolean; tail?: string; since?: string; json?: boolean },
): Promise<void> {
  const api = apiOf(command);
  const uuid = await resolveInstanceId(api, id);
  const params = {
    ...(options.agent ? { agent: options.agent } : {}),
    ...(options.tail !== undefined ? { tail: options.tail } : {}),
    ...(options.since ? { since: options.since } : {}),
    follow: options.follow === true,
  };
  const body = await api.stream(`/api/v2/lm/service-instances/${uuid}/logs`, params);
  let pending = '';
  const print = (record: LogRecord) => {
    if (options.json) return process.stdout.write(`${JSON.stringify(record)}\n`);
    if (record.kind === 'line') {
      const prefix = colour.cyan(`${record.agent} ${record.source}`);
      (record.stream === 'stderr' ? process.stderr : process.stdout).write(`${prefix} | ${record.line}\n`);
    } else if (record.kind === 'notice')
      process.stderr.write(`${colour.yellow(`${record.agent}${record.source ? ` ${record.source}` : ''}:`)} ${record.message}\n`);
    else if (options.follow) process.stderr.write(`${colour.dim(`logs ended: ${record.reason}`)}\n`);
  };
  await new Promise<void>((resolve) => {
    body.on('data', (chunk: Buffer) => {
      pending += chunk.toString();
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) if (line.trim() !== '') print(JSON.parse(line) as LogRecord);
    });
    body.once('end', () => resolve());
    body.once('close', () => resolve());
  });
}

interface AgentDocument {
  ip: string;
  alive: boolean;
  role: string | null;
  reason: string | null;
  last_seen: string | null;
  runtimes: Record<string, { available: boolean; message: string }> | null;
  exec_types: string[];
  instance_count: number;
  agent_count: number;
  instances?: Array<{ id: string; status: string; agents: Array<{ index: number; name: string; status: string }> }>;
}

async function agents(command: Command, ip: string | undefined, options: { json?: boolean }): Promise<void> {
  const api = apiOf(command);
  let answer: { agents?: AgentDocument[]; agent?: AgentDocument };
  try {
    answer = await api.get(ip === undefined ? '/api/v2/lm/agents' : `/api/v2/lm/agents/${encodeURIComponent(ip)}`);
  } catch (err) {
    // An LM without the endpoint answers its generic 404 ("no endpoint …"); an unknown agent is another 404.
    if (err instanceof CliError && err.exitCode === EXIT.notFound && /^no endpoint/.test(err.message)) {
      throw new CliError(
        `the LM at ${api.target.url} has no agents endpoint (GET /api/v2/lm/agents): it is an LM without multi-agent support`,
        EXIT.unsupported,
      );
    }
    throw err;
  }
  if (options.json) return printJson(ip === undefined ? answer.agents : answer.agent);
  const list = ip === undefined ? (answer.agents ?? []) : answer.agent ? [answer.agent] : [];
  const offered = (a: AgentDocument) =>
    Object.entries(a.runtimes ?? {})
      .filter(([, r]) => r.available)
      .map(([name]) => name)
      .join(',') || '-';
  const rows = list.map((a) => [
    a.ip,
    a.alive ? colour.green('alive') : colour.red('not alive'),
    a.role ?? '-',
    a.last_seen ? `${age(a.last_seen)} ago` : '-',
    offered(a),
    `${a.instance_count}`,
    a.reason ?? '',
  ]);
  process.stdout.write(`${table(['AGENT', 'ALIVE', 'ROLE', 'LAST SEEN', 'RUNTIMES', 'INSTANCES', 'REASON'], rows)}\n`);
  for (const instance of answer.agent?.instances ?? []) {
    process.stdout.write(
      `  ${shortId(instance.id)}  ${statusText(instance.status)}  ${instance.agents.map((x) => `#${x.index} ${x.name} ${x.status}`).join(', ')}\n`,
    );
  }
}

export function inspectCommands(program: Command): void {
  program
    .command('ps')
    .description('list instances (default: every status but terminated)')
    .option('--status <statuses>', 'comma-separated statuses, e.g. started,degraded')
    .option('--user <user>', "only this user's instances")
    .option('-a, --all', 'every status, terminated included')
    .option('--json', 'print the instances as JSON')
    .action(action((options: { status?: string; user?: string; all?: boolean; json?: boolean }, command: Command) => ps(command, options)));
  program
    .command('status')
    .description('one instance: status, agents, and its page on the Temporal Web UI (ui_url)')
    .argument('<id>', 'instance: uuid, service-instance/<uuid>, or a unique prefix')
    .option('--json', 'print the instance as JSON')
    .action(action((id: string, options: { json?: boolean }, command: Command) => status(command, id, options)));
  program
    .command('timeline')
    .description("an instance's timeline: every step, agent, outcome and error")
    .argument('<id>', 'instance: uuid, service-instance/<uuid>, or a unique prefix')
    .option('-f, --follow', 'keep printing entries as they come, until the instance has ended')
    .option('--json', 'print the entries as JSON (one per line with -f)')
    .action(action((id: string, options: { follow?: boolean; json?: boolean }, command: Command) => timeline(command, id, options)));
  program
    .command('logs')
    .description("what the instance's workloads print (stdout/stderr), from each agent")
    .argument('<id>', 'instance: uuid, service-instance/<uuid>, or a unique prefix')
    .option('--agent <agent>', 'only this agent: <ip>#<index>, an IP, or an index')
    .option('-f, --follow', 'keep printing new lines until the instance is terminated')
    .option('--tail <lines>', 'lines per container from the end (default 100)')
    .option('--since <when>', 'only lines since: RFC 3339 time, Unix seconds, or a duration (10m)')
    .option('--json', "print the API's records (one JSON object per line)")
    .action(
      action((id: string, options: { agent?: string; follow?: boolean; tail?: string; since?: string; json?: boolean }, command: Command) =>
        logs(command, id, options),
      ),
    );
  program
    .command('agents')
    .description('the agents the cluster knows: alive, role, runtimes, instances (one agent with its instances: give its IP)')
    .argument('[ip]', 'one agent')
    .option('--json', 'print the agents (or the agent) as JSON')
    .action(action((ip: string | undefined, options: { json?: boolean }, command: Command) => agents(command, ip, options)));
}
