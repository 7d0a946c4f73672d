/**
 * The minimum an mF2C agent's CIMI holds before the LM can work (spec/mf2c-peers.md §8.1): one agent, its
 * device, the user's profile and sharing model, and one categorised service.
 */
import { randomBytes } from 'node:crypto';
import type { JsonObject } from './json-values';

export interface DefaultSeedOptions {
  /** The agent's `device_id`: a deviceID hash, not a `device/<uuid>` id. Default: random 64 hex chars. */
  deviceId?: string;
  /** Default 127.0.0.1. */
  deviceIp?: string;
  /** Omitted by default: the agent is then a top of hierarchy and the LM has nowhere to forward. */
  leaderIp?: string;
  /** Owner of the user-profile (what UM's /current/user reports). Default "testuser". */
  user?: string;
  /** Merged over the default service (busybox, docker, category 0). */
  service?: JsonObject;
}

export interface SeededIds {
  agent: string;
  device: string;
  userProfile: string;
  sharingModel: string;
  service: string;
  /** The agent's device_id hash (= the device's deviceID). */
  deviceIdHash: string;
  user: string;
}

export const DEFAULT_SERVICE: Readonly<JsonObject> = {
  name: 'busybox',
  description: 'LM test service',
  exec: 'lm-test/busybox:latest',
  exec_type: 'docker',
  exec_ports: [],
  agent_type: 'normal',
  num_agents: 1,
  cpu_arch: 'x86-64',
  os: 'linux',
  category: 0,
  sla_templates: [],
};

export function seedDefaults(seed: (resource: string, doc: JsonObject) => string, options: DefaultSeedOptions = {}): SeededIds {
  const deviceIdHash = options.deviceId ?? randomBytes(32).toString('hex');
  const deviceIp = options.deviceIp ?? '127.0.0.1';
  const user = options.user ?? 'testuser';
  const userAcl = {
    owner: { principal: user, type: 'USER' },
    rules: [{ principal: 'ADMIN', type: 'ROLE', right: 'ALL' }],
  };

  const agent = seed('agent', {
    device_id: deviceIdHash,
    device_ip: deviceIp,
    ...(options.leaderIp === undefined ? {} : { leader_ip: options.leaderIp }),
    authenticated: true,
    connected: true,
    isLeader: false,
    backup_ip: '',
    childrenIPs: [],
  });
  const device = seed('device', {
    deviceID: deviceIdHash,
    isLeader: false,
    os: 'Linux',
    arch: 'x86_64',
    cpuManufacturer: 'GenuineIntel',
    physicalCores: 2,
    logicalCores: 2,
    cpuClockSpeed: '2.4 GHz',
    memory: 24576.0,
    storage: 102400.0,
    agentType: 'normal',
    networkingStandards: "['eth0']",
    hwloc: '',
    cpuinfo: '',
    acl: userAcl,
  });
  const userProfile = seed('user-profile', {
    device_id: device,
    service_consumer: true,
    resource_contributor: true,
    acl: userAcl,
  });
  const sharingModel = seed('sharing-model', {
    device_id: device,
    gps_allowed: true,
    max_cpu_usage: 50,
    max_memory_usage: 50,
    max_storage_usage: 50,
    max_bandwidth_usage: 50,
    battery_limit: 50,
    max_apps: 100,
    acl: userAcl,
  });
  const service = seed('service', { ...DEFAULT_SERVICE, ...options.service });
  return { agent, device, userProfile, sharingModel, service, deviceIdHash, user };
}
