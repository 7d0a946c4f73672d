/**
 * Configuration from the environment, parsed and typed once at start (DESIGN §7).
 * A bad value stops the process with a message naming the variable.
 */
import { isIP } from 'node:net';
import path from 'node:path';
import { z } from 'zod';
import type { AgentRole } from '../workflows/model/agents';
import { OutboundPolicy } from './outbound-address';

/** LM_MIN_RUN_MS: see the README (Runtimes) for why this long. */
export const DEFAULT_MIN_RUN_MS = 1000;

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
  z.coerce
    .number({ error: `${name} must be a number` })
    .int(`${name} must be an integer`)
    .positive(`${name} must be > 0`);

const nonNegativeInt = (name: string) =>
  z.coerce
    .number({ error: `${name} must be a number` })
    .int(`${name} must be an integer`)
    .min(0, `${name} must be >= 0`);

/** An IP address or a host name: what `server.listen(port, host)` takes, a port not included. */
function isListenAddress(value: string): boolean {
  if (isIP(value) !== 0) return true;
  return /^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/.test(value);
}

const url = (name: string) => z.url({ error: `${name} must be an absolute URL such as http://host:port/path` });

const EnvSchema = z.object({
  LM_MODE: z.string().optional(),
  STANDALONE_MODE: bool('STANDALONE_MODE').optional(),
  HOST_IP: z.string().min(1, 'HOST_IP must not be empty').default('127.0.0.1'),
  LM_PORT: port('LM_PORT').default(46000),
  LM_API_ADDRESS: z
    .string()
    .trim()
    .refine((value) => value === '' || isListenAddress(value), {
      error:
        'LM_API_ADDRESS must be an address of this machine (an IPv4 or IPv6 address, or a host name) without a port, such as 10.0.0.2: the port is LM_PORT; empty: every interface',
    })
    .optional(),
  TEMPORAL_ADDRESS: z.string().min(1).default('localhost:7233'),
  TEMPORAL_NAMESPACE: z.string().min(1).default('default'),
  LM_TEMPORAL_UI_URL: url('LM_TEMPORAL_UI_URL').default('http://localhost:8233'),
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
  LM_COMPOSE_URL_ALLOW: z
    .string()
    .regex(
      /^[\sA-Za-z0-9.:,*/_-]*$/,
      'LM_COMPOSE_URL_ALLOW must be a comma-separated list of host names (*.example.org) and CIDRs (10.1.0.0/16)',
    )
    .default(''),
  LM_PEER_AGENTS: z
    .string()
    .regex(/^[\sA-Za-z0-9.:,_-]*$/, 'LM_PEER_AGENTS must be a comma-separated list of agent IPs or host names')
    .default(''),
  LM_ALLOW_PRIVILEGED: bool('LM_ALLOW_PRIVILEGED').default(false),
  LM_HTTP_TIMEOUT_MS: positiveInt('LM_HTTP_TIMEOUT_MS').default(10_000),
  LM_DOCKER_TIMEOUT_MS: positiveInt('LM_DOCKER_TIMEOUT_MS').default(30_000),
  LM_WAIT_TIMEOUT_S: positiveInt('LM_WAIT_TIMEOUT_S').default(300),
  LM_AGENT_TIMEOUT_S: positiveInt('LM_AGENT_TIMEOUT_S').default(120),
  LM_AGENT_LOST_S: positiveInt('LM_AGENT_LOST_S').default(30),
  LM_ROLE: z.enum(['full', 'agent'], { error: 'LM_ROLE must be full or agent' }).default('full'),
  LM_AGENT_API: bool('LM_AGENT_API').default(true),
  LM_MAX_CACHED_WORKFLOWS: positiveInt('LM_MAX_CACHED_WORKFLOWS').default(250),
  LM_WORKFLOW_THREADS: positiveInt('LM_WORKFLOW_THREADS').default(1),
  LM_WORKFLOW_TASK_SLOTS: positiveInt('LM_WORKFLOW_TASK_SLOTS').default(40),
  LM_AGENT_ACTIVITY_SLOTS: positiveInt('LM_AGENT_ACTIVITY_SLOTS').default(20),
  LM_OBSERVE_INTERVAL_S: nonNegativeInt('LM_OBSERVE_INTERVAL_S').default(300),
  LM_WATCH_DOCKER_EVENTS: bool('LM_WATCH_DOCKER_EVENTS').default(true),
  LM_WATCH_KUBERNETES: bool('LM_WATCH_KUBERNETES').optional(),
  LM_METRICS_ADDRESS: z
    .union([z.literal(''), z.string().regex(/^[^\s:]+:\d{1,5}$/, 'LM_METRICS_ADDRESS must be host:port, such as 127.0.0.1:9464, or empty')])
    .optional(),
  LM_EXPIRY_RETRY_S: positiveInt('LM_EXPIRY_RETRY_S').default(300),
  LM_PULL_TIMEOUT_S: positiveInt('LM_PULL_TIMEOUT_S').default(300),
  LM_PULL_STALL_S: positiveInt('LM_PULL_STALL_S').default(60),
  LM_SWEEP_INTERVAL_S: nonNegativeInt('LM_SWEEP_INTERVAL_S').optional(),
  /** The sweep's name before it compared workloads with their instances too; read when LM_SWEEP_INTERVAL_S is not set. */
  LM_REAP_INTERVAL_S: nonNegativeInt('LM_REAP_INTERVAL_S').optional(),
  LM_MIN_RUN_MS: nonNegativeInt('LM_MIN_RUN_MS').default(DEFAULT_MIN_RUN_MS),
  LM_REAP_GRACE_S: nonNegativeInt('LM_REAP_GRACE_S').default(120),
  LM_INSTANCE_COUNT_TTL_S: nonNegativeInt('LM_INSTANCE_COUNT_TTL_S').default(5),
  LM_MAX_STREAMS_PER_CLIENT: positiveInt('LM_MAX_STREAMS_PER_CLIENT').default(10),
  LM_MAX_LONG_POLLS_PER_CLIENT: positiveInt('LM_MAX_LONG_POLLS_PER_CLIENT').default(20),
  LM_MAX_NOTIFICATIONS_PER_CLIENT: positiveInt('LM_MAX_NOTIFICATIONS_PER_CLIENT').default(4),
  LM_TERMINATE_ALL_CONCURRENCY: positiveInt('LM_TERMINATE_ALL_CONCURRENCY').default(8),
  LM_LOG_LEVEL: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal']).default('info'),
  LM_DATA_DIR: z.string().min(1, 'LM_DATA_DIR must not be empty').default('.data'),
  LM_DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\/\S+$/, 'LM_DATABASE_URL must be a PostgreSQL URL such as postgresql://user:password@host:5432/lm')
    .optional(),
});

export type LmMode = 'standalone' | 'mf2c';

export interface LmConfig {
  mode: LmMode;
  hostIp: string;
  port: number;
  /** LM_API_ADDRESS: the one address the REST API listens on (with `port`); null: every interface. */
  apiAddress: string | null;
  /** `uiUrl`: the Temporal Web UI, where each instance's `ui_url` points (no trailing slash). */
  temporal: { address: string; namespace: string; uiUrl: string };
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
  /** One image pull: its whole deadline, and how long it may go without any progress from the engine. */
  pull: { timeoutMs: number; stallMs: number };
  compss: { port: number; dataclayEp: string; network: string };
  /**
   * `internalToken` is what LM-to-LM calls carry and what the internal endpoints need: LM_INTERNAL_TOKEN, else
   * LM_API_TOKEN (`internalFromApiToken`), else none.
   */
  auth: { apiToken: string | null; internalToken: string | null; internalFromApiToken: boolean };
  /** LM_COMPOSE_URL_ALLOW: when not empty, the only hosts and networks compose files are fetched from. */
  composeUrlAllow: string[];
  /** LM_PEER_AGENTS: agents this LM sends its internal token to, besides those CIMI lists. */
  peerAgents: string[];
  allowPrivileged: boolean;
  httpTimeoutMs: number;
  waitTimeoutMs: number;
  agentTimeoutMs: number;
  /** How long an agent's LM may be silent before its agent counts as lost (its instances `degraded`). */
  agentLostMs: number;
  /** `full`: this LM orchestrates instances and runs workloads; `agent`: it only runs this agent's workloads. */
  role: AgentRole;
  /** The agent role runs its REST API too (LM_AGENT_API). */
  agentApi: boolean;
  /** Instances kept in the worker's memory; the others are replayed from history when a message arrives. */
  maxCachedWorkflows: number;
  /** Threads that run workflow code in the orchestrating worker (the SDK's workflowThreadPoolSize). */
  workflowThreads: number;
  /** Workflow tasks the orchestrating worker runs at once (the SDK's maxConcurrentWorkflowTaskExecutions). */
  workflowTaskSlots: number;
  /** Runtime steps this agent runs at once (the agent worker's maxConcurrentActivityTaskExecutions): its Docker calls. */
  agentActivitySlots: number;
  /** How often a settled instance with agents driven over HTTP (mF2C peers) observes them; 0: never. */
  observeIntervalMs: number;
  /** Docker events about the LM's containers make their instances observe at once. */
  watchDockerEvents: boolean;
  /** Changes to the LM's Kubernetes Deployments make their instances observe at once. */
  watchKubernetes: boolean;
  /** The first wait before an expired instance whose terminate was incomplete tries again (doubling, up to 1 h). */
  expiryRetryMs: number;
  /**
   * How often the agent's worker sweeps its runtimes: tells the instances whose workload changed and removes the
   * workloads whose instance workflow is closed or gone; 0: never on a timer (nor reaps).
   */
  sweepIntervalMs: number;
  /** How long a started container must run without dying before its start counts; 0: not waited for. */
  minRunMs: number;
  /** A workload younger than this is never reaped: its deploy may still be under way. */
  reapGraceMs: number;
  /** How long one visibility count of the instances by status serves the API's later /metrics scrapes. */
  instanceCountTtlMs: number;
  /** Where the worker serves Prometheus metrics (`host:port`); null: none. */
  metricsAddress: string | null;
  /** Work one client may hold at once, and how wide the API fans out (see api/client-limits.ts). */
  limits: {
    streamsPerClient: number;
    longPollsPerClient: number;
    notificationsPerClient: number;
    /** Terminates `DELETE …/all` has in flight at once. */
    terminateAllConcurrency: number;
  };
  /** Where the workflows project instances and the API reads them: a SQLite file under LM_DATA_DIR, or PostgreSQL. */
  readModel: ReadModelLocation;
  logLevel: string;
}

export type ReadModelLocation = { kind: 'sqlite'; file: string } | { kind: 'postgres'; url: string };

/** The file name of the embedded read model under LM_DATA_DIR. */
export const READ_MODEL_FILE = 'read-model.sqlite';

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
  const composeUrlAllow = env.LM_COMPOSE_URL_ALLOW.split(',')
    .map((entry) => entry.trim())
    .filter(Boolean);
  try {
    new OutboundPolicy(composeUrlAllow);
  } catch (err) {
    throw new ConfigError(`invalid configuration:\n  LM_COMPOSE_URL_ALLOW: ${err instanceof Error ? err.message : String(err)}`);
  }
  return {
    mode,
    hostIp: env.HOST_IP,
    port: env.LM_PORT,
    apiAddress: env.LM_API_ADDRESS || null,
    temporal: { address: env.TEMPORAL_ADDRESS, namespace: env.TEMPORAL_NAMESPACE, uiUrl: env.LM_TEMPORAL_UI_URL.replace(/\/+$/, '') },
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
    pull: { timeoutMs: env.LM_PULL_TIMEOUT_S * 1000, stallMs: env.LM_PULL_STALL_S * 1000 },
    compss: { port: env.PORT_COMPSs, dataclayEp: env.DATACLAY_EP, network: env.NETWORK_COMPSs },
    auth: {
      apiToken: env.LM_API_TOKEN ?? null,
      internalToken: env.LM_INTERNAL_TOKEN ?? env.LM_API_TOKEN ?? null,
      internalFromApiToken: env.LM_INTERNAL_TOKEN === undefined && env.LM_API_TOKEN !== undefined,
    },
    composeUrlAllow,
    peerAgents: env.LM_PEER_AGENTS.split(',')
      .map((agent) => agent.trim())
      .filter(Boolean),
    allowPrivileged: env.LM_ALLOW_PRIVILEGED,
    httpTimeoutMs: env.LM_HTTP_TIMEOUT_MS,
    waitTimeoutMs: env.LM_WAIT_TIMEOUT_S * 1000,
    agentTimeoutMs: env.LM_AGENT_TIMEOUT_S * 1000,
    agentLostMs: env.LM_AGENT_LOST_S * 1000,
    role: env.LM_ROLE,
    agentApi: env.LM_AGENT_API,
    maxCachedWorkflows: env.LM_MAX_CACHED_WORKFLOWS,
    workflowThreads: env.LM_WORKFLOW_THREADS,
    workflowTaskSlots: env.LM_WORKFLOW_TASK_SLOTS,
    agentActivitySlots: env.LM_AGENT_ACTIVITY_SLOTS,
    observeIntervalMs: env.LM_OBSERVE_INTERVAL_S * 1000,
    watchDockerEvents: env.LM_WATCH_DOCKER_EVENTS,
    // An agent that is a Kubernetes master has a cluster to watch; any other would only retry in vain.
    watchKubernetes: env.LM_WATCH_KUBERNETES ?? env.K8S_MASTER,
    expiryRetryMs: env.LM_EXPIRY_RETRY_S * 1000,
    sweepIntervalMs: (env.LM_SWEEP_INTERVAL_S ?? env.LM_REAP_INTERVAL_S ?? 60) * 1000,
    minRunMs: env.LM_MIN_RUN_MS,
    reapGraceMs: env.LM_REAP_GRACE_S * 1000,
    instanceCountTtlMs: env.LM_INSTANCE_COUNT_TTL_S * 1000,
    metricsAddress: env.LM_METRICS_ADDRESS || null,
    limits: {
      streamsPerClient: env.LM_MAX_STREAMS_PER_CLIENT,
      longPollsPerClient: env.LM_MAX_LONG_POLLS_PER_CLIENT,
      notificationsPerClient: env.LM_MAX_NOTIFICATIONS_PER_CLIENT,
      terminateAllConcurrency: env.LM_TERMINATE_ALL_CONCURRENCY,
    },
    readModel:
      env.LM_DATABASE_URL === undefined
        ? { kind: 'sqlite', file: path.resolve(env.LM_DATA_DIR, READ_MODEL_FILE) }
        : { kind: 'postgres', url: env.LM_DATABASE_URL },
    logLevel: env.LM_LOG_LEVEL,
  };
}
