/**
 * A container's `die` events, followed from before its start: the start's minimum run time ends at the first one
 * instead of being slept through. The engine answers the events request a moment before it subscribes it, and a
 * stream may fail to open or break: then no `die` is seen, the window runs out, and the caller's inspect at its
 * end decides (a container that died is not running, or Docker's restart count says it was restarted).
 */
import readline from 'node:readline';
import type Docker from 'dockerode';
import { abortReason } from '../cancellation';

export interface ExitWatch {
  /** The exit code of the first `die` since the watch began, waiting at most `ms` for one; null: none came. */
  exitWithin(ms: number, signal: AbortSignal): Promise<number | null>;
  close(): void;
}

interface DieEvent {
  Action?: string;
  Actor?: { Attributes?: Record<string, string> };
}

type Closable = NodeJS.ReadableStream & { destroy?: () => void };

export async function watchExits(docker: Docker, containerId: string): Promise<ExitWatch> {
  let exitCode: number | null = null;
  const waiters = new Set<(code: number) => void>();
  let stream: Closable | null = null;
  try {
    stream = (await docker.getEvents({ filters: { type: ['container'], container: [containerId], event: ['die'] } })) as Closable;
    const lines = readline.createInterface({ input: stream });
    lines.on('line', (line) => {
      let event: DieEvent;
      try {
        event = JSON.parse(line) as DieEvent;
      } catch {
        return;
      }
      if (event.Action !== 'die' || exitCode !== null) return;
      const code = Number(event.Actor?.Attributes?.exitCode);
      exitCode = Number.isInteger(code) ? code : -1;
      for (const wake of waiters) wake(exitCode);
    });
    // A broken stream only means no early end: the window runs out and the inspect after it decides.
    lines.on('error', () => undefined);
  } catch {
    stream = null;
  }
  return {
    exitWithin(ms, signal) {
      if (exitCode !== null) return Promise.resolve(exitCode);
      if (signal.aborted) return Promise.reject(abortReason(signal));
      return new Promise((resolve, reject) => {
        const finish = (): void => {
          clearTimeout(timer);
          waiters.delete(onDie);
          signal.removeEventListener('abort', onAbort);
        };
        const onDie = (code: number): void => {
          finish();
          resolve(code);
        };
        const onAbort = (): void => {
          finish();
          reject(abortReason(signal));
        };
        const timer = setTimeout(() => {
          finish();
          resolve(null);
        }, ms);
        waiters.add(onDie);
        signal.addEventListener('abort', onAbort, { once: true });
      });
    },
    close() {
      stream?.destroy?.();
    },
  };
}
