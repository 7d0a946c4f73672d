/**
 * Live progress of an instance, from its timeline stream: a spinner (ora, on stderr; plain lines when stderr is
 * not a TTY) saying where each agent is — pulling (with the percentage when the timeline gives one), creating,
 * starting, started — and one line per timeline entry, until the instance settles.
 */
import ora from 'ora';
import type { TimelineEntry } from '../workflows/model/instance';
import { isTransitional, type InstanceStatus } from '../workflows/model/status';
import type { ApiClient } from './api-client';
import { CliError, EXIT } from './exit-codes';
import { colour, statusText } from './output';
import { readTimelineStream } from './timeline-stream';

/** Where one agent is, in words, from its latest timeline entry. */
export function phaseOf(entry: TimelineEntry): string {
  const pulling = /pull\w*\D*?(\d{1,3}(?:\.\d+)?)\s?%/i.exec(entry.message ?? '');
  if (pulling) return `pulling ${pulling[1]}%`;
  if (/pull/i.test(entry.message ?? '') && entry.outcome === 'info') return 'pulling';
  if (entry.outcome === 'failed') return `${entry.step} failed`;
  const phases: Record<string, [string, string]> = {
    deploy: ['creating', 'created'],
    start: ['starting', 'started'],
    stop: ['stopping', 'stopped'],
    restart: ['restarting', 'restarted'],
    remove: ['removing', 'removed'],
    observe: ['observed', 'observed'],
  };
  const [during, done] = phases[entry.step] ?? [entry.step, entry.step];
  return entry.outcome === 'ok' ? done : during;
}

function entryLine(entry: TimelineEntry): string {
  const who = entry.agent ? `${colour.bold(entry.agent)} ` : '';
  return `${who}${entry.step}: ${entry.message ?? entry.outcome}`;
}

export interface FollowResult {
  status: InstanceStatus;
  entries: TimelineEntry[];
  timedOut: boolean;
}

export interface FollowOptions {
  /** What is followed, for the spinner: `web (5bc32269)`. */
  title: string;
  /** What is happening until the first status comes: `deploying`. */
  doing: string;
  /** The first timeline entry that belongs to this run. */
  since: number;
  /** Seconds; undefined: wait as long as it takes. */
  timeoutS?: number;
  /** The instance is settled for this command (default: any status that is not transitional). */
  settled?: (status: InstanceStatus) => boolean;
}

export async function followUntilSettled(api: ApiClient, uuid: string, options: FollowOptions): Promise<FollowResult> {
  // ora's own rule for a live spinner, kept here because lmctl acts on it too.
  const interactive = Boolean(process.stderr.isTTY) && process.env.TERM !== 'dumb' && !('CI' in process.env);
  const spinner = ora({ text: `${options.title}: ${options.doing}`, stream: process.stderr, isEnabled: interactive }).start();
  const phases = new Map<string, string>();
  const entries: TimelineEntry[] = [];
  const settled = options.settled ?? ((status: InstanceStatus) => !isTransitional(status));
  let status: InstanceStatus | null = null;
  let timedOut = false;
  const started = Date.now();
  const render = () => {
    const agents = [...phases].map(([agent, phase]) => `${agent} ${phase}`).join(', ');
    spinner.text = `${options.title}: ${status ?? options.doing}${agents ? ` — ${agents}` : ''}`;
  };
  const timer =
    options.timeoutS === undefined
      ? null
      : setTimeout(() => {
          timedOut = true;
          stop.abort();
        }, options.timeoutS * 1000);
  const stop = new AbortController();
  try {
    await readTimelineStream(
      api,
      uuid,
      options.since,
      (event) => {
        if (event.type === 'entry') {
          entries.push(event.entry);
          const { entry } = event;
          if (entry.agent) phases.set(entry.agent, phaseOf(entry));
          const line = entryLine(entry);
          if (entry.outcome === 'ok') spinner.succeed(line);
          else if (entry.outcome === 'failed') spinner.fail(line);
          else if (entry.outcome === 'rejected') spinner.warn(line);
          else spinner.info(line);
          // Without a TTY ora prints the text at each start: once is enough there.
          if (interactive) spinner.start();
          render();
          return false;
        }
        status = event.status;
        render();
        return settled(event.status) || event.type === 'end';
      },
      stop.signal,
    );
  } catch (err) {
    spinner.fail(err instanceof Error ? err.message : String(err));
    throw err;
  } finally {
    if (timer) clearTimeout(timer);
  }
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  const final: InstanceStatus = status ?? 'error';
  if (timedOut) spinner.warn(`${options.title}: still ${final} after ${options.timeoutS}s (it goes on; lmctl status ${uuid.slice(0, 8)})`);
  else
    spinner.stopAndPersist({
      symbol: final === 'error' || final === 'degraded' ? colour.red('✖') : colour.green('✔'),
      text: `${options.title}: ${statusText(final)} in ${seconds}s`,
    });
  if (status === null && !timedOut) throw new CliError(`the timeline of ${uuid} ended before its status was known`, EXIT.failure);
  return { status: final, entries, timedOut };
}
