/**
 * Work one client may hold open at once (long-lived answers: timeline streams, long polls, notification
 * fan-outs, terminate-all). A client is its remote address; behind a proxy every client shares the proxy's, so
 * the limits are configurable. Past a limit the answer is a 429 with Retry-After, never an unbounded queue.
 */
import type { Request } from 'express';
import { tooMany } from './api-error';

export class ClientLimit {
  private readonly held = new Map<string, number>();

  constructor(
    /** What is limited, for the message, e.g. "timeline streams". */
    private readonly what: string,
    /** The variable that sets it, for the message. */
    private readonly variable: string,
    private readonly max: number,
    private readonly retryAfterS: number,
  ) {}

  /** Takes one slot for the request's client, or throws the 429; `release` gives it back (once). */
  acquire(req: Request): () => void {
    const client = clientOf(req);
    const count = this.held.get(client) ?? 0;
    if (count >= this.max) {
      throw tooMany(
        `too many ${this.what} open from ${client}: at most ${this.max} at once (${this.variable}); close one, or retry in ${this.retryAfterS} s`,
        this.retryAfterS,
      );
    }
    this.held.set(client, count + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const left = (this.held.get(client) ?? 1) - 1;
      if (left <= 0) this.held.delete(client);
      else this.held.set(client, left);
    };
  }

  /** Holds a slot while `work` runs. */
  async run<T>(req: Request, work: () => Promise<T>): Promise<T> {
    const release = this.acquire(req);
    try {
      return await work();
    } finally {
      release();
    }
  }
}

export function clientOf(req: Request): string {
  return req.socket.remoteAddress ?? 'unknown';
}

/** Runs `work` over `items`, at most `concurrency` at once; settles every one (never stops at a failure). */
export async function forEachBounded<T, R>(
  items: readonly T[],
  concurrency: number,
  work: (item: T) => Promise<R>,
): Promise<Array<PromiseSettledResult<R>>> {
  const results = new Array<PromiseSettledResult<R>>(items.length);
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < items.length) {
      const index = next;
      next += 1;
      try {
        results[index] = { status: 'fulfilled', value: await work(items[index]) };
      } catch (reason) {
        results[index] = { status: 'rejected', reason };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, lane));
  return results;
}
