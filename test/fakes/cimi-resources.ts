/** Naming of CIMI resources: collection list keys and resource URIs (spec/mf2c-peers.md §5.2). */

/** The list key of each collection; the LM reads e.g. `serviceInstances`. Note the two irregular ones. */
export const COLLECTION_KEYS: Readonly<Record<string, string>> = {
  agent: 'agents',
  device: 'devices',
  'device-dynamic': 'deviceDynamics',
  'device-static': 'deviceStatics',
  'fog-area': 'fogAreas',
  service: 'services',
  'service-instance': 'serviceInstances',
  agreement: 'agreements',
  'user-profile': 'userProfiles',
  'sharing-model': 'sharingModels',
  'service-operation-report': 'serviceOperationReports',
  'sla-violation': 'slaViolations',
  'sla-template': 'templates',
  'qos-model': 'qos-models',
};

export const KNOWN_RESOURCES: readonly string[] = Object.keys(COLLECTION_KEYS);

/** `service-instance` -> `serviceInstances` unless the resource has an irregular key. */
export function collectionKey(resource: string): string {
  return COLLECTION_KEYS[resource] ?? `${resource.replace(/-([a-z])/g, (_m, c: string) => c.toUpperCase())}s`;
}

const SCHEMA_BASE = 'http://schemas.dmtf.org/cimi/2/';

function pascalCase(resource: string): string {
  return resource
    .split('-')
    .map((part) => part.charAt(0).toUpperCase() + part.slice(1))
    .join('');
}

export function resourceUri(resource: string): string {
  return `${SCHEMA_BASE}${pascalCase(resource)}`;
}

export function collectionUri(resource: string): string {
  return `${SCHEMA_BASE}${pascalCase(resource)}Collection`;
}
