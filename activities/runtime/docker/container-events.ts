/**
 * Follows the Docker engine's events about the LM's containers (label `lm.service-instance`: plain, COMPSs,
 * compose and swarm-task containers alike) and reports which instances changed, once per burst (a stop is
 * kill + die + stop). After a broken stream (dockerd restarted) it reconnects with `since`, so the events the
 * engine still keeps are not lost. Each (re)connect is announced (`onConnected`): what happened while nobody
 * listened (a crash during a worker restart, a container that did not come back after a reboot) left no event to
 * see, so the agent's sweep compares every workload then.
 */
import readline from 'node:readline';
import type Docker from 'dockerode';
import type { Logger } from '../../../common/logger';
import { LABEL_INSTANCE } from '../labels';
import { debouncedReports, ReconnectDelay, type RuntimeEventFollower, type RuntimeEventOptions } from '../runtime-events';

/**
 * What can change whether a container runs or serves: started, ended (stop, kill, crash, OOM), removed,
 * paused, and its HEALTHCHECK turning healthy or unhealthy (Docker matches `health_status: …` by prefix).
 */
const EVENTS = ['start', 'die', 'destroy', 'pause', 'unpause', 'health_status'];

export interface ContainerEventsOptions extends RuntimeEventOptions {
  docker: Docker;
  logger: Logger;
  /** The stream is open (again): whatever happened before it is for a sweep to find. */
  onConnected(): void;
}

interface DockerEvent {
  Type?: string;
  Action?: string;
  time?: number;
  Actor?: { Attributes?: Record<string, string> };
}

/** The signals of the `kill` events the engine logged for container `id` since `sinceMs` (its events are kept in memory). */
export async function killSignalsSince(docker: Docker, id: string, sinceMs: number): Promise<string[]> {
  const stream = await docker.getEvents({
    since: sinceMs / 1000,
    until: Date.now() / 1000,
    filters: { type: ['container'], container: [id], event: ['kill'] },
  });
  const signals: string[] = [];
  for await (const line of readline.createInterface({ input: stream })) {
    if (line.trim() === '') continue;
    const event = JSON.parse(line) as DockerEvent;
    signals.push(event.Actor?.Attributes?.signal ?? '?');
  }
  return signals;
}

export function followContainerEvents({ docker, logger, onConnected, ...reporting }: ContainerEventsOptions): RuntimeEventFollower {
  const reports = debouncedReports(reporting);
  const report = reports.report;
  const delay = new ReconnectDelay();
  let stopped = false;
  let stream: NodeJS.ReadableStream | null = null;
  let retry: NodeJS.Timeout | null = null;
  /** Seconds since the epoch of the last event seen: where a reconnect resumes. */
  let since = Math.floor(Date.now() / 1000);

  type Closable = NodeJS.ReadableStream & { destroy?: () => void };
  const reconnectLater = (why: string): void => {
    (stream as Closable | null)?.destroy?.();
    stream = null;
    if (stopped || retry !== null) return;
    const retryInMs = delay.next();
    logger.warn({ why, retryInMs }, 'Docker event stream lost; reconnecting');
    retry = setTimeout(() => {
      retry = null;
      void connect();
    }, retryInMs);
  };

  async function connect(): Promise<void> {
    try {
      const events = await docker.getEvents({
        since,
        filters: { type: ['container'], event: EVENTS, label: [LABEL_INSTANCE] },
      });
      if (stopped) {
        (events as Closable).destroy?.();
        return;
      }
      stream = events;
      delay.reset();
      // After the stream is open, so that nothing falls between what the sweep sees and the events.
      onConnected();
      const lines = readline.createInterface({ input: events });
      lines.on('line', (line) => {
        let event: DockerEvent;
        try {
          event = JSON.parse(line) as DockerEvent;
        } catch {
          return;
        }
        if (typeof event.time === 'number') since = Math.max(since, event.time);
        const uuid = event.Actor?.Attributes?.[LABEL_INSTANCE];
        if (uuid !== undefined) report(uuid);
      });
      // readline passes the stream's errors on (a dropped connection is "aborted"); the stream ends after.
      // Only the current stream may trigger a reconnect: a replaced one still closes later.
      lines.on('error', (err: Error) => {
        if (stream === events) reconnectLater(err.message);
      });
      lines.on('close', () => {
        if (stream === events) reconnectLater('the stream ended');
      });
    } catch (err) {
      reconnectLater(err instanceof Error ? err.message : String(err));
    }
  }

  void connect();
  return {
    stop() {
      stopped = true;
      if (retry !== null) clearTimeout(retry);
      reports.cancel();
      (stream as Closable | null)?.destroy?.();
    },
  };
}
