/** Reads an instance's timeline stream (server-sent events) with eventsource-parser, event by event. */
import { createParser } from 'eventsource-parser';
import type { TimelineEntry } from '../workflows/model/instance';
import type { InstanceStatus } from '../workflows/model/status';
import type { ApiClient } from './api-client';
import { CliError, EXIT } from './exit-codes';

export type TimelineEvent =
  | { type: 'entry'; id: number; entry: TimelineEntry }
  | { type: 'status'; status: InstanceStatus }
  | { type: 'end'; status: InstanceStatus; next: number };

/**
 * Calls `onEvent` for each event from entry `since` on, until the stream ends (the instance ended), `onEvent`
 * returns true (the caller has seen enough), or `signal` aborts.
 */
export async function readTimelineStream(
  api: ApiClient,
  uuid: string,
  since: number,
  onEvent: (event: TimelineEvent) => boolean | void,
  signal?: AbortSignal,
): Promise<void> {
  const abort = new AbortController();
  const stopAll = () => abort.abort();
  signal?.addEventListener('abort', stopAll, { once: true });
  const body = await api.stream(`/api/v2/lm/service-instances/${uuid}/timeline/stream`, { since }, abort.signal);
  // Set inside the parser's callback, where TypeScript's narrowing cannot follow.
  const seen: { failure: CliError | null } = { failure: null };
  const parser = createParser({
    onEvent(message) {
      if (abort.signal.aborted) return;
      const data: unknown = JSON.parse(message.data);
      let enough: boolean | void = false;
      if (message.event === 'entry') enough = onEvent({ type: 'entry', id: Number(message.id), entry: data as TimelineEntry });
      else if (message.event === 'status') enough = onEvent({ type: 'status', status: (data as { status: InstanceStatus }).status });
      else if (message.event === 'end') enough = onEvent({ type: 'end', ...(data as { status: InstanceStatus; next: number }) });
      else if (message.event === 'error') seen.failure = new CliError((data as { message: string }).message, EXIT.unavailable);
      if (enough === true || seen.failure !== null) abort.abort();
    },
  });
  await new Promise<void>((resolve) => {
    body.on('data', (chunk: Buffer) => parser.feed(chunk.toString()));
    body.once('end', () => resolve());
    body.once('close', () => resolve());
    body.once('error', () => resolve());
    abort.signal.addEventListener(
      'abort',
      () => {
        body.destroy();
        resolve();
      },
      { once: true },
    );
  });
  signal?.removeEventListener('abort', stopAll);
  if (seen.failure !== null) throw seen.failure;
}
