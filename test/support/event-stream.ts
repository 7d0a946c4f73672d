/**
 * A client of the API's server-sent event streams, for tests: reads `text/event-stream` as it arrives, keeps every
 * event, and waits for the one a test expects or for the server to close the stream.
 */
import type { AxiosInstance } from 'axios';
import type { Readable } from 'node:stream';

export interface StreamEvent {
  id?: string;
  event: string;
  data: unknown;
}

export interface EventStreamClient {
  status: number;
  events: StreamEvent[];
  /** Resolves with the first event `matches`, waiting for it up to `timeoutMs`. */
  waitFor(matches: (event: StreamEvent) => boolean, timeoutMs?: number): Promise<StreamEvent>;
  /** Resolves when the server has closed the stream. */
  closed: Promise<void>;
  close(): void;
}

/** One event block (the lines between blank lines); comments (`: …`) carry nothing. */
function parseBlock(block: string): StreamEvent | undefined {
  const fields: Record<string, string> = {};
  for (const line of block.split('\n')) {
    if (line === '' || line.startsWith(':')) continue;
    const colon = line.indexOf(':');
    const name = colon < 0 ? line : line.slice(0, colon);
    fields[name] = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
  }
  if (fields.data === undefined) return undefined;
  return { id: fields.id, event: fields.event ?? 'message', data: JSON.parse(fields.data) as unknown };
}

export async function openEventStream(api: AxiosInstance, url: string, headers: Record<string, string> = {}): Promise<EventStreamClient> {
  const controller = new AbortController();
  const response = await api.get<Readable>(url, { responseType: 'stream', headers, signal: controller.signal });
  const events: StreamEvent[] = [];
  const waiters: Array<() => void> = [];
  let buffer = '';
  const body = response.data;
  body.setEncoding('utf8');
  body.on('data', (chunk: string) => {
    buffer += chunk;
    let end: number;
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      const event = parseBlock(buffer.slice(0, end));
      buffer = buffer.slice(end + 2);
      if (event) events.push(event);
    }
    for (const wake of waiters.splice(0)) wake();
  });
  const closed = new Promise<void>((resolve) => {
    body.on('end', resolve);
    body.on('close', resolve);
    body.on('error', () => resolve());
  });
  const waitFor = (matches: (event: StreamEvent) => boolean, timeoutMs = 30_000): Promise<StreamEvent> =>
    new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`no matching event within ${timeoutMs} ms; got ${JSON.stringify(events)}`)),
        timeoutMs,
      );
      const check = () => {
        const found = events.find(matches);
        if (found) {
          clearTimeout(timer);
          resolve(found);
        } else waiters.push(check);
      };
      check();
    });
  return { status: response.status, events, waitFor, closed, close: () => controller.abort() };
}
