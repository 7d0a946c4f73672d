/**
 * Follows the Docker engine's events about the LM's containers (label `lm.service-instance`: plain, COMPSs,
 * compose and swarm-task containers alike) and reports which instances changed, once per burst (a stop is
 * kill + die + stop). After a broken stream (dockerd restarted) it reconnects with `since`, so the events the
 * engine still keeps are not lost. Each (re)connect also reports every instance with a container that is not
 * running, as what happened while nobody listened (a crash during a worker restart, a container that did not
 * come back after a reboot) left no event to see; the instances' periodic observation covers the rest.
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
}

interface DockerEvent {
  Type?: string;
  Action?: string;
  time?: number;
  Actor?: { Attributes?: Record<string, string> };
}

export function followContainerEvents({ docker, logger, ...reporting }: ContainerEventsOptions): RuntimeEventFollower {
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

  /** After the stream is open, so that nothing falls between the listing and the events. */
  async function reportNotRunning(): Promise<void> {
    try {
      const containers = await docker.listContainers({ all: true, filters: { label: [LABEL_INSTANCE] } });
      for (const container of containers) {
        const uuid = container.Labels?.[LABEL_INSTANCE];
        if (container.State !== 'running' && uuid !== undefined) report(uuid);
      }
    } catch (err) {
      logger.warn({ err }, 'could not list the LM containers after connecting to Docker events');
    }
  }

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
      void reportNotRunning();
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
