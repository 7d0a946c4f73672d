/**
 * The `service-instance` document CIMI stores (spec/mf2c-peers.md §5.3). CIMI's schema is closed: only its
 * keys are sent; our own additions (`name`, `error` per agent; `service_name`, `error`, `agreement_error`)
 * stay in Temporal. The server owns `id`, `created`, `updated` and `resourceURI` and ignores them on writes.
 */
import type { AgentEntry, ServiceInstance } from '../../workflows/model/instance';

export type CimiAgent = Pick<
  AgentEntry,
  'url' | 'device_id' | 'app_type' | 'ports' | 'container_id' | 'compss_app_id' | 'allow' | 'master_compss' | 'agent_param'
> & {
  status: string;
};

/** The instance's schema keys; `status` and `service_type` widen to what other writers may have stored. */
export type CimiInstanceDocument = Pick<
  ServiceInstance,
  'user' | 'device_id' | 'device_ip' | 'parent_device_id' | 'parent_device_ip' | 'service' | 'agreement'
> & {
  id?: string;
  status: string;
  service_type: string;
  agents: CimiAgent[];
  acl: { owner: { principal: string; type: string }; rules: Array<{ principal: string; type: string; right: string }> };
  [key: string]: unknown;
};

/** Non-blank, as CIMI requires of every string key. */
const orDefault = (value: string): string => (value.trim() === '' ? 'not-defined' : value);

export function cimiAgent(agent: AgentEntry): CimiAgent {
  return {
    url: agent.url,
    device_id: orDefault(agent.device_id),
    app_type: agent.app_type,
    ports: agent.ports,
    // The original's spelling of an unknown agent status.
    status: agent.status === 'unknown' ? '??' : agent.status,
    container_id: agent.container_id,
    compss_app_id: agent.compss_app_id,
    allow: agent.allow,
    master_compss: agent.master_compss,
    agent_param: agent.agent_param,
  };
}

/** The owner may read and change it, ADMIN may do anything; no `ANON ALL` rule (the original's bug D3). */
export function instanceAcl(user: string): CimiInstanceDocument['acl'] {
  return { owner: { principal: orDefault(user), type: 'USER' }, rules: [{ principal: 'ADMIN', type: 'ROLE', right: 'ALL' }] };
}

export function cimiInstanceDocument(instance: ServiceInstance): CimiInstanceDocument {
  return {
    user: orDefault(instance.user),
    device_id: orDefault(instance.device_id),
    device_ip: orDefault(instance.device_ip),
    parent_device_id: orDefault(instance.parent_device_id),
    parent_device_ip: orDefault(instance.parent_device_ip),
    service: orDefault(instance.service),
    agreement: orDefault(instance.agreement),
    status: instance.status,
    service_type: instance.service_type,
    agents: instance.agents.map(cimiAgent),
    acl: instanceAcl(instance.user),
  };
}
