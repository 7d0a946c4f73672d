/**
 * Fake Analytics Engine / recommender (spec/mf2c-peers.md §4.1): `POST /mf2c/optimal` answers the hosts to
 * deploy on, in order; it can also be "not ready" (202 text/plain), answer an empty list, or be down.
 */
import express, { type Request, type Response } from 'express';
import { type FakeServer, type FakeServerOptions, startFakeServer } from './fake-server';

export interface RecommenderHost {
  ipaddress: string;
  node_name: string;
  [metric: string]: unknown;
}

/** ok: the host list; not-ready: 202 text; empty: []; down: connection refused. */
export type RecommenderMode = 'ok' | 'not-ready' | 'empty' | 'down';

export interface FakeRecommenderOptions extends FakeServerOptions {
  /** IPs or full host entries; default one host, 127.0.0.1. */
  hosts?: Array<string | RecommenderHost>;
}

export interface FakeRecommender extends FakeServer {
  setHosts(hosts: Array<string | RecommenderHost>): void;
  setMode(mode: RecommenderMode): Promise<void>;
}

export const NOT_READY_TEXT = 'Service not ready yet, please wait or restart landscape';

/** A host entry shaped like the engine's (utilisations sorted ascending by the requested order). */
export function recommenderHost(ipaddress: string, extra: Partial<RecommenderHost> = {}): RecommenderHost {
  return {
    node_name: `node-${ipaddress}`,
    type: 'machine',
    ipaddress,
    'compute utilization': 0.075,
    'compute saturation': 0.0,
    'memory utilization': 0.093,
    'memory saturation': 0.0,
    'network utilization': 0.0,
    'network saturation': 0.0,
    'disk utilization': 0.0009,
    'disk saturation': 0.0,
    ...extra,
  };
}

const toHosts = (hosts: Array<string | RecommenderHost>): RecommenderHost[] =>
  hosts.map((h) => (typeof h === 'string' ? recommenderHost(h) : h));

export async function startFakeRecommender(options: FakeRecommenderOptions = {}): Promise<FakeRecommender> {
  let hosts = toHosts(options.hosts ?? ['127.0.0.1']);
  let mode: RecommenderMode = 'ok';

  const router = express.Router();
  router.post('/mf2c/optimal', (_req: Request, res: Response) => {
    if (mode === 'not-ready') return void res.status(202).type('text/plain').send(NOT_READY_TEXT);
    res.status(200).json(mode === 'empty' ? [] : hosts);
  });
  // The engine is Flask: unknown routes and errors answer HTML/text, not JSON.
  const server = await startFakeServer(
    { peer: 'recommender', routes: router, errorBody: (status, message) => `${status}: ${message}` },
    options,
  );

  return {
    ...server,
    setHosts: (next) => void (hosts = toHosts(next)),
    setMode: async (next) => {
      mode = next;
      await server.setDown(next === 'down', 'refuse');
    },
  };
}
