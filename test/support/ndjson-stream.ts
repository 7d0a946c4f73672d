/** A client of the API's newline-delimited JSON answers (workload logs), for tests: every record as it arrives. */
import type { AxiosInstance } from 'axios';
import type { Readable } from 'node:stream';

export interface NdjsonStream<T> {
  status: number;
  records: T[];
  /** Resolves with the first record `matches`, waiting for it up to `timeoutMs`. */
  waitFor(matches: (record: T) => boolean, timeoutMs?: number): Promise<T>;
  /** Resolves when the server has closed the answer. */
  closed: Promise<void>;
  close(): void;
}

export async function openNdjson<T>(api: AxiosInstance, url: string): Promise<NdjsonStream<T>> {
  const controller = new AbortController();
  const response = await api.get<Readable>(url, { responseType: 'stream', signal: controller.signal });
  const records: T[] = [];
  const waiters: Array<() => void> = [];
  let pending = '';
  response.data.on('data', (chunk: Buffer) => {
    pending += chunk.toString();
    const lines = pending.split('\n');
    pending = lines.pop() ?? '';
    for (const line of lines) if (line.trim() !== '') records.push(JSON.parse(line) as T);
    for (const wake of waiters.splice(0)) wake();
  });
  const closed = new Promise<void>((resolve) => {
    response.data.once('close', resolve);
    response.data.once('end', resolve);
    response.data.once('error', () => resolve());
  });
  return {
    status: response.status,
    records,
    closed,
    close: () => controller.abort(),
    async waitFor(matches, timeoutMs = 30_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const found = records.find(matches);
        if (found !== undefined) return found;
        if (Date.now() > deadline) throw new Error(`no matching record within ${timeoutMs} ms; got ${JSON.stringify(records.slice(-5))}`);
        await Promise.race([
          new Promise<void>((resolve) => waiters.push(resolve)),
          closed,
          new Promise((resolve) => setTimeout(resolve, 250)),
        ]);
      }
    },
  };
}
