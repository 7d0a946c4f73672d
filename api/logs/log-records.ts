/**
 * What a workload log answer is made of: one record per line, tagged with the agent and the container or service
 * it came from, and notices for what could not be read. Also the bounds every reader keeps to.
 */

/**
 * `combined`: stdout and stderr as one stream, which is all the runtime keeps: a container with a TTY (the docker
 * and COMPSs runtimes give their containers one, as the original did), and Kubernetes pod logs.
 */
export type LogStream = 'stdout' | 'stderr' | 'combined';

export interface LogLine {
  kind: 'line';
  /** `<agent ip>#<index in agents>`, as on the timeline. */
  agent: string;
  /** The container, swarm service, compose service or pod (and container) the line came from. */
  source: string;
  stream: LogStream;
  /** When the runtime received the line (RFC 3339), or null when it did not say. */
  at: string | null;
  line: string;
}

/** Something the reader could not do for one agent or source; the other sources go on. */
export interface LogNotice {
  kind: 'notice';
  agent: string;
  source?: string;
  message: string;
}

/** The last record of an answer: why it ended. */
export interface LogEnd {
  kind: 'end';
  reason: string;
}

export type LogRecord = LogLine | LogNotice | LogEnd;

export interface LogRequest {
  /** Lines per source from the end of what it has logged so far. */
  tail: number;
  /** Unix seconds: only lines logged from then on; null: all that `tail` allows. */
  since: number | null;
  follow: boolean;
}

export const LOG_LIMITS = {
  /** Lines per source when the request names no tail. */
  defaultTail: 100,
  maxTail: 10_000,
  /** A longer line is cut (and says so): one runaway line must not fill the answer. */
  maxLineBytes: 16 * 1024,
  /** Bytes of records in one answer, followed or not; past it the answer ends and says why. */
  maxAnswerBytes: 16 * 1024 * 1024,
  /** How long another agent's LM may take over a whole answer that is not followed. */
  remoteReadMs: 60_000,
  /** How often a followed answer checks whether the instance has ended. */
  endCheckMs: 2_000,
} as const;

/** Something that hands out the records of one agent's workload; resolves when its sources have ended. */
export type LogSink = (record: LogLine | LogNotice) => void;

/** `2024-05-01T10:00:00.123456789Z text`: the runtime's timestamp (timestamps=true) and the line. */
function splitTimestamp(text: string): { at: string | null; line: string } {
  const space = text.indexOf(' ');
  const head = space > 0 ? text.slice(0, space) : '';
  if (/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/.test(head)) return { at: head, line: text.slice(space + 1) };
  return { at: null, line: text };
}

/** Cuts a byte stream into lines (the last one may come without its newline), each with its timestamp. */
export class LineSplitter {
  private pending = '';

  constructor(
    private readonly maxLine: number,
    private readonly onLine: (at: string | null, line: string) => void,
  ) {}

  push(chunk: Buffer | string): void {
    this.pending += chunk.toString();
    let newline = this.pending.indexOf('\n');
    while (newline >= 0) {
      this.emit(this.pending.slice(0, newline));
      this.pending = this.pending.slice(newline + 1);
      newline = this.pending.indexOf('\n');
    }
    if (this.pending.length > this.maxLine * 2) {
      this.emit(this.pending);
      this.pending = '';
    }
  }

  end(): void {
    if (this.pending.length > 0) this.emit(this.pending);
    this.pending = '';
  }

  private emit(raw: string): void {
    const { at, line } = splitTimestamp(raw.replace(/\r$/, ''));
    const cut = line.length > this.maxLine ? `${line.slice(0, this.maxLine)} … [line cut at ${this.maxLine} characters]` : line;
    this.onLine(at, cut);
  }
}

/**
 * `since` as the API takes it: an RFC 3339 time, Unix seconds, or a duration back from now (`30s`, `10m`, `2h`).
 * Null when it is none of these.
 */
export function parseSince(value: string, now: number = Date.now()): number | null {
  const text = value.trim();
  const duration = /^(\d+)(s|m|h|d)$/.exec(text);
  if (duration) {
    const seconds = Number(duration[1]) * { s: 1, m: 60, h: 3600, d: 86_400 }[duration[2] as 's' | 'm' | 'h' | 'd'];
    return Math.floor(now / 1000) - seconds;
  }
  if (/^\d+$/.test(text)) return Number(text);
  const time = Date.parse(text);
  return /^\d{4}-\d\d-\d\d/.test(text) && Number.isFinite(time) ? Math.floor(time / 1000) : null;
}
