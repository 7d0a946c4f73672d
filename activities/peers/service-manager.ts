/**
 * Service Manager connector (QoS providing, spec/mf2c-peers.md §2.1): `GET <URL_AC_SERVICE_MNGMT>/<instance id>`.
 * The SM answers HTTP 200 whatever happens; its verdict is the envelope's `status` and the `allow` flags.
 */
import type { LmConfig } from '../../common/config';
import type { QosAnswer } from '../../workflows/model/peers';
import { callPeer, notConfigured } from './http-peer';

const PEER = 'the Service Manager';

export function createServiceManagerActivities(config: LmConfig) {
  const base = config.peers.serviceManager;
  return {
    /** The SM reads the instance from CIMI: the workflow mirrors it (with the agents' device ids) first. */
    async checkQos(instanceId: string): Promise<QosAnswer> {
      if (base === null) throw notConfigured(PEER, 'URL_AC_SERVICE_MNGMT');
      const { data } = await callPeer({
        peer: PEER,
        method: 'get',
        url: `${base}/${instanceId}`,
        timeoutMs: config.httpTimeoutMs,
        idempotent: true,
      });
      const body = typeof data === 'object' && data !== null ? (data as Record<string, unknown>) : {};
      const instance = body['service-instance'];
      const agents = typeof instance === 'object' && instance !== null ? (instance as { agents?: unknown }).agents : undefined;
      return {
        status: typeof body.status === 'number' ? body.status : 0,
        message: typeof body.message === 'string' ? body.message : '',
        agents: Array.isArray(agents)
          ? agents
              .filter((a): a is Record<string, unknown> => typeof a === 'object' && a !== null)
              .map((a) => ({
                ...(typeof a.device_id === 'string' ? { device_id: a.device_id } : {}),
                ...(typeof a.allow === 'boolean' ? { allow: a.allow } : {}),
              }))
          : [],
      };
    },
  };
}

export type ServiceManagerActivities = ReturnType<typeof createServiceManagerActivities>;
