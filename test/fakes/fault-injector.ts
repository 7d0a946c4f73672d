/**
 * Scripted misbehaviour of a fake peer: answer an error N times, delay (or never answer), or drop every
 * connection. Lets tests reproduce "500 for a while then success", "400", "hanging" and "down".
 */
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { type FaultKind, matchesMethod, matchesPath, type PathMatcher } from './call-recorder';
import { sendPayload } from './send-payload';

export interface FailureScript {
  status: number;
  /** A string is sent as text/plain, anything else as JSON; omitted = the peer's own error envelope. */
  body?: unknown;
  /** How many matching calls fail; default 1, Infinity for "until clearFaults()". */
  times?: number;
  headers?: Record<string, string>;
}

export type ErrorBodyFactory = (status: number, message: string) => unknown;

interface FailRule {
  method: string;
  path: PathMatcher;
  script: FailureScript;
  remaining: number;
}

interface HangRule {
  method: string;
  path: PathMatcher;
  ms: number;
  remaining: number;
}

/** setTimeout overflows above this and fires at once, so longer hangs are "never answer". */
const MAX_TIMER_MS = 2 ** 31 - 1;

export class FaultInjector {
  private fails: FailRule[] = [];
  private hangs: HangRule[] = [];
  private down = false;
  private readonly pending = new Set<{ timer?: NodeJS.Timeout; res: Response }>();

  constructor(
    private readonly errorBody: ErrorBodyFactory,
    private readonly onFault: (req: Request, kind: FaultKind) => void,
  ) {}

  failNext(method: string, path: PathMatcher, script: FailureScript): void {
    this.fails.push({ method, path, script, remaining: script.times ?? 1 });
  }

  /** Delays matching calls by `ms` before normal handling; Infinity never answers. Default: every call. */
  hang(method: string, path: PathMatcher, ms: number, times = Infinity): void {
    this.hangs.push({ method, path, ms, remaining: times });
  }

  /** While down, every request has its connection destroyed without an answer. */
  setDown(down: boolean): void {
    this.down = down;
  }

  clear(): void {
    this.fails = [];
    this.hangs = [];
    this.down = false;
  }

  /** Drops the connections of requests still hanging, so the server can close. */
  releaseAll(): void {
    for (const entry of this.pending) {
      if (entry.timer) clearTimeout(entry.timer);
      entry.res.socket?.destroy();
    }
    this.pending.clear();
  }

  middleware(): RequestHandler {
    return (req: Request, res: Response, next: NextFunction): void => {
      if (this.down) {
        this.onFault(req, 'down');
        req.socket.destroy();
        return;
      }
      const hang = take(this.hangs, req);
      if (!hang) return this.failOrContinue(req, res, next);
      this.onFault(req, 'hang');
      const entry: { timer?: NodeJS.Timeout; res: Response } = { res };
      this.pending.add(entry);
      res.on('close', () => {
        if (entry.timer) clearTimeout(entry.timer);
        this.pending.delete(entry);
      });
      if (hang.ms <= MAX_TIMER_MS) {
        entry.timer = setTimeout(() => {
          this.pending.delete(entry);
          this.failOrContinue(req, res, next);
        }, hang.ms);
      }
    };
  }

  private failOrContinue(req: Request, res: Response, next: NextFunction): void {
    const rule = take(this.fails, req);
    if (!rule) return next();
    this.onFault(req, 'fail');
    const { status, body, headers } = rule.script;
    if (headers) res.set(headers);
    sendPayload(res, status, body === undefined ? this.errorBody(status, `scripted failure ${status}`) : body);
  }
}

/** Consumes one use of the first live rule matching the request. */
function take<T extends { method: string; path: PathMatcher; remaining: number }>(rules: T[], req: Request): T | undefined {
  const rule = rules.find((r) => r.remaining > 0 && matchesMethod(req.method, r.method) && matchesPath(req.path, r.path));
  if (rule) rule.remaining -= 1;
  return rule;
}
