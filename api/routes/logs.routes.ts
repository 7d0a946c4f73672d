/**
 * Workload logs: what the instance's containers, services and pods print, from each agent, as newline-delimited
 * JSON records; and the internal endpoint through which another agent's LM reads this agent's engine.
 */
import type { Request, Response } from 'express';
import { z } from 'zod';
import { EXEC_TYPES } from '../../workflows/model/service';
import { badRequest } from '../api-error';
import type { ApiContext } from '../api-context';
import { LOG_LIMITS, parseSince, type LogRecord, type LogRequest } from '../logs/log-records';
import { internalLogsPath } from '../logs/remote-logs';
import { WorkloadLogs } from '../logs/workload-logs';
import type { RouteBuilder } from '../route-builder';
import { queryInteger } from '../schemas/document-patterns';
import { instancePaths, InstanceIdParams, uuidParam } from './instance-paths';

const NDJSON = 'application/x-ndjson';

const flag = (name: string, description: string) =>
  z
    .enum(['true', 'false', '1', '0'], { error: `${name} must be true or false` })
    .optional()
    .transform((value) => value === 'true' || value === '1')
    .meta({ description });

const tail = queryInteger('tail', 0, LOG_LIMITS.maxTail, 'a number of lines')
  .default(LOG_LIMITS.defaultTail)
  .meta({ description: `Lines per container, service or pod from the end of its log (default ${LOG_LIMITS.defaultTail})` });

const follow = flag(
  'follow',
  'Keep the answer open and send new lines as they are logged, until the instance is terminated or every log ends',
);

const LogsQuery = z.looseObject({
  agent: z
    .string()
    .max(100)
    .optional()
    .meta({ description: 'Only this agent: `<ip>#<index>` as on the timeline, its IP, or its index in `agents`', example: '127.0.0.1#0' }),
  tail,
  since: z.string().max(64).optional().meta({
    description: 'Only lines logged since then: an RFC 3339 time, Unix seconds, or a duration back from now (30s, 10m, 2h, 1d)',
    example: '10m',
  }),
  follow,
});

const InternalLogsQuery = z.looseObject({
  agent_index: queryInteger('agent_index', 0, 10_000, 'the index of the agent in the instance'),
  agent_url: z.string().min(1).max(255).meta({ description: "The agent's IP, as the instance names it" }),
  exec_type: z.enum(EXEC_TYPES, { error: `exec_type must be one of ${EXEC_TYPES.join(', ')}` }),
  tail,
  since: queryInteger('since', 0, Number.MAX_SAFE_INTEGER, 'Unix seconds').optional(),
  follow,
});

const RECORDS = [
  `Newline-delimited JSON (${NDJSON}), one record per line:`,
  '`{"kind":"line","agent":"<ip>#<index>","source":"<container, service or pod/container>","stream":"stdout|stderr|combined","at":"<RFC 3339>|null","line":"…"}`;',
  '`{"kind":"notice","agent":…,"source"?:…,"message":"…"}` for what could not be read (an agent unreachable, nothing deployed);',
  'and last `{"kind":"end","reason":"…"}`.',
  '`combined` is stdout and stderr as one stream, all a runtime keeps for a container with a TTY (docker and COMPSs containers have one) and for pods.',
  `Bounded: at most ${LOG_LIMITS.maxTail} lines per source, lines cut at ${LOG_LIMITS.maxLineBytes} characters, ${LOG_LIMITS.maxAnswerBytes} bytes per answer.`,
].join(' ');

/** Headers first, then records as they come; the client's going away aborts the reads. */
function openRecords(req: Request, res: Response): { write: (record: LogRecord) => void; signal: AbortSignal } {
  const gone = new AbortController();
  res.on('close', () => gone.abort());
  req.on('aborted', () => gone.abort());
  res.status(200).set({ 'Content-Type': NDJSON, 'Cache-Control': 'no-cache', 'X-Accel-Buffering': 'no' });
  res.flushHeaders();
  return { write: (record) => res.write(`${JSON.stringify(record)}\n`), signal: gone.signal };
}

export function logsRoutes(routes: RouteBuilder, { config, reads, agents }: ApiContext): void {
  const logs = new WorkloadLogs(config, agents);

  routes.add(
    {
      method: 'get',
      paths: instancePaths('/:id/logs'),
      summary: "The workload's logs: stdout and stderr of its containers, services or pods, from each agent",
      description: [
        RECORDS,
        'Without follow, the lines of every source in time order.',
        "An agent on another machine is read through its LM's internal logs endpoint, on the port its presence record names (else LM_PORT), with the internal token when this LM knows the agent (CIMI, LM_PEER_AGENTS);",
        'only an agent this LM knows or whose LM joined its cluster is asked (one only a client named never is), within LM_HTTP_TIMEOUT_MS for its answer to begin and 60 s for a whole answer without follow.',
        'An agent that cannot be read is a notice of its own; the others go on.',
      ].join(' '),
      tag: 'service-instances',
      access: 'client',
      params: InstanceIdParams,
      query: LogsQuery,
      responses: {
        200: { description: 'The records', schema: z.string(), contentType: NDJSON },
        400: { description: 'Malformed id, agent, tail, since or follow' },
        404: { description: 'Unknown instance' },
        503: { description: 'Temporal cannot be reached' },
      },
    },
    async ({ params, query, req }, res) => {
      const uuid = uuidParam(params.id);
      const since = query.since === undefined ? null : parseSince(query.since);
      if (query.since !== undefined && since === null) {
        throw badRequest(`since "${query.since}" is not a time: use an RFC 3339 time, Unix seconds or a duration such as 30s, 10m, 2h`);
      }
      // Read before any byte is sent: an unknown instance or agent is still a JSON error.
      const instance = await reads.get(uuid);
      const agents = logs.select(instance, query.agent);
      const request: LogRequest = { tail: query.tail, since, follow: query.follow };
      const { write, signal } = openRecords(req, res);
      await logs.stream(uuid, agents, request, write, signal, (id) => reads.get(id));
      res.end();
    },
  );

  routes.add(
    {
      method: 'get',
      paths: [internalLogsPath(':id')],
      summary: "LM-to-LM: the logs of one agent's workload on this agent's engine",
      description: `What another agent's LM asks to answer \`GET …/<uuid>/logs\` for an agent on this machine. ${RECORDS}`,
      tag: 'internal',
      access: 'internal',
      params: InstanceIdParams,
      query: InternalLogsQuery,
      responses: {
        200: { description: 'The records', schema: z.string(), contentType: NDJSON },
        400: { description: 'Malformed id or query' },
      },
    },
    async ({ params, query, req }, res) => {
      const uuid = uuidParam(params.id);
      const request: LogRequest = { tail: query.tail, since: query.since ?? null, follow: query.follow };
      const { write, signal } = openRecords(req, res);
      const workload = {
        uuid,
        index: query.agent_index,
        agentUrl: query.agent_url,
        execType: query.exec_type,
        agent: `${query.agent_url}#${query.agent_index}`,
      };
      // Only this engine's lines, then the end: the asking LM watches the instance and closes when it ends.
      await logs.readLocal(workload, request, (record) => write(record), signal);
      if (!signal.aborted)
        write({ kind: 'end', reason: request.follow ? 'every log of the workload ended (stopped or removed)' : 'all logged lines read' });
      res.end();
    },
  );
}
