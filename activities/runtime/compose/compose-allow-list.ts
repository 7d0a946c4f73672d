/**
 * The reviewed allow-list of the compose policy: every key a compose file may use, and what each may hold. A key
 * that is not here is refused by name. The rule the LM keeps: nothing a file asks for may reach outside its own
 * containers — not the agent (its namespaces, devices, kernel settings, files), not the engine, and not another
 * instance's or Temporal's containers, networks and volumes. LM_ALLOW_PRIVILEGED=true lifts the whole policy.
 */
import { isMapping, unescapeDollars } from './compose-values';
import { isHostPath } from './path-inside';
import {
  free,
  hostPath,
  list,
  literal,
  mapping,
  named,
  oneOf,
  onlyFalse,
  refused,
  type PolicyPath,
  type Rule,
  type RuleContext,
} from './policy-rules';

/** Docker's default capability set (adding one is a no-op) and the few reviewed additions. */
const ALLOWED_CAPABILITIES = [
  'AUDIT_WRITE',
  'CHOWN',
  'DAC_OVERRIDE',
  'FOWNER',
  'FSETID',
  'KILL',
  'MKNOD',
  'NET_BIND_SERVICE',
  'NET_RAW',
  'SETFCAP',
  'SETGID',
  'SETPCAP',
  'SETUID',
  'SYS_CHROOT',
  'IPC_LOCK',
  'SYS_NICE',
];
/** Kubernetes' "safe" sysctls: namespaced, and unable to affect the agent or other containers. */
const SAFE_SYSCTLS = [
  'kernel.shm_rmid_forced',
  'net.core.somaxconn',
  'net.ipv4.ip_local_port_range',
  'net.ipv4.ip_local_reserved_ports',
  'net.ipv4.ip_unprivileged_port_start',
  'net.ipv4.ping_group_range',
  'net.ipv4.tcp_syncookies',
  'net.ipv4.tcp_fin_timeout',
  'net.ipv4.tcp_keepalive_time',
  'net.ipv4.tcp_keepalive_intvl',
  'net.ipv4.tcp_keepalive_probes',
];
/** Options of a short-syntax volume (`src:dst:ro,z`): access, SELinux relabel, copy, consistency, private propagation. */
const VOLUME_OPTIONS = ['ro', 'rw', 'z', 'Z', 'nocopy', 'consistent', 'cached', 'delegated', 'private', 'rprivate', 'slave', 'rslave'];
const PRIVATE_PROPAGATIONS = ['private', 'rprivate', 'slave', 'rslave'];
/** Logging drivers that keep the logs on the agent; the others send them to an address the file chooses. */
const LOCAL_LOG_DRIVERS = ['json-file', 'local', 'journald', 'none'];
const TMPFS_MOUNT_OPTIONS = /^(size|mode|uid|gid|nr_inodes|nr_blocks)=[\w.%]+$/;

const MESSAGES = {
  privileged: 'only false is allowed: a privileged container has full control of the agent',
  externalObject:
    "only false is allowed: an external object was not made by this instance (it may be another instance's, or Temporal's database)",
  foreignName: 'a fixed name makes compose reuse an existing object of that name, which may be another instance\'s: leave "name" out',
};

/** `service:<name>`: only a service of this file (never the service itself). */
function sameFileService(reference: string, at: PolicyPath, ctx: RuleContext, what: string): void {
  const target = reference.slice('service:'.length);
  if (!ctx.services.has(target) || target === String(at[1])) {
    ctx.refuse(
      at,
      `${what} "${reference}" names a service that is not another service of this file: only this instance's containers may be joined`,
    );
  }
}

/**
 * A namespace key (network_mode, pid, ipc, uts, userns_mode, cgroup): `host` shares the agent's, `container:` joins
 * any container's; `service:` of this file and the modes listed stay inside the instance.
 */
function namespaceMode(what: string, allowed: readonly string[]): Rule {
  return (value, at, ctx) => {
    const mode = literal(value, at, ctx);
    if (mode === undefined) return;
    if (typeof mode === 'string' && mode.startsWith('service:')) return sameFileService(mode, at, ctx, String(at[at.length - 1]));
    if (typeof mode === 'string' && allowed.includes(mode)) return;
    const key = String(at[at.length - 1]);
    if (mode === 'host') ctx.refuse(at, `${key}: host shares the agent's ${what} with the containers`);
    else if (typeof mode === 'string' && mode.startsWith('container:'))
      ctx.refuse(at, `${key}: ${mode} joins the ${what} of a container outside this instance`);
    else
      ctx.refuse(
        at,
        `${key}: ${JSON.stringify(mode)} is not allowed (${[...allowed, 'service:<a service of this file>'].join(', ')}): it may reach another instance's ${what}`,
      );
  };
}

/** A reference to what the file declares at its top level (a named volume, a network, a secret…). */
function declaredIn(section: keyof RuleContext['declared'], name: string, at: PolicyPath, ctx: RuleContext, what: string): void {
  if (!ctx.declared[section].has(name)) {
    ctx.refuse(
      at,
      `${what} "${name}" is not declared under the top-level ${section}: declare it there (not external), so it is this instance's own`,
    );
  }
}

/** `name:` of a top-level object: only the name compose would give it anyway (`<project>_<key>`). */
const projectScopedName: Rule = (value, at, ctx) => {
  const name = literal(value, at, ctx);
  if (name !== undefined && name !== `${ctx.project}_${String(at[at.length - 2])}`) ctx.refuse(at, MESSAGES.foreignName);
};

/** `text` as written (`$$` still escaped): the host path check unescapes it once, as compose does. */
function shortVolume(text: string, at: PolicyPath, ctx: RuleContext): void {
  const parts = text.split(':');
  if (parts.length > 3) {
    ctx.refuse(at, `volume "${text}" has more than three ":"-separated parts: use the long syntax`);
    return;
  }
  for (const option of (parts[2] ?? '').split(',').filter((o) => o !== '')) {
    if (!VOLUME_OPTIONS.includes(option)) {
      const why = option.includes('shared')
        ? 'shared propagation lets mounts made in the container reach the agent'
        : `allowed: ${VOLUME_OPTIONS.join(', ')}`;
      ctx.refuse(at, `volume option "${option}" is not allowed: ${why}`);
    }
  }
  if (parts.length === 1) return; // an anonymous volume
  const source = parts[0];
  if (isHostPath(source)) ctx.hostPath(at, source, 'bind mount source');
  else declaredIn('volumes', unescapeDollars(source), at, ctx, 'named volume');
}

const longVolumeKeys = mapping(
  {
    type: oneOf(['bind', 'volume', 'tmpfs'], 'only binds under the instance directory, its own named volumes and tmpfs'),
    source: free, // checked below, by type
    target: free,
    read_only: free,
    consistency: free,
    bind: mapping(
      {
        propagation: oneOf(PRIVATE_PROPAGATIONS, 'shared propagation lets mounts made in the container reach the agent'),
        create_host_path: free,
        selinux: oneOf(['z', 'Z'], 'SELinux relabel options'),
        recursive: free,
      },
      'bind mount',
    ),
    volume: mapping({ nocopy: free, labels: free, subpath: free }, 'volume mount'),
    tmpfs: mapping({ size: free, mode: free }, 'tmpfs mount'),
  },
  'volume',
);

function longVolume(volume: Record<string, unknown>, at: PolicyPath, ctx: RuleContext): void {
  longVolumeKeys(volume, at, ctx);
  const source = volume.source;
  const type = volume.type ?? (typeof source === 'string' && isHostPath(source) ? 'bind' : 'volume');
  if (type === 'bind') ctx.hostPath([...at, 'source'], source, 'bind mount source');
  else if (type === 'volume' && source !== undefined && source !== null) {
    const name = literal(source, [...at, 'source'], ctx);
    if (typeof name === 'string') declaredIn('volumes', name, [...at, 'source'], ctx, 'named volume');
  } else if (type === 'tmpfs' && source !== undefined) ctx.refuse([...at, 'source'], 'a tmpfs mount has no source');
  const subpath = isMapping(volume.volume) ? volume.volume.subpath : undefined;
  if (subpath !== undefined) {
    const text = literal(subpath, [...at, 'volume', 'subpath'], ctx);
    if (typeof text !== 'string' || text.startsWith('/') || text.split('/').includes('..')) {
      ctx.refuse([...at, 'volume', 'subpath'], 'a volume subpath must be a relative path inside the volume, without ".."');
    }
  }
}

const serviceVolume: Rule = (value, at, ctx) => {
  if (isMapping(value)) return longVolume(value, at, ctx);
  if (typeof value !== 'string') {
    if (literal(value, at, ctx) !== undefined) ctx.refuse(at, 'a volume is a string or a mapping');
  } else if (literal(value, at, ctx) !== undefined) shortVolume(value, at, ctx);
};

/** `volumes_from: [name[:ro]]`, `service:name`, `container:id`: only another service of this file. */
const volumesFrom: Rule = (value, at, ctx) => {
  const text = literal(value, at, ctx);
  if (typeof text !== 'string') return;
  if (text.startsWith('container:')) {
    ctx.refuse(at, `volumes_from "${text}" mounts the volumes of a container outside this instance`);
    return;
  }
  const [first, second] = text.split(':');
  const reference = first === 'service' ? `service:${second ?? ''}` : `service:${first}`;
  sameFileService(reference, at, ctx, 'volumes_from');
};

/** `links: [service[:alias]]`: only services of this file. */
const link: Rule = (value, at, ctx) => {
  const text = literal(value, at, ctx);
  if (typeof text === 'string') sameFileService(`service:${text.split(':')[0]}`, at, ctx, 'links');
};

const capability: Rule = (value, at, ctx) => {
  const text = literal(value, at, ctx);
  if (text === undefined) return;
  const name = String(text).toUpperCase().replace(/^CAP_/, '');
  if (!ALLOWED_CAPABILITIES.includes(name)) {
    ctx.refuse(
      at,
      `capability ${name} is not on the allow-list (${ALLOWED_CAPABILITIES.join(', ')}): it gives the containers power over the agent`,
    );
  }
};

const securityOption: Rule = (value, at, ctx) => {
  const text = literal(value, at, ctx);
  if (text === undefined) return;
  const option = String(text).trim();
  if (/^no-new-privileges([:=](true|false))?$/i.test(option)) return;
  const why = /unconfined|disable/i.test(option)
    ? "it turns off the agent's confinement of the containers"
    : 'only no-new-privileges is allowed';
  ctx.refuse(at, `security_opt "${option}": ${why}`);
};

const sysctls: Rule = (value, at, ctx) => {
  const check = (name: string, where: PolicyPath) => {
    if (!SAFE_SYSCTLS.includes(name)) ctx.refuse(where, `sysctl ${name} is not on the allow-list (${SAFE_SYSCTLS.join(', ')})`);
  };
  if (isMapping(value)) for (const name of Object.keys(value)) check(name, [...at, name]);
  else if (Array.isArray(value))
    value.forEach((entry, i) => {
      const text = literal(entry, [...at, i], ctx);
      if (text !== undefined) check(String(text).split('=')[0].trim(), [...at, i]);
    });
  else if (value !== null && value !== undefined) ctx.refuse(at, 'sysctls must be a mapping or a list');
};

const oomScoreAdjustment: Rule = (value, at, ctx) => {
  const read = literal(value, at, ctx);
  if (read !== undefined && !(Number(read) >= 0))
    ctx.refuse(at, "only 0 or more is allowed: a lower score has the OOM killer take the agent's own processes first");
};

/** `env_file: path` or `[{path, required, format}]`: files compose reads into the containers' environment. */
const envFile: Rule = (value, at, ctx) => {
  if (isMapping(value)) {
    mapping({ path: hostPath('env_file'), required: free, format: free }, 'env_file')(value, at, ctx);
    if (value.path === undefined) ctx.refuse(at, 'an env_file entry needs a path');
  } else ctx.hostPath(at, value, 'env_file');
};

/** A service's `secrets` / `configs` entry: a name declared at the top level, short or long syntax. */
function objectReference(section: 'secrets' | 'configs'): Rule {
  const what = section.slice(0, -1);
  const long = mapping({ source: free, target: free, uid: free, gid: free, mode: free }, what);
  return (value, at, ctx) => {
    const source = isMapping(value) ? value.source : value;
    if (isMapping(value)) long(value, at, ctx);
    const name = literal(source, isMapping(value) ? [...at, 'source'] : at, ctx);
    if (typeof name === 'string') declaredIn(section, name, at, ctx, what);
  };
}

/** A service's `networks`: names the file declares (or `default`), with per-network aliases and addresses. */
const serviceNetworks: Rule = (value, at, ctx) => {
  const check = (name: string, where: PolicyPath) => {
    if (name !== 'default') declaredIn('networks', name, where, ctx, 'network');
  };
  const attachment = mapping(
    { aliases: free, ipv4_address: free, ipv6_address: free, link_local_ips: free, priority: free, gw_priority: free, mac_address: free },
    'service network',
  );
  if (Array.isArray(value))
    value.forEach((entry, i) => {
      const name = literal(entry, [...at, i], ctx);
      if (typeof name === 'string') check(name, [...at, i]);
    });
  else if (isMapping(value))
    for (const [name, entry] of Object.entries(value)) {
      check(name, [...at, name]);
      attachment(entry, [...at, name], ctx);
    }
  else if (value !== null && value !== undefined) ctx.refuse(at, 'networks must be a list or a mapping');
};

const pullPolicy: Rule = (value, at, ctx) => {
  if (literal(value, at, ctx) === 'build') ctx.refuse(at, 'pull_policy build builds an image on the agent: the LM runs images only');
};

const resources = (what: string, keys: string[]): Rule => mapping(Object.fromEntries(keys.map((k) => [k, free])), what);

/** Keys whose values stay inside the containers: the LM does not look into them. */
const FREE_SERVICE_KEYS = [
  'image',
  'command',
  'entrypoint',
  'environment',
  'labels',
  'ports',
  'expose',
  'healthcheck',
  'restart',
  'depends_on',
  'working_dir',
  'user',
  'hostname',
  'domainname',
  'container_name',
  'stop_signal',
  'stop_grace_period',
  'tty',
  'stdin_open',
  'init',
  'read_only',
  'tmpfs',
  'shm_size',
  'ulimits',
  'mem_limit',
  'memswap_limit',
  'mem_reservation',
  'mem_swappiness',
  'cpus',
  'cpu_shares',
  'cpu_quota',
  'cpu_period',
  'cpuset',
  'cpu_count',
  'cpu_percent',
  'pids_limit',
  'extra_hosts',
  'dns',
  'dns_search',
  'dns_opt',
  'mac_address',
  'platform',
  'profiles',
  'scale',
  'group_add',
  'attach',
  'cap_drop',
];

export const SERVICE_RULES: Readonly<Record<string, Rule>> = {
  ...Object.fromEntries(FREE_SERVICE_KEYS.map((key) => [key, free])),
  privileged: onlyFalse(MESSAGES.privileged),
  network_mode: namespaceMode('network stack', ['none', 'bridge', 'default']),
  pid: namespaceMode('process table', []),
  ipc: namespaceMode('IPC namespace', ['private', 'shareable', 'none']),
  uts: namespaceMode('hostname (UTS namespace)', []),
  userns_mode: namespaceMode('user namespace', []),
  cgroup: namespaceMode('cgroup namespace', ['private']),
  cap_add: list(capability, 'cap_add'),
  security_opt: list(securityOption, 'security_opt'),
  sysctls,
  oom_score_adj: oomScoreAdjustment,
  oom_kill_disable: onlyFalse("only false is allowed: a container that cannot be OOM-killed can take all of the agent's memory"),
  volumes: list(serviceVolume, 'volumes'),
  volumes_from: list(volumesFrom, 'volumes_from'),
  links: list(link, 'links'),
  env_file: list(envFile, 'env_file', { single: true }),
  secrets: list(objectReference('secrets'), 'secrets'),
  configs: list(objectReference('configs'), 'configs'),
  networks: serviceNetworks,
  pull_policy: pullPolicy,
  logging: mapping(
    { driver: oneOf(LOCAL_LOG_DRIVERS, 'other drivers send the logs to an address the file chooses'), options: free },
    'logging',
  ),
  deploy: mapping(
    {
      mode: free,
      replicas: free,
      labels: free,
      update_config: free,
      rollback_config: free,
      restart_policy: free,
      placement: free,
      endpoint_mode: free,
      resources: mapping(
        {
          limits: resources('deploy.resources.limits', ['cpus', 'memory', 'pids']),
          reservations: resources('deploy.resources.reservations', ['cpus', 'memory']),
        },
        'deploy.resources',
      ),
    },
    'deploy',
  ),
  build: refused('the LM runs images only: build and push the image elsewhere, then name it with "image"'),
  extends: refused('extends reads services the LM does not check as written: inline them (YAML anchors and merge keys work)'),
  devices: refused('host devices are not given to containers'),
  device_cgroup_rules: refused('device cgroup rules give the containers host devices'),
  gpus: refused('host devices (GPUs) are not given to containers'),
  cgroup_parent: refused("cgroup_parent places the containers outside the engine's own cgroups"),
  post_start: refused('lifecycle hooks run commands (privileged ones too) that the LM does not check'),
  pre_stop: refused('lifecycle hooks run commands (privileged ones too) that the LM does not check'),
  runtime: refused("only the engine's default OCI runtime is used"),
  isolation: refused("only the engine's default isolation is used"),
  external_links: refused('external_links reach containers outside this instance'),
  volume_driver: refused('a volume plugin decides what the volumes reach'),
  use_api_socket: refused("use_api_socket gives the containers the engine's API"),
};

const networkRule = mapping(
  {
    driver: oneOf(['bridge', 'overlay'], "other drivers put the containers on the agent's own network or NIC"),
    driver_opts: refused("network driver options can attach the network to the agent's interfaces"),
    attachable: free,
    internal: free,
    enable_ipv6: free,
    enable_ipv4: free,
    labels: free,
    name: projectScopedName,
    external: onlyFalse(MESSAGES.externalObject),
    ipam: (value, at, ctx) => {
      if (value !== null && value !== undefined && !(isMapping(value) && Object.keys(value).length === 0)) {
        ctx.refuse(at, 'choosing subnets can take addresses the agent routes elsewhere: let the engine choose (leave ipam out)');
      }
    },
  },
  'network',
);

/** `driver_opts` of a local volume: only a tmpfs; binds (`o: bind`), devices and network file systems reach outside. */
const volumeDriverOptions: Rule = (value, at, ctx) => {
  const options = isMapping(value) ? value : {};
  const mountOptions = String(options.o ?? '')
    .split(',')
    .filter((o) => o !== '');
  const keysOk = Object.keys(options).every((k) => ['type', 'device', 'o'].includes(k));
  const tmpfs =
    keysOk &&
    options.type === 'tmpfs' &&
    (options.device === undefined || options.device === 'tmpfs') &&
    mountOptions.every((o) => TMPFS_MOUNT_OPTIONS.test(o));
  if (value !== null && value !== undefined && !tmpfs) {
    ctx.refuse(
      at,
      'driver_opts may only make a tmpfs volume (type: tmpfs, device: tmpfs, o: size=…): binds, devices and network file systems reach outside the instance',
    );
  }
};

const volumeRule = mapping(
  {
    driver: oneOf(['local'], 'a volume plugin decides what the volume reaches'),
    driver_opts: volumeDriverOptions,
    labels: free,
    name: projectScopedName,
    external: onlyFalse(MESSAGES.externalObject),
  },
  'volume',
);

function fileObjectRule(what: string): Rule {
  return mapping(
    {
      file: hostPath(`${what} file`),
      content: free,
      labels: free,
      name: projectScopedName,
      external: onlyFalse(MESSAGES.externalObject),
      environment: refused(`a ${what} read from an environment variable reads the LM's own environment`),
      driver: refused(`a ${what} driver plugin is not used`),
      template_driver: refused(`a ${what} template driver is not used`),
    },
    what,
  );
}

/** Top-level sections the policy looks into; unknown top-level keys are the structure check's to refuse. */
export const TOP_LEVEL_RULES: Readonly<Record<string, Rule>> = {
  version: free,
  name: free, // the LM passes the project name itself, which wins over the file's
  networks: named(networkRule, 'networks'),
  volumes: named(volumeRule, 'volumes'),
  secrets: named(fileObjectRule('secret'), 'secrets'),
  configs: named(fileObjectRule('config'), 'configs'),
  include: refused('include reads other compose files the LM does not check: the LM deploys the one file it fetched; inline them'),
  models: refused('models are not deployed by the LM'),
};
