/**
 * The override file the LM layers on the user's compose file (`-f file -f lm.override.yml`): it adds the LM's
 * labels to every service, so that what compose creates carries them like every other workload (DESIGN §4).
 */
import { stringify } from 'yaml';
import type { ComposeModel } from './check-compose-structure';
import type { ComposeMapping } from './compose-values';

/** `perService` gives each service's additions; `version` is copied because compose v1 refuses mixed versions. */
export function composeOverride(model: ComposeModel, perService: (name: string, service: ComposeMapping) => ComposeMapping): string {
  const services: Record<string, ComposeMapping> = {};
  for (const [name, service] of Object.entries(model.services)) services[name] = perService(name, service);
  const version = model.root.version;
  const document = typeof version === 'string' || typeof version === 'number' ? { version: String(version), services } : { services };
  return `# Written by the Lifecycle Manager: labels its workloads. Do not edit.\n${stringify(document)}`;
}
