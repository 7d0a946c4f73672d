/**
 * CIMI's closed ("only-keys") schema for `service-instance` (mF2C/cimi spec/service_instance.cljc, quoted in
 * spec/original-lm.md §4.2 and spec/mf2c-peers.md §5.3). The real server rejects any unknown key with 400,
 * so the fake must too: it is how tests prove the LM sends only schema keys.
 */
import { canonicalJson, isNonBlankString, isRecord, type JsonObject } from './json-values';

const INSTANCE_REQUIRED = [
  'id',
  'resourceURI',
  'acl',
  'user',
  'device_id',
  'device_ip',
  'parent_device_id',
  'parent_device_ip',
  'service',
  'agreement',
  'status',
  'service_type',
  'created',
  'updated',
  'agents',
];
const INSTANCE_OPTIONAL = ['name', 'description', 'properties', 'operations'];
const INSTANCE_NONBLANK = [
  'user',
  'device_id',
  'device_ip',
  'parent_device_id',
  'parent_device_ip',
  'service',
  'agreement',
  'status',
  'service_type',
];
const AGENT_REQUIRED = ['url', 'device_id', 'ports', 'status', 'container_id', 'allow', 'app_type'];
const AGENT_OPTIONAL = ['master_compss', 'compss_app_id', 'agent_param'];
/** Every key an agent of an instance may carry, sorted: what the LM sends for each agent it mirrors. */
export const CIMI_AGENT_KEYS: readonly string[] = [...AGENT_REQUIRED, ...AGENT_OPTIONAL].sort();
const AGENT_NONBLANK = ['url', 'device_id', 'status', 'app_type'];
const AGENT_STRINGS = ['container_id', 'compss_app_id', 'agent_param'];
const AGENT_BOOLEANS = ['allow', 'master_compss'];

/** Prefix of SlipStream's validation failure message. */
export const SCHEMA_ERROR_PREFIX = 'resource does not satisfy defined schema: ';

/** Returns null when valid, else a message naming the offending key. */
export function validateServiceInstance(doc: JsonObject): string | null {
  const problem = checkInstance(doc);
  return problem === null ? null : `${SCHEMA_ERROR_PREFIX}${problem}`;
}

/** Validators by resource type; resources not listed here are open. */
export const CLOSED_SCHEMAS: Record<string, (doc: JsonObject) => string | null> = {
  'service-instance': validateServiceInstance,
};

function checkInstance(doc: JsonObject): string | null {
  const keys = checkKeys(doc, INSTANCE_REQUIRED, INSTANCE_OPTIONAL, 'service-instance');
  if (keys) return keys;
  for (const key of INSTANCE_NONBLANK) {
    if (!isNonBlankString(doc[key])) return `service-instance: key "${key}" must be a non-blank string`;
  }
  for (const key of ['id', 'resourceURI', 'created', 'updated']) {
    if (typeof doc[key] !== 'string') return `service-instance: key "${key}" must be a string`;
  }
  const acl = checkAcl(doc.acl);
  if (acl) return acl;
  if (doc.name !== undefined && typeof doc.name !== 'string') return 'service-instance: key "name" must be a string';
  if (doc.description !== undefined && typeof doc.description !== 'string') return 'service-instance: key "description" must be a string';
  if (doc.properties !== undefined && !isStringMap(doc.properties)) return 'service-instance: key "properties" must map strings to strings';
  const agents = doc.agents;
  if (!Array.isArray(agents)) return 'service-instance: key "agents" must be a list';
  const seen = new Set<string>();
  for (const [i, agent] of agents.entries()) {
    const problem = checkAgent(agent, `agents[${i}]`);
    if (problem) return problem;
    const canonical = canonicalJson(agent);
    if (seen.has(canonical)) return `service-instance: key "agents" must hold distinct elements; agents[${i}] duplicates an earlier agent`;
    seen.add(canonical);
  }
  return null;
}

function checkAgent(agent: unknown, where: string): string | null {
  if (!isRecord(agent)) return `${where}: must be a map`;
  const keys = checkKeys(agent, AGENT_REQUIRED, AGENT_OPTIONAL, where);
  if (keys) return keys;
  for (const key of AGENT_NONBLANK) {
    if (!isNonBlankString(agent[key])) return `${where}: key "${key}" must be a non-blank string`;
  }
  for (const key of AGENT_STRINGS) {
    if (key in agent && typeof agent[key] !== 'string') return `${where}: key "${key}" must be a string`;
  }
  for (const key of AGENT_BOOLEANS) {
    if (key in agent && typeof agent[key] !== 'boolean') return `${where}: key "${key}" must be a boolean`;
  }
  const ports = agent.ports;
  if (!Array.isArray(ports) || !ports.every((p) => Number.isInteger(p) && p >= 1 && p <= 65535)) {
    return `${where}: key "ports" must be a list of ports (integers 1-65535)`;
  }
  return null;
}

function checkKeys(doc: JsonObject, required: string[], optional: string[], where: string): string | null {
  const allowed = new Set([...required, ...optional]);
  const unknown = Object.keys(doc).find((key) => !allowed.has(key));
  if (unknown !== undefined) return `${where}: key "${unknown}" is not allowed (closed schema)`;
  const missing = required.find((key) => !(key in doc) || doc[key] === null || doc[key] === undefined);
  return missing === undefined ? null : `${where}: missing required key "${missing}"`;
}

function checkAcl(acl: unknown): string | null {
  if (!isRecord(acl) || !isRecord(acl.owner)) return 'service-instance: key "acl" must hold an "owner"';
  if (!isNonBlankString(acl.owner.principal) || !isNonBlankString(acl.owner.type)) {
    return 'service-instance: key "acl" owner needs a non-blank "principal" and "type"';
  }
  if (acl.rules !== undefined && !Array.isArray(acl.rules)) return 'service-instance: key "acl" rules must be a list';
  return null;
}

function isStringMap(value: unknown): boolean {
  return isRecord(value) && Object.values(value).every((v) => typeof v === 'string');
}
