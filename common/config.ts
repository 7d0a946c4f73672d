/**
 * Configuration from the environment, parsed and typed once at start (DESIGN §7).
 * A bad value stops the process with a message naming the variable.
 */
import { z } from 'zod';

const TRUE_WORDS = ['true', '1', 'yes', 'on'];
const FALSE_WORDS = ['false', '0', 'no', 'off', ''];

const bool = (name: string) =>
  z.string().transform((value, ctx) => {
    const word = value.trim().toLowerCase();
    if (TRUE_WORDS.includes(word)) return true;
    if (FALSE_WORDS.includes(word)) return false;
    ctx.addIssue({ code: 'custom', message: `${name} must be true or false (got "${value}")` });
    return z.NEVER;
  });

const port = (name: string) =>
  z.coerce
    .number({ error: `${name} must be a TCP port number` })
    .int(`${name} must be an integer`)
    .min(1, `${name} must be between 1 and 65535`)
    .max(65535, `${name} must be between 1 and 65535`);

const positiveInt = (name: string) =>
  z.coerce.number({ error: `${name} must be a number` }).int(`${name} must be an integer`).positive(`${name} must be > 0`);

const nonNegativeInt = (name: string) =>
  z.coerce.number({ error: `${name} must be a number` }).int(`${name} must be an integer`).min(0, `${name} must be >= 0`);

const url = (name: string) => z.url({ error: `${name} must be an absolute URL such as http://host:port/path` });

const EnvSchema = z.object({
  LM_MODE: z.string().optional(),
  STANDALONE_MODE: bool('STANDALONE_MODE').optional(),
  HOST_IP: z.string().min(1, 'HOST_IP must not be empty').default('127.0.0.1'),
  LM_PORT: port('LM_PORT').default(46000),
  TEMPORAL_ADDRESS: z.string().min(1).default('localhost:7233'),
  TEMPORAL_NAMESPACE: z.string().min(1).default('default'),
  CIMI_URL: url('CIMI_URL').optional(),
  CIMI_USER: z.string().min(1).default('super'),
  WORKING_DIR_VOLUME: z.string().min(1).default('/tmp/mf2c/compose_files'),
  URL_PM_SLA_MANAGER: url('URL_PM_SLA_MANAGER').optional(),
  URL_AC_SERVICE_MNGMT: url('URL_AC_SERVICE_MNGMT').optional(),
  URL_AC_USER_MANAGEMENT: url('URL_AC_USER_MANAGEMENT').optional(),
  URL_PM_RECOM_LANDSCAPER: url('URL_PM_RECOM_LANDSCAPER').optional(),
  TIMEOUT_ANALYTICSENGINE: positiveInt('TIMEOUT_ANALYTICSENGINE').default(60),
  K8S_MASTER: bool('K8S_MASTER').default(false),
  K8S_PROXY: url('K8S_PROXY').default('http://127.0.0.1:8001'),
  K8S_NAMESPACE: z.string().min(1).default('default'),
  DOCKER_SOCKET: z.string().min(1).default('unix:///var/run/docker.sock'),
  DOCKER_SWARM: bool('DOCKER_SWARM').default(false),
  PORT_COMPSs: port('PORT_COMPSs').default(46100),
  DATACLAY_EP: z.string().default(':1034'),
  NETWORK_COMPSs: z.string().default('not-defined'),
  LM_API_TOKEN: z.string().min(1).optional(),
  LM_INTERNAL_TOKEN: z.string().min(1).optional(),
  LM_ALLOW_PRIVILEGED: bool('LM_ALLOW_PRIVILEGED').default(false),
  LM_HTTP_TIMEOUT_MS: positiveInt('LM_HTTP_TIMEOUT_MS').default(10_000),
  LM_DOCKER_TIMEOUT_MS: positiveInt('LM_DOCKER_TIMEOUT_MS').default(30_000),
  LM_WAIT_TIMEOUT_S: positiveInt('LM_WAIT_TIMEOUT_S').default(300),
  LM_AGENT_TIMEOUT_S: positiveInt('LM_AGENT_TIMEOUT_S').default(120),
  LM_MAX_CACHED_WORKFLOWS: positiveInt('LM_MAX_CACHED_WORKFLOWS').default(250),
  LM_OBSERVE_INTERVAL_S: nonNegativeInt('LM_OBSERVE_INTERVAL_S').default(300),
  LM_WATCH_DOCKER_EVENTS: bool('LM_WATCH_DOCKER_EVENTS').default(true),
  LM_WATCH_KUBERNETES: bool('LM_WATCH_KUBERNETES').optional(),
  LM_METRICS_ADDRESS: z
    .union([z.literal(''), z.string().regex(/^[^\s:]+:\d{1,5}$/, 'LM_METRICS_ADDRESS must be host:port, such as 127.0.0.1:9464, or empty')])
    .optional(),
  LM_EXPIRY_RETRY_S: positiveInt('LM_EXPIRY_RETRY_S').default(300),
  LM_INSTANCE_COUNT_TTL_S: nonNegativeInt('LM_INSTANCE_COUNT_TTL_S').default(5),
  LM_LOG_LEVEL: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal']).default('info'),
});

export type LmMode = 'standalone' | 'mf2c';

export interface LmConfig {
  mode: LmMode;
  hostIp: string;
  port: number;
  temporal: { address: string; namespace: string };
  cimi: { url: string; user: string } | null;
  peers: {
    slaManager: string | null;
    serviceManager: string | null;
    userManagement: string | null;
    recommender: string | null;
    recommenderTimeoutMs: number;
  };
  workingDir: string;
  kubernetes: { master: boolean; proxy: string; namespace: string };
  docker: { socket: string; swarm: boolean; timeoutMs: number };
  compss: { port: number; dataclayEp: string; network: string };
  auth: { apiToken: string | null; internalToken: string | null };
  allowPrivileged: boolean;
  httpTimeoutMs: number;
  waitTimeoutMs: number;
  agentTimeoutMs: number;
  /** Instances kept in the worker's memory; the others are replayed from history when a message arrives. */
  maxCachedWorkflows: number;
  /** How often a settled instance compares its agents with the runtime; 0: never. */
  observeIntervalMs: number;
  /** Docker events about the LM's containers make their instances observe at once. */
  watchDockerEvents: boolean;
  /** Changes to the LM's Kubernetes Deployments make their instances observe at once. */
  watchKubernetes: boolean;
  /** The first wait before an expired instance whose terminate was incomplete tries again (doubling, up to 1 h). */
  expiryRetryMs: number;
  /** How long one visibility count of the instances by status serves the API's later /metrics scrapes. */
  instanceCountTtlMs: number;
  /** Where the worker serves Prometheus metrics (`host:port`); null: none. */
  metricsAddress: string | null;
  logLevel: string;
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** The original appends `/api` to CIMI_URL when missing (spec/original-lm.md §2). */
function normaliseCimiUrl(raw: string): string {
  const trimmed = raw.replace(/\/+$/, '');
  return /\/api(\/|$)/.test(trimmed) ? trimmed : `${trimmed}/api`;
}

function modeOf(env: z.infer<typeof EnvSchema>): LmMode {
  if (env.LM_MODE !== undefined) {
    const mode = env.LM_MODE.trim().toUpperCase();
    if (mode === 'STANDALONE') return 'standalone';
    if (mode === 'MF2C' || mode === 'DEFAULT') return 'mf2c';
    throw new ConfigError(`LM_MODE must be STANDALONE or MF2C (got "${env.LM_MODE}")`);
  }
  if (env.STANDALONE_MODE === false) return 'mf2c';
  return 'standalone';
}

/** mF2C mode falls back to the original's in-network peer URLs; standalone calls only what is configured. */
function peerUrl(value: string | undefined, mode: LmMode, mf2cDefault: string): string | null {
  if (value !== undefined) return value.replace(/\/+$/, '');
  return mode === 'mf2c' ? mf2cDefault : null;
}

export function loadConfig(source: NodeJS.ProcessEnv = process.env): LmConfig {
  const parsed = EnvSchema.safeParse(source);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((issue) => `  ${issue.path.join('.')}: ${issue.message}`);
    throw new ConfigError(`invalid configuration:\n${lines.join('\n')}`);
  }
  const env = parsed.data;
  const mode = modeOf(env);
  const cimiUrl = peerUrl(env.CIMI_URL, mode, 'http://cimi:8201/api');
  return {
    mode,
    hostIp: env.HOST_IP,
    port: env.LM_PORT,
    temporal: { address: env.TEMPORAL_ADDRESS, namespace: env.TEMPORAL_NAMESPACE },
    cimi: cimiUrl === null ? null : { url: normaliseCimiUrl(cimiUrl), user: env.CIMI_USER },
    peers: {
      slaManager: peerUrl(env.URL_PM_SLA_MANAGER, mode, 'http://slalite:46030'),
      serviceManager: peerUrl(env.URL_AC_SERVICE_MNGMT, mode, 'http://service-manager:46200/api'),
      userManagement: peerUrl(env.URL_AC_USER_MANAGEMENT, mode, 'http://lm-um:46300/api/v2/um'),
      recommender: peerUrl(env.URL_PM_RECOM_LANDSCAPER, mode, 'http://analytics-engine:46020/mf2c'),
      recommenderTimeoutMs: env.TIMEOUT_ANALYTICSENGINE * 1000,
    },
    workingDir: env.WORKING_DIR_VOLUME,
    kubernetes: { master: env.K8S_MASTER, proxy: env.K8S_PROXY, namespace: env.K8S_NAMESPACE },
    docker: { socket: env.DOCKER_SOCKET, swarm: env.DOCKER_SWARM, timeoutMs: env.LM_DOCKER_TIMEOUT_MS },
    compss: { port: env.PORT_COMPSs, dataclayEp: env.DATACLAY_EP, network: env.NETWORK_COMPSs },
    auth: { apiToken: env.LM_API_TOKEN ?? null, internalToken: env.LM_INTERNAL_TOKEN ?? null },
    allowPrivileged: env.LM_ALLOW_PRIVILEGED,
    httpTimeoutMs: env.LM_HTTP_TIMEOUT_MS,
    waitTimeoutMs: env.LM_WAIT_TIMEOUT_S * 1000,
    agentTimeoutMs: env.LM_AGENT_TIMEOUT_S * 1000,
    maxCachedWorkflows: env.LM_MAX_CACHED_WORKFLOWS,
    observeIntervalMs: env.LM_OBSERVE_INTERVAL_S * 1000,
    watchDockerEvents: env.LM_WATCH_DOCKER_EVENTS,
    // An agent that is a Kubernetes master has a cluster to watch; any other would only retry in vain.
    watchKubernetes: env.LM_WATCH_KUBERNETES ?? env.K8S_MASTER,
    expiryRetryMs: env.LM_EXPIRY_RETRY_S * 1000,
    instanceCountTtlMs: env.LM_INSTANCE_COUNT_TTL_S * 1000,
    metricsAddress: env.LM_METRICS_ADDRESS || null,
    logLevel: env.LM_LOG_LEVEL,
  };
}
