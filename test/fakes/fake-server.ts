/**
 * Common base of every fake peer: an express app on 127.0.0.1 that records each request before any routing
 * (so even rejected or faulted calls are visible), then applies scripted faults, then the peer's routes.
 */
import { createServer, type Server } from 'node:http';
import express, { type NextFunction, type Request, type Response, type Router } from 'express';
import { CallRecorder, type CallPredicate, type FaultKind, type PathMatcher, RECORDED_HEADERS, type RecordedCall } from './call-recorder';
import { queryParams } from './http-params';
import { sendPayload } from './send-payload';
import { type ErrorBodyFactory, FaultInjector, type FailureScript } from './fault-injector';

export type { FailureScript } from './fault-injector';

/** Options every startFakeX accepts. */
export interface FakeServerOptions {
  /** 0 (default) picks a free port. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** Share one recorder between fakes to assert the order of calls across peers. */
  recorder?: CallRecorder;
}

/** What a peer file hands to startFakeServer. */
export interface PeerDefinition {
  peer: string;
  routes: Router;
  /** The peer's own error envelope, used for unknown routes, malformed JSON and scripted failures. */
  errorBody?: ErrorBodyFactory;
}

/**
 * "reset": keep listening but destroy every connection (client sees ECONNRESET / socket hang up).
 * "refuse": stop listening (client sees ECONNREFUSED); the same port is reopened when back up.
 */
export type DownMode = 'reset' | 'refuse';

export interface FakeServer {
  readonly peer: string;
  readonly url: string;
  readonly port: number;
  readonly recorder: CallRecorder;
  /** Calls received by this fake only (the recorder may be shared). */
  calls(): RecordedCall[];
  callsTo(method: string, path: PathMatcher): RecordedCall[];
  waitForCall(predicate: CallPredicate, timeoutMs?: number): Promise<RecordedCall>;
  /** The next `times` (default 1) matching calls get this answer. Method '*' matches any. */
  failNext(method: string, path: PathMatcher, script: FailureScript): void;
  /** Matching calls are answered after `ms` (Infinity: never); `times` defaults to every call. */
  hang(method: string, path: PathMatcher, ms: number, times?: number): void;
  setDown(down: boolean, mode?: DownMode): Promise<void>;
  /** Removes every scripted failure and hang, and brings the server back up. */
  clearFaults(): Promise<void>;
  close(): Promise<void>;
}

const defaultErrorBody: ErrorBodyFactory = (_status, message) => ({ error: true, message });

export async function startFakeServer(definition: PeerDefinition, options: FakeServerOptions = {}): Promise<FakeServer> {
  const { peer, routes } = definition;
  const errorBody = definition.errorBody ?? defaultErrorBody;
  const recorder = options.recorder ?? new CallRecorder();
  const host = options.host ?? '127.0.0.1';
  const callOf = new WeakMap<Request, RecordedCall>();
  const faults = new FaultInjector(errorBody, (req: Request, kind: FaultKind) => {
    const call = callOf.get(req);
    if (call) call.fault = kind;
  });
  const malformedJson = new WeakSet<Request>();

  const app = express();
  app.disable('x-powered-by');
  // Polling clients must always get a fresh body, never a 304.
  app.set('etag', false);
  // Read every body as bytes and parse it ourselves, so XML, text and broken JSON are all recorded.
  app.use(express.raw({ type: () => true, limit: '50mb' }));
  app.use((req: Request, _res: Response, next: NextFunction) => {
    const parsed = parseBody(req);
    req.body = parsed.body;
    if (parsed.malformedJson) malformedJson.add(req);
    const call = toRecordedCall(peer, req, parsed.body);
    callOf.set(req, call);
    recorder.record(call);
    next();
  });
  app.use(faults.middleware());
  app.use((req: Request, res: Response, next: NextFunction) => {
    if (!malformedJson.has(req)) return next();
    sendPayload(res, 400, errorBody(400, 'malformed JSON body'));
  });
  app.use(routes);
  app.use((req: Request, res: Response) => {
    sendPayload(res, 404, errorBody(404, `no route for ${req.method} ${req.path}`));
  });
  app.use((err: unknown, _req: Request, res: Response, _next: NextFunction) => {
    const status = statusOf(err);
    sendPayload(res, status, errorBody(status, err instanceof Error ? err.message : String(err)));
  });

  const server = createServer(app);
  const port = await listen(server, options.port ?? 0, host);
  const url = `http://${host}:${port}`;
  let refusing = false;

  const setDown = async (down: boolean, mode: DownMode = 'reset'): Promise<void> => {
    faults.setDown(down && mode === 'reset');
    if (down) server.closeIdleConnections();
    if (down && mode === 'refuse' && !refusing) {
      refusing = true;
      await stopListening(server);
    } else if (!down && refusing) {
      refusing = false;
      await listen(server, port, host);
    }
  };

  const mine = (): RecordedCall[] => recorder.calls().filter((c) => c.peer === peer);

  return {
    peer,
    url,
    port,
    recorder,
    calls: mine,
    callsTo: (method, path) => recorder.callsTo(method, path).filter((c) => c.peer === peer),
    waitForCall: (predicate, timeoutMs) => recorder.waitForCall((c) => c.peer === peer && predicate(c), timeoutMs, `${peer} call`),
    failNext: (method, path, script) => faults.failNext(method, path, script),
    hang: (method, path, ms, times) => faults.hang(method, path, ms, times),
    setDown,
    clearFaults: async () => {
      faults.clear();
      await setDown(false);
    },
    close: async () => {
      faults.releaseAll();
      if (!refusing) await stopListening(server);
    },
  };
}

interface ParsedBody {
  body: unknown;
  malformedJson: boolean;
}

function parseBody(req: Request): ParsedBody {
  const raw: unknown = req.body;
  const text = Buffer.isBuffer(raw) ? raw.toString('utf8') : '';
  if (text === '') return { body: null, malformedJson: false };
  if (!/json/i.test(req.headers['content-type'] ?? '')) return { body: text, malformedJson: false };
  try {
    return { body: JSON.parse(text) as unknown, malformedJson: false };
  } catch {
    return { body: text, malformedJson: true };
  }
}

function toRecordedCall(peer: string, req: Request, body: unknown): RecordedCall {
  const query: Record<string, string | string[]> = {};
  for (const [key, value] of queryParams(req)) {
    const previous = query[key];
    query[key] = previous === undefined ? value : [...(Array.isArray(previous) ? previous : [previous]), value];
  }
  const headers: Record<string, string> = {};
  for (const name of RECORDED_HEADERS) {
    const value = req.headers[name];
    if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return { peer, method: req.method, path: req.path, query, headers, body, at: new Date().toISOString() };
}

/** body-parser errors carry the HTTP status to answer (413 too large, 400 bad encoding...). */
function statusOf(err: unknown): number {
  if (typeof err === 'object' && err !== null && 'status' in err && typeof err.status === 'number') return err.status;
  return 500;
}

function listen(server: Server, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      const address = server.address();
      if (address === null || typeof address === 'string') reject(new Error(`unexpected listen address ${String(address)}`));
      else resolve(address.port);
    });
  });
}

async function stopListening(server: Server): Promise<void> {
  await new Promise<void>((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
  // Let in-process clients see their pooled sockets close, so their next call is refused, not reset.
  await new Promise((resolve) => setTimeout(resolve, 20));
}
