/**
 * What the runtime event followers (Docker events, Kubernetes watches) share: instances reported once per burst
 * of events, and a reconnect delay that grows while the runtime stays away.
 */

/** A follower of one runtime's events; stopped when the worker shuts down. */
export interface RuntimeEventFollower {
  stop(): void;
}

export interface RuntimeEventOptions {
  /** Events of one instance within this window are reported once, at its end. */
  debounceMs: number;
  onChanged(instanceUuid: string): void;
}

export interface DebouncedReports {
  report(instanceUuid: string): void;
  /** Drops the reports not yet made. */
  cancel(): void;
}

/** A stop is kill + die + stop, a rollout is a dozen status writes: the instance hears of it once. */
export function debouncedReports({ debounceMs, onChanged }: RuntimeEventOptions): DebouncedReports {
  const pending = new Map<string, NodeJS.Timeout>();
  return {
    report(uuid) {
      if (uuid === '' || pending.has(uuid)) return;
      pending.set(
        uuid,
        setTimeout(() => {
          pending.delete(uuid);
          onChanged(uuid);
        }, debounceMs),
      );
    },
    cancel() {
      for (const timer of pending.values()) clearTimeout(timer);
      pending.clear();
    },
  };
}

const RECONNECT_MIN_MS = 500;
const RECONNECT_MAX_MS = 30_000;

/** 0.5 s, doubling up to 30 s while reconnects fail; back to 0.5 s once events flow again. */
export class ReconnectDelay {
  private delay = RECONNECT_MIN_MS;

  next(): number {
    const current = this.delay;
    this.delay = Math.min(this.delay * 2, RECONNECT_MAX_MS);
    return current;
  }

  reset(): void {
    this.delay = RECONNECT_MIN_MS;
  }
}
