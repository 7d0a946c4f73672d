/**
 * The compose policy of DESIGN §5: a compose file must not reach outside its containers. Refused unless the
 * agent sets LM_ALLOW_PRIVILEGED=true: privileged containers, host (or another container's) network, pid, ipc
 * and friends, capabilities and devices that amount to privileged, and any host path (bind mount, env_file,
 * build context, secret, volume driver bind) outside the instance directory. Values that compose would
 * interpolate (`${VAR}`) are refused in these keys: what they resolve to cannot be checked here.
 */
import type { ComposeProblem } from './compose-problem';
import type { ComposeModel } from './check-compose-structure';
import { asList, hasInterpolation, isMapping, keyOf, type ComposeMapping } from './compose-values';
import { isHostPath, isRemoteContext, resolvesInside } from './path-inside';
import type { YamlPath } from './parse-compose-yaml';

export interface PolicyContext {
  instanceDir: string;
  lineOf(path: YamlPath): number | undefined;
}

type Report = (relative: Array<string | number>, message: string) => void;

/** Capabilities that give a container control over the host (equivalent to, or a step from, privileged). */
const DANGEROUS_CAPABILITIES = [
  'ALL', 'SYS_ADMIN', 'SYS_MODULE', 'SYS_RAWIO', 'SYS_PTRACE', 'SYS_BOOT', 'SYS_TIME', 'DAC_READ_SEARCH',
  'NET_ADMIN', 'MAC_ADMIN', 'MAC_OVERRIDE', 'BPF', 'PERFMON', 'SYSLOG',
];
/** Namespace keys: `host` (or `container:<id>`) shares a namespace the service must not see. */
const NAMESPACE_KEYS: Record<string, string> = {
  network_mode: 'network stack',
  pid: 'process table',
  ipc: 'IPC namespace',
  uts: 'hostname (UTS namespace)',
  userns_mode: 'user namespace',
  cgroup: 'cgroup namespace',
};
/** Keys whose interpolated values could hide any of the above. */
const GUARDED_SERVICE_KEYS = ['privileged', ...Object.keys(NAMESPACE_KEYS), 'cap_add', 'devices', 'security_opt', 'volumes', 'volumes_from', 'env_file', 'build', 'extends'];
const GUARDED_TOP_LEVEL_KEYS = ['networks', 'volumes', 'secrets', 'configs', 'include'];

function interpolatedStrings(value: unknown, at: Array<string | number>, found: Array<Array<string | number>>): void {
  if (typeof value === 'string' && hasInterpolation(value)) found.push(at);
  else if (Array.isArray(value)) value.forEach((item, i) => interpolatedStrings(item, [...at, i], found));
  else if (isMapping(value)) for (const [k, v] of Object.entries(value)) interpolatedStrings(v, [...at, k], found);
}

function checkHostPath(report: Report, ctx: PolicyContext, at: Array<string | number>, hostPath: string, what: string): void {
  if (hasInterpolation(hostPath)) return; // reported once by the interpolation rule
  if (!resolvesInside(ctx.instanceDir, hostPath)) {
    report(at, `${what} "${hostPath}" is outside the instance directory: only paths under ./ (the compose file's own directory) are allowed`);
  }
}

function checkVolume(report: Report, ctx: PolicyContext, at: Array<string | number>, volume: unknown): void {
  if (typeof volume === 'string') {
    const parts = volume.split(':');
    if (parts.length > 1 && isHostPath(parts[0])) checkHostPath(report, ctx, at, parts[0], 'bind mount source');
    return;
  }
  if (!isMapping(volume)) return;
  const type = volume.type;
  const source = volume.source;
  if (type === 'npipe') report([...at, 'type'], 'npipe mounts expose the host\'s named pipes');
  if (typeof source === 'string' && (type === 'bind' || (type === undefined && isHostPath(source)))) {
    checkHostPath(report, ctx, [...at, 'source'], source, 'bind mount source');
  }
}

function checkNamespaces(report: Report, service: ComposeMapping): void {
  for (const [key, what] of Object.entries(NAMESPACE_KEYS)) {
    const value = service[key];
    if (typeof value !== 'string') continue;
    if (value === 'host') report([key], `${key}: host shares the agent's ${what} with the containers`);
    else if (value.startsWith('container:')) report([key], `${key}: ${value} joins another container's ${what}, which may belong to another instance`);
  }
}

function checkService(report: Report, ctx: PolicyContext, service: ComposeMapping): void {
  const privileged = service.privileged;
  if (privileged === true || (typeof privileged === 'string' && privileged.toLowerCase() === 'true')) {
    report(['privileged'], 'privileged: true gives the containers full control of the agent');
  }
  checkNamespaces(report, service);
  asList(service.cap_add).forEach((cap, i) => {
    const name = String(cap).toUpperCase().replace(/^CAP_/, '');
    if (DANGEROUS_CAPABILITIES.includes(name)) report(['cap_add', i], `capability ${name} gives the containers control over the agent`);
  });
  asList(service.devices).forEach((device, i) => report(['devices', i], `device "${String(typeof device === 'string' ? device : JSON.stringify(device))}" exposes a host device`));
  asList(service.security_opt).forEach((option, i) => {
    if (/unconfined|disable/i.test(String(option))) report(['security_opt', i], `security_opt "${String(option)}" turns off the agent's confinement`);
  });
  asList(service.volumes).forEach((volume, i) => checkVolume(report, ctx, ['volumes', i], volume));
  asList(service.volumes_from).forEach((from, i) => {
    if (String(from).startsWith('container:')) report(['volumes_from', i], `volumes_from "${String(from)}" mounts the volumes of a container outside this instance`);
  });
  asList(service.env_file).forEach((entry, i) => {
    const file = isMapping(entry) ? entry.path : entry;
    if (typeof file === 'string') checkHostPath(report, ctx, ['env_file', i], file, 'env_file');
  });
  const build = service.build;
  const context = isMapping(build) ? build.context : build;
  if (typeof context === 'string' && !isRemoteContext(context)) {
    checkHostPath(report, ctx, isMapping(build) ? ['build', 'context'] : ['build'], context, 'build context');
  }
  if (isMapping(service.extends) && typeof service.extends.file === 'string') {
    checkHostPath(report, ctx, ['extends', 'file'], service.extends.file, 'extends file');
  }
}

function checkTopLevel(report: (path: Array<string | number>, message: string) => void, ctx: PolicyContext, root: ComposeMapping): void {
  if (root.include !== undefined) report(['include'], 'include is not supported: the LM deploys the one file it fetched; inline the included services');
  const volumes = isMapping(root.volumes) ? root.volumes : {};
  for (const [name, volume] of Object.entries(volumes)) {
    const opts = isMapping(volume) && isMapping(volume.driver_opts) ? volume.driver_opts : null;
    if (opts === null) continue;
    const binds = String(opts.o ?? '').split(',').includes('bind') || opts.type === 'none';
    if (binds && typeof opts.device === 'string') {
      checkHostPath(report, ctx, ['volumes', name, 'driver_opts', 'device'], opts.device, `volume "${name}" binds host path`);
    } else if (binds) {
      report(['volumes', name, 'driver_opts'], `volume "${name}" is a bind of a host path that cannot be checked`);
    }
  }
  for (const section of ['secrets', 'configs']) {
    const entries = isMapping(root[section]) ? (root[section] as ComposeMapping) : {};
    for (const [name, entry] of Object.entries(entries)) {
      if (isMapping(entry) && typeof entry.file === 'string') {
        checkHostPath(report, ctx, [section, name, 'file'], entry.file, `${section.slice(0, -1)} "${name}" file`);
      }
    }
  }
  const networks = isMapping(root.networks) ? root.networks : {};
  for (const [name, network] of Object.entries(networks)) {
    if (!isMapping(network)) continue;
    const external = network.external;
    const externalName = isMapping(external) ? external.name : undefined;
    const effectiveName = typeof network.name === 'string' ? network.name : typeof externalName === 'string' ? externalName : name;
    const isExternal = external === true || isMapping(external);
    if (network.driver === 'host' || (isExternal && effectiveName === 'host')) {
      report(['networks', name], `network "${name}" is the agent's host network`);
    }
  }
}

export function checkComposePolicy(model: ComposeModel, ctx: PolicyContext): ComposeProblem[] {
  const problems: ComposeProblem[] = [];
  const at = (path: Array<string | number>, message: string, service?: string, key?: string): void => {
    problems.push({ kind: 'policy', message, line: ctx.lineOf(path), ...(service === undefined ? {} : { service }), ...(key === undefined ? {} : { key }) });
  };
  for (const [name, service] of Object.entries(model.services)) {
    const base = ['services', name];
    const interpolated: Array<Array<string | number>> = [];
    for (const key of GUARDED_SERVICE_KEYS) interpolatedStrings(service[key], [key], interpolated);
    for (const relative of interpolated) {
      at([...base, ...relative], 'uses variable substitution ($...): write the value literally so the LM can check it', name, keyOf(relative));
    }
    checkService((relative, message) => at([...base, ...relative], message, name, keyOf(relative)), ctx, service);
  }
  const interpolated: Array<Array<string | number>> = [];
  for (const key of GUARDED_TOP_LEVEL_KEYS) interpolatedStrings(model.root[key], [key], interpolated);
  for (const path of interpolated) at(path, 'uses variable substitution ($...): write the value literally so the LM can check it', undefined, keyOf(path));
  checkTopLevel((path, message) => at(path, message, undefined, keyOf(path)), ctx, model.root);
  return problems;
}
