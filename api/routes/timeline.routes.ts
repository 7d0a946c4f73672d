/**
 * An instance's timeline: read a page of it (`since`, with `wait` to long-poll), or follow it as a stream of
 * server-sent events until the instance has ended (`…/timeline/stream`, resumable with Last-Event-ID).
 */
import type { Response } from 'express';
import { z } from 'zod';
import type { TimelinePage } from '../../workflows/model/instance';
import { INSTANCE_STATUSES, type InstanceStatus } from '../../workflows/model/status';
import { badRequest } from '../api-error';
import type { ApiContext } from '../api-context';
import { ClientLimit } from '../client-limits';
import { toApiError } from '../error-mapping';
import type { RouteBuilder } from '../route-builder';
import { consistentFlag } from '../schemas/consistent.schema';
import { okEnvelope } from '../schemas/envelope.schema';
import { queryInteger } from '../schemas/document-patterns';
import { TimelineEntrySchema } from '../schemas/instance.schema';
import { instancePaths, InstanceIdParams, uuidParam } from './instance-paths';

/** A comment line this often keeps proxies and load balancers from closing a quiet stream. */
const KEEP_ALIVE_MS = 15_000;

const since = queryInteger('since', 0, Number.MAX_SAFE_INTEGER, 'a number: the `next` of an earlier answer')
  .default(0)
  .meta({ description: 'Only the entries numbered from here (entries count from 0; the `next` of an earlier answer)' });

const TimelineQuery = z.looseObject({
  since,
  wait: queryInteger('wait', 0, 60, 'a number of seconds', 'seconds')
    .default(0)
    .meta({ description: 'Long poll: when there is no entry from `since` yet, wait up to this many seconds for one' }),
  consistent: consistentFlag,
});
const StreamQuery = z.looseObject({ since });

const TimelineResponse = okEnvelope('TimelineResponse', {
  service_instance_id: z.string(),
  timeline: z.array(TimelineEntrySchema),
  next: z.int().meta({ description: 'The number of the next entry: send it as `since` to get only what comes after' }),
  status: z.enum(INSTANCE_STATUSES).meta({ description: 'The instance status when the timeline was read' }),
  ended: z
    .boolean()
    .meta({ description: 'The instance has ended (terminated, forwarded, not placed): no entry will follow, a long poll answers at once' }),
});

const STREAM_DESCRIPTION = [
  'Server-sent events (`text/event-stream`), for `curl -N` or a browser EventSource:',
  '`event: entry` for each timeline entry (its `id:` is the entry number, its data the entry as JSON);',
  '`event: status` with `{"status"}` first and whenever the status has changed when the stream reads again (it reads at every change of the instance: a status held only a moment may be skipped, its entries never are);',
  '`event: end` with `{"status","next"}` once the instance has ended (terminated, forwarded to the leader, or not placed), then the stream closes;',
  '`event: error` with `{"message"}` when the LM cannot read the instance any more (reconnect to resume).',
  'A reconnecting client sends `Last-Event-ID` (EventSource does) and gets only the entries after it.',
].join(' ');

/** The entry to start from: after the last one the client saw (Last-Event-ID), else `since`. */
function resumeFrom(lastEventId: string | undefined, sinceQuery: number): number {
  if (lastEventId === undefined || lastEventId.trim() === '') return sinceQuery;
  if (!/^\d+$/.test(lastEventId.trim())) {
    throw badRequest(`Last-Event-ID must be the id of an entry event (a number), not "${lastEventId}"; leave it out to start at since`);
  }
  return Number(lastEventId.trim()) + 1;
}

/** One event in the text/event-stream format; JSON data holds no newline, so one `data:` line is enough. */
function sseEvent(event: string, data: unknown, id?: number): string {
  return `${id === undefined ? '' : `id: ${id}\n`}event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
}

/** A client at its limit may retry after this long: a long poll or stream of another ends by then or soon. */
const RETRY_AFTER_S = 5;

export function timelineRoutes(routes: RouteBuilder, { reads, config }: ApiContext): void {
  const longPolls = new ClientLimit('timeline long polls', 'LM_MAX_LONG_POLLS_PER_CLIENT', config.limits.longPollsPerClient, RETRY_AFTER_S);
  const streams = new ClientLimit('timeline streams', 'LM_MAX_STREAMS_PER_CLIENT', config.limits.streamsPerClient, RETRY_AFTER_S);
  routes.add(
    {
      method: 'get',
      paths: instancePaths('/:id/timeline'),
      summary: "A service instance's timeline: every step, agent, outcome and error",
      description:
        "Entries are numbered from the instance's first and read from the read model, which keeps every one (at most 1000 per answer: send `next` as `since` for more; " +
        'with `consistent=true` the workflow answers with the last 500 it keeps). ' +
        "To follow an instance live, send the `next` of each answer as `since`, with `wait` to long-poll (woken by the instance's next change), or use `…/timeline/stream`.",
      tag: 'service-instances',
      access: 'client',
      params: InstanceIdParams,
      query: TimelineQuery,
      responses: {
        200: { description: 'The timeline, oldest first', schema: TimelineResponse },
        400: { description: 'Malformed id, since or wait' },
        404: { description: 'Unknown instance' },
        429: {
          description:
            'wait > 0 and this client already has LM_MAX_LONG_POLLS_PER_CLIENT long polls open (Retry-After says when to try again)',
        },
      },
    },
    async ({ params, query, req }, res) => {
      const uuid = uuidParam(params.id);
      // Closed before the answer: the client went away, so a long poll stops waiting.
      const gone = new AbortController();
      res.on('close', () => gone.abort());
      const read = () => reads.timeline(uuid, query.since, query.wait * 1000, gone.signal, query.consistent);
      const page = query.wait > 0 ? await longPolls.run(req, read) : await read();
      res.json({
        error: false,
        message: 'Service instance timeline',
        service_instance_id: uuid,
        timeline: page.entries,
        next: page.next,
        status: page.status,
        ended: page.ended,
      });
    },
  );

  routes.add(
    {
      method: 'get',
      paths: instancePaths('/:id/timeline/stream'),
      summary: "Follow a service instance's timeline live, until the instance has ended",
      description: STREAM_DESCRIPTION,
      tag: 'service-instances',
      access: 'client',
      params: InstanceIdParams,
      query: StreamQuery,
      responses: {
        200: { description: 'The stream of events', schema: z.string(), contentType: 'text/event-stream' },
        400: { description: 'Malformed id, since or Last-Event-ID' },
        404: { description: 'Unknown instance' },
        429: { description: 'This client already has LM_MAX_STREAMS_PER_CLIENT streams open (Retry-After says when to try again)' },
      },
    },
    async ({ params, query, req }, res) => {
      const uuid = uuidParam(params.id);
      const from = resumeFrom(req.header('Last-Event-ID'), query.since);
      const release = streams.acquire(req);
      const gone = new AbortController();
      res.on('close', () => {
        gone.abort();
        release();
      });
      const pages = reads.follow(uuid, from, gone.signal);
      // The first read happens before any byte is sent: an unknown instance is still a JSON 404.
      let step: IteratorResult<TimelinePage, void>;
      try {
        step = await pages.next();
      } catch (err) {
        release();
        throw err;
      }
      const stream = new EventStream(res);
      let lastStatus: InstanceStatus | undefined;
      try {
        for (; !step.done; step = await pages.next()) {
          const page = step.value;
          const first = page.next - page.entries.length;
          page.entries.forEach((entry, i) => stream.send(sseEvent('entry', entry, first + i)));
          if (page.status !== lastStatus) stream.send(sseEvent('status', { status: page.status }));
          lastStatus = page.status;
          if (page.ended) stream.send(sseEvent('end', { status: page.status, next: page.next }));
          stream.keepAlive();
        }
      } catch (err) {
        const message = toApiError(err, config.temporal.address)?.message ?? `the timeline could not be read: ${String(err)}`;
        stream.send(sseEvent('error', { message }));
      }
      release();
      res.end();
    },
  );
}

/** The open response of a stream: its headers, its events, and a comment when it has been quiet for long. */
class EventStream {
  private lastSent = Date.now();

  constructor(private readonly res: Response) {
    res.status(200).set({ 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-cache', 'X-Accel-Buffering': 'no' });
    res.flushHeaders();
  }

  send(text: string): void {
    this.res.write(text);
    this.lastSent = Date.now();
  }

  keepAlive(): void {
    if (Date.now() - this.lastSent >= KEEP_ALIVE_MS) this.send(': keep-alive\n\n');
  }
}
