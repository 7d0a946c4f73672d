/**
 * CIMI connector (spec/mf2c-peers.md §5): the agent resource, services, the `service-instance` mirror and
 * COMPSs operation reports. Every call carries `slipstream-authn-info: <CIMI_USER> ADMIN`.
 */
import type { LmConfig } from '../../common/config';
import type { ServiceInstance } from '../../workflows/model/instance';
import type { CimiAgentInfo } from '../../workflows/model/peers';
import { cimiInstanceDocument, type CimiInstanceDocument } from './cimi-instance-document';
import { FailureType } from '../../workflows/model/failures';
import { failure } from '../failures';
import { answerText, callPeer, notConfigured, type PeerResponse } from './http-peer';

const PEER = 'CIMI';
const IPV4 = /\b(?:\d{1,3}\.){3}\d{1,3}\b/g;
type Json = Record<string, unknown>;

function isJson(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function text(value: unknown): string | null {
  return typeof value === 'string' && value.trim() !== '' ? value : null;
}

/** `service/<uuid>` and a bare `<uuid>` both name the service. */
export function resourcePath(resource: string, id: string): string {
  const bare = id.startsWith(`${resource}/`) ? id.slice(resource.length + 1) : id;
  return `${resource}/${encodeURIComponent(bare)}`;
}

export class CimiClient {
  constructor(
    private readonly baseUrl: string,
    private readonly user: string,
    private readonly timeoutMs: number,
  ) {}

  private call(
    method: 'get' | 'post' | 'put' | 'delete',
    path: string,
    options: { body?: unknown; params?: Record<string, string>; accept?: number[] } = {},
  ): Promise<PeerResponse> {
    const query = options.params ? `?${new URLSearchParams(options.params).toString()}` : '';
    return callPeer({
      peer: PEER,
      method,
      url: `${this.baseUrl}/${path}${query}`,
      body: options.body,
      headers: { 'slipstream-authn-info': `${this.user} ADMIN`, 'Content-Type': 'application/json', Accept: 'application/json' },
      timeoutMs: this.timeoutMs,
      // Creating a resource is the only write that is not idempotent; the API makes it, not an activity.
      idempotent: method !== 'post',
      accept: options.accept,
    });
  }

  /** The first item of a collection query, or null when nothing matches. */
  private async first(resource: string, listKey: string, filter?: string): Promise<Json | null> {
    const { data } = await this.call('get', resource, filter === undefined ? {} : { params: { $filter: filter } });
    const items = isJson(data) ? data[listKey] : undefined;
    return Array.isArray(items) && isJson(items[0]) ? items[0] : null;
  }

  /** This LM's agent (CIMI `agent`): its device, its IP and its leader's IP; null when CIMI has none. */
  async agentInfo(): Promise<CimiAgentInfo | null> {
    const agent = await this.first('agent', 'agents');
    if (agent === null) return null;
    return {
      deviceId: text(agent.device_id) ?? 'not-defined',
      deviceIp: text(agent.device_ip) ?? '',
      leaderIp: text(agent.leader_ip),
    };
  }

  /**
   * The IPs of the agents this agent's CIMI knows: its leader, backup and children (agent resource) and the
   * addresses every device reports (device-dynamic `ethernetAddress` / `wifiAddress`, whatever their format).
   */
  async knownAgentAddresses(): Promise<string[]> {
    const addresses = new Set<string>();
    const add = (value: unknown): void => {
      const found =
        typeof value === 'string'
          ? value.match(IPV4)
          : Array.isArray(value)
            ? value.flatMap((v) => (typeof v === 'string' ? (v.match(IPV4) ?? []) : []))
            : null;
      for (const ip of found ?? []) addresses.add(ip);
    };
    const agent = await this.first('agent', 'agents');
    if (agent !== null) for (const key of ['leader_ip', 'backup_ip', 'childrenIPs']) add(agent[key]);
    const data = await this.call('get', 'device-dynamic').then(
      (response) => response.data,
      () => null,
    );
    const dynamics = isJson(data) && Array.isArray(data.deviceDynamics) ? data.deviceDynamics : [];
    for (const entry of dynamics) if (isJson(entry)) for (const key of ['ethernetAddress', 'wifiAddress']) add(entry[key]);
    return [...addresses];
  }

  /** The service, or null when CIMI does not know it (404, or a 200 without `id` as the original reads it). */
  async service(serviceId: string): Promise<Json | null> {
    const { status, data } = await this.call('get', resourcePath('service', serviceId), { accept: [404] });
    return status === 200 && isJson(data) && text(data.id) !== null ? data : null;
  }

  async createServiceInstance(document: CimiInstanceDocument): Promise<string> {
    const { data } = await this.call('post', 'service-instance', { body: document });
    const id = isJson(data) ? text(data['resource-id']) : null;
    if (id === null) throw failure(FailureType.PeerRejected, `CIMI answered a create without resource-id: ${answerText(data)}`);
    return id;
  }

  async serviceInstance(id: string): Promise<Json | null> {
    const { status, data } = await this.call('get', resourcePath('service-instance', id), { accept: [404] });
    return status === 200 && isJson(data) ? data : null;
  }

  /** A full PUT of the schema's keys: CIMI merges it over the stored document. */
  async updateServiceInstance(instance: ServiceInstance): Promise<void> {
    await this.call('put', resourcePath('service-instance', instance.id), { body: cimiInstanceDocument(instance) });
  }

  /** Deleting what is already gone is done. */
  async deleteServiceInstance(id: string): Promise<void> {
    await this.call('delete', resourcePath('service-instance', id), { accept: [404] });
  }

  /** The COMPSs report of an application (spec/original-lm.md §10.3); `{}` when there is none yet. */
  async operationReport(appId: string): Promise<Json> {
    return (await this.first('service-operation-report', 'serviceOperationReports', `operation_id='${appId.replace(/'/g, "\\'")}'`)) ?? {};
  }

  /** `/agent-um` (spec/original-lm.md §7.2 (7)): agent → device → its user-profile and sharing-model. */
  async agentUserManagement(): Promise<{ userProfile: Json | null; sharingModel: Json | null }> {
    const agent = await this.agentInfo();
    if (agent === null) return { userProfile: null, sharingModel: null };
    const device = await this.first('device', 'devices', `deviceID="${agent.deviceId.replace(/"/g, '\\"')}"`);
    const deviceId = device === null ? null : text(device.id);
    if (deviceId === null) return { userProfile: null, sharingModel: null };
    const [userProfile, sharingModel] = await Promise.all([
      this.first('user-profile', 'userProfiles', `device_id="${deviceId}"`),
      this.first('sharing-model', 'sharingModels', `device_id="${deviceId}"`),
    ]);
    return { userProfile, sharingModel };
  }
}

export function cimiClient(config: LmConfig): CimiClient | null {
  return config.cimi === null ? null : new CimiClient(config.cimi.url, config.cimi.user, config.httpTimeoutMs);
}

/** The orchestration activities on CIMI: the workflow mirrors its instance at every transition. */
export function createCimiActivities(config: LmConfig) {
  const cimi = cimiClient(config);
  const client = (): CimiClient => {
    if (cimi === null) throw notConfigured(PEER, 'CIMI_URL');
    return cimi;
  };
  return {
    async mirrorInstanceToCimi(instance: ServiceInstance): Promise<void> {
      await client().updateServiceInstance(instance);
    },
    async deleteInstanceFromCimi(instanceId: string): Promise<void> {
      await client().deleteServiceInstance(instanceId);
    },
  };
}

export type CimiActivities = ReturnType<typeof createCimiActivities>;
