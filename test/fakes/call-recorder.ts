/**
 * Records every HTTP call the fake peers receive, so tests can assert the exact calls (in order, with
 * bodies) that the LM made. One recorder may be shared by several fakes to assert ordering across peers.
 */

/** Headers worth asserting on; everything else (host, user-agent, content-length...) is noise. */
export const RECORDED_HEADERS = ['slipstream-authn-info', 'content-type', 'accept', 'authorization'] as const;

export type FaultKind = 'fail' | 'hang' | 'down';

export interface RecordedCall {
  /** Which fake received it, e.g. "cimi". */
  peer: string;
  method: string;
  /** Path without the query string, as sent (not URL-decoded). */
  path: string;
  /** URL-decoded query parameters; a repeated parameter becomes an array. */
  query: Record<string, string | string[]>;
  /** Lower-cased subset of the request headers (see RECORDED_HEADERS). */
  headers: Record<string, string>;
  /** Parsed JSON for JSON requests, raw text otherwise (XML, text, malformed JSON), null when empty. */
  body: unknown;
  /** ISO time of arrival. */
  at: string;
  /** Set when a scripted fault answered instead of the peer's own logic. */
  fault?: FaultKind;
}

export type CallPredicate = (call: RecordedCall) => boolean;
export type CallListener = (call: RecordedCall) => void;
/** A string matches as a path prefix, a RegExp as a pattern. */
export type PathMatcher = string | RegExp;

const DEFAULT_WAIT_MS = 5000;
const POLL_INTERVAL_MS = 20;
/** Bound memory when a sandbox runs for hours. */
const DEFAULT_MAX_CALLS = 50_000;

export function matchesPath(path: string, matcher: PathMatcher): boolean {
  return typeof matcher === 'string' ? path.startsWith(matcher) : matcher.test(path);
}

/** '*' matches any method. */
export function matchesMethod(method: string, expected: string): boolean {
  return expected === '*' || method.toUpperCase() === expected.toUpperCase();
}

/** One line per call, short enough to read in a failed assertion. */
export function describeCall(call: RecordedCall): string {
  const query = new URLSearchParams();
  for (const [key, value] of Object.entries(call.query)) {
    for (const v of Array.isArray(value) ? value : [value]) query.append(key, v);
  }
  const qs = query.toString();
  const body = call.body === null ? '' : ` ${truncate(typeof call.body === 'string' ? call.body : JSON.stringify(call.body), 160)}`;
  const fault = call.fault ? ` [${call.fault}]` : '';
  return `${call.peer} ${call.method} ${call.path}${qs ? `?${qs}` : ''}${body}${fault}`;
}

function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max)}…`;
}

export class CallRecorder {
  private recorded: RecordedCall[] = [];
  private readonly listeners = new Set<CallListener>();

  constructor(private readonly maxCalls = DEFAULT_MAX_CALLS) {}

  record(call: RecordedCall): void {
    this.recorded.push(call);
    if (this.recorded.length > this.maxCalls) this.recorded.shift();
    for (const listener of this.listeners) listener(call);
  }

  /** A copy, oldest first. */
  calls(): RecordedCall[] {
    return [...this.recorded];
  }

  callsTo(method: string, path: PathMatcher): RecordedCall[] {
    return this.recorded.filter((c) => matchesMethod(c.method, method) && matchesPath(c.path, path));
  }

  clear(): void {
    this.recorded = [];
  }

  /** Subscribe to calls as they arrive (the sandbox logs them); returns the unsubscribe function. */
  onCall(listener: CallListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * Resolves with the first recorded call (already seen or future) matching the predicate. Polls, because
   * calls are recorded by another server on the same event loop. Rejects listing every call seen so far,
   * so a failed wait explains itself.
   */
  waitForCall(predicate: CallPredicate, timeoutMs = DEFAULT_WAIT_MS, what = 'a matching call'): Promise<RecordedCall> {
    const deadline = Date.now() + timeoutMs;
    return new Promise((resolve, reject) => {
      const poll = (): void => {
        const found = this.recorded.find(predicate);
        if (found) return resolve(found);
        if (Date.now() >= deadline) {
          const seen = this.recorded.map((c) => `  ${describeCall(c)}`).join('\n');
          return reject(
            new Error(`waitForCall: no ${what} within ${timeoutMs} ms; calls seen (${this.recorded.length}):\n${seen || '  (none)'}`),
          );
        }
        setTimeout(poll, POLL_INTERVAL_MS);
      };
      poll();
    });
  }
}
