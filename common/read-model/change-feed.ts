/**
 * The listeners of one store's changes. What feeds it (a poll of SQLite's data_version, PostgreSQL's LISTEN)
 * runs only while someone listens: an API nobody follows a timeline of does no work for it.
 */
import type { ChangeListener } from './read-model-store';

export interface ChangeSource {
  start(): void;
  stop(): void;
}

export class ChangeFeed {
  private readonly listeners = new Set<ChangeListener>();

  constructor(private readonly source: ChangeSource) {}

  subscribe(listener: ChangeListener): () => void {
    this.listeners.add(listener);
    if (this.listeners.size === 1) this.source.start();
    return () => {
      if (this.listeners.delete(listener) && this.listeners.size === 0) this.source.stop();
    };
  }

  emit(uuid: string | null): void {
    for (const listener of [...this.listeners]) listener(uuid);
  }

  stop(): void {
    if (this.listeners.size > 0) this.source.stop();
    this.listeners.clear();
  }
}

/** A source that calls `poll` every `ms` (after `start`), unref'd so it never keeps a process alive. */
export function pollingSource(ms: number, start: () => void, poll: () => void, onError: (err: unknown) => void): ChangeSource {
  let timer: NodeJS.Timeout | null = null;
  return {
    start() {
      start();
      timer = setInterval(() => {
        try {
          poll();
        } catch (err) {
          onError(err);
        }
      }, ms);
      timer.unref();
    },
    stop() {
      if (timer !== null) clearInterval(timer);
      timer = null;
    },
  };
}
