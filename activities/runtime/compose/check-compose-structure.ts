/**
 * Is this a compose file at all? A mapping with a non-empty `services` mapping, each service naming an `image`
 * or a `build`. Checked before anything runs, so a typo is a clear refusal rather than a compose stack trace.
 */
import type { ComposeProblem } from './compose-problem';
import { isMapping, type ComposeMapping } from './compose-values';
import type { ParsedCompose } from './parse-compose-yaml';

export interface ComposeModel {
  root: ComposeMapping;
  services: Record<string, ComposeMapping>;
}

/** Top-level keys of the Compose Specification (plus `x-` extensions). */
const TOP_LEVEL_KEYS = ['version', 'name', 'services', 'networks', 'volumes', 'secrets', 'configs', 'include'];
/** Compose's own rule for service names. */
const SERVICE_NAME = /^[a-zA-Z0-9][a-zA-Z0-9._-]*$/;

export function checkComposeStructure(parsed: ParsedCompose): { model: ComposeModel | null; problems: ComposeProblem[] } {
  const problems: ComposeProblem[] = [];
  const add = (message: string, path: Array<string | number>, service?: string, key?: string) =>
    problems.push({
      kind: 'structure',
      message,
      line: parsed.lineOf(path),
      ...(service === undefined ? {} : { service }),
      ...(key === undefined ? {} : { key }),
    });

  const root = parsed.value;
  // Nothing of a document that is not a compose file is quoted: the URL may point at something else's secrets.
  if (!isMapping(root) || !isMapping(root.services)) {
    add('the file is not a compose file (no services): its top level must be a mapping with a "services" mapping', []);
    return { model: null, problems };
  }
  for (const key of Object.keys(root)) {
    if (!TOP_LEVEL_KEYS.includes(key) && !key.startsWith('x-')) {
      add(`unknown top-level key "${key}": a compose file has ${TOP_LEVEL_KEYS.join(', ')} (and x- extensions)`, [key], undefined, key);
    }
  }
  const services = root.services;
  if (!isMapping(services) || Object.keys(services).length === 0) {
    add('the file has no services: a compose file needs a "services" mapping with at least one service', ['services']);
    return { model: null, problems };
  }
  const checked: Record<string, ComposeMapping> = {};
  for (const [name, service] of Object.entries(services)) {
    const path = ['services', name];
    if (!SERVICE_NAME.test(name)) {
      add('invalid service name: use letters, digits, ".", "_" and "-", starting with a letter or digit', path, name);
    }
    if (!isMapping(service)) {
      add('a service must be a mapping with at least an "image" or a "build"', path, name);
      continue;
    }
    const image = service.image;
    const build = service.build;
    const hasImage = typeof image === 'string' && image.trim() !== '';
    const hasBuild = (typeof build === 'string' && build.trim() !== '') || isMapping(build);
    if (!hasImage && !hasBuild) add('the service has neither "image" nor "build": name the image to run', path, name);
    if (image !== undefined && typeof image !== 'string')
      add('"image" must be a string such as nginx:1.27', [...path, 'image'], name, 'image');
    checked[name] = service;
  }
  return { model: { root, services: checked }, problems };
}
