/**
 * What a swarm stack needs beyond a valid compose file: images (stacks do not build), and replicated services,
 * because stop and start scale every service to 0 and back (a global service cannot be scaled).
 */
import type { ComposeModel } from '../compose/check-compose-structure';
import type { ComposeProblem } from '../compose/compose-problem';
import { isMapping } from '../compose/compose-values';
import type { YamlPath } from '../compose/parse-compose-yaml';

export function checkStackDocument(model: ComposeModel, lineOf: (path: YamlPath) => number | undefined): ComposeProblem[] {
  const problems: ComposeProblem[] = [];
  for (const [name, service] of Object.entries(model.services)) {
    const at = (key: string, path: Array<string | number>, message: string) =>
      problems.push({ kind: 'structure', service: name, key, line: lineOf(['services', name, ...path]), message });
    if (typeof service.image !== 'string' || service.image.trim() === '') {
      at('image', ['image'], 'a swarm stack cannot build images: name the image to run with "image"');
    }
    const deploy = isMapping(service.deploy) ? service.deploy : {};
    const mode = deploy.mode;
    if (mode !== undefined && mode !== 'replicated') {
      at('deploy.mode', ['deploy', 'mode'], `deploy.mode ${String(mode)} cannot be stopped by scaling to 0: use replicated`);
    }
    const replicas = deploy.replicas;
    if (replicas !== undefined && !(typeof replicas === 'number' && Number.isInteger(replicas) && replicas >= 0)) {
      at('deploy.replicas', ['deploy', 'replicas'], `deploy.replicas must be a whole number >= 0 (got ${JSON.stringify(replicas)})`);
    }
  }
  return problems;
}

/** The replicas the file declares for a service (compose's default is 1). */
export function declaredReplicas(service: Record<string, unknown>): number {
  const deploy = isMapping(service.deploy) ? service.deploy : {};
  return typeof deploy.replicas === 'number' ? deploy.replicas : 1;
}
