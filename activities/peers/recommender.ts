/**
 * Recommender connector (the Analytics Engine, spec/mf2c-peers.md §4.1): `POST …/optimal` answers the hosts
 * to deploy on, best first. A 202 "not ready" text or a body that is not a host list counts as unavailable.
 */
import type { LmConfig } from '../../common/config';
import { FailureType } from '../../workflows/model/failures';
import type { Service } from '../../workflows/model/service';
import { failure } from '../failures';
import { answerText, callPeer, notConfigured } from './http-peer';

const PEER = 'the Recommender';
const RESOURCES = ['cpu', 'memory', 'disk', 'network'] as const;

/**
 * `category` → `sort_order` (spec/original-lm.md §8.3): 0 none; 1–4 one resource; 5–10 the pairs; 11–14 the
 * triples; 15 all four (the original sent ["cpumemory", …], a missing comma: bug C9).
 */
const SORT_ORDERS: ReadonlyArray<readonly string[]> = [
  [],
  ['cpu'],
  ['memory'],
  ['disk'],
  ['network'],
  ['cpu', 'memory'],
  ['cpu', 'disk'],
  ['cpu', 'network'],
  ['memory', 'disk'],
  ['memory', 'network'],
  ['disk', 'network'],
  ['cpu', 'memory', 'disk'],
  ['cpu', 'memory', 'network'],
  ['cpu', 'disk', 'network'],
  ['memory', 'disk', 'network'],
  [...RESOURCES],
];

export function sortOrderOf(category: number): string[] {
  return [...(SORT_ORDERS[category] ?? [])];
}

export function createRecommenderActivities(config: LmConfig) {
  const base = config.peers.recommender;
  return {
    /** Agent IPs in the Recommender's order, without repeats (CIMI rejects duplicate agents). */
    async recommendAgents(service: Service): Promise<string[]> {
      if (base === null) throw notConfigured(PEER, 'URL_PM_RECOM_LANDSCAPER');
      const url = `${base}/optimal`;
      const { status, data } = await callPeer({
        peer: PEER,
        method: 'post',
        url,
        body: { sort_order: sortOrderOf(service.category), name: service.name, service_id: service.id ?? service.name },
        headers: { Accept: 'text/json', 'Content-Type': 'application/json' },
        timeoutMs: config.peers.recommenderTimeoutMs,
        idempotent: true,
      });
      if (status !== 200 || !Array.isArray(data)) {
        throw failure(FailureType.PeerUnavailable, `${PEER} (POST ${url}) answered ${status} without a host list: ${answerText(data)}`);
      }
      const ips = data
        .map((host: unknown) => (typeof host === 'object' && host !== null ? (host as { ipaddress?: unknown }).ipaddress : undefined))
        .filter((ip): ip is string => typeof ip === 'string' && ip.trim() !== '');
      return [...new Set(ips)];
    },
  };
}

export type RecommenderActivities = ReturnType<typeof createRecommenderActivities>;
