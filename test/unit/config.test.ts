import { ConfigError, loadConfig } from '../../common/config';

function problem(env: Record<string, string>): string {
  try {
    loadConfig(env);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as Error).message;
  }
  throw new Error(`loadConfig accepted ${JSON.stringify(env)}`);
}

test('defaults: standalone on 46000, no peers, observation on Docker events and every 300 s', () => {
  const config = loadConfig({});
  expect(config).toMatchObject({
    mode: 'standalone',
    hostIp: '127.0.0.1',
    port: 46000,
    cimi: null,
    observeIntervalMs: 300_000,
    watchDockerEvents: true,
    agentTimeoutMs: 120_000,
  });
  expect(config.peers).toMatchObject({ slaManager: null, serviceManager: null, userManagement: null, recommender: null });
});

test("mF2C mode falls back to the original's peer URLs and appends /api to CIMI_URL", () => {
  const config = loadConfig({ STANDALONE_MODE: 'False', CIMI_URL: 'https://cimi:8443/' });
  expect(config.mode).toBe('mf2c');
  expect(config.cimi).toEqual({ url: 'https://cimi:8443/api', user: 'super' });
  expect(config.peers.slaManager).toBe('http://slalite:46030');
  expect(loadConfig({ LM_MODE: 'mf2c' }).mode).toBe('mf2c');
  expect(loadConfig({ LM_MODE: 'STANDALONE', STANDALONE_MODE: 'False' }).mode).toBe('standalone');
});

test('metrics are served only at a host:port; empty means none', () => {
  expect(loadConfig({}).metricsAddress).toBeNull();
  expect(loadConfig({ LM_METRICS_ADDRESS: '' }).metricsAddress).toBeNull();
  expect(loadConfig({ LM_METRICS_ADDRESS: '0.0.0.0:9464' }).metricsAddress).toBe('0.0.0.0:9464');
  expect(problem({ LM_METRICS_ADDRESS: '9464' })).toMatch(/LM_METRICS_ADDRESS must be host:port/);
});

test('the API listens on every interface unless LM_API_ADDRESS names one address (without a port)', () => {
  expect(loadConfig({}).apiAddress).toBeNull();
  expect(loadConfig({ LM_API_ADDRESS: '' }).apiAddress).toBeNull();
  expect(loadConfig({ LM_API_ADDRESS: '127.0.0.2' }).apiAddress).toBe('127.0.0.2');
  expect(loadConfig({ LM_API_ADDRESS: '::1' }).apiAddress).toBe('::1');
  expect(loadConfig({ LM_API_ADDRESS: 'agent-2.example.org' }).apiAddress).toBe('agent-2.example.org');
  expect(problem({ LM_API_ADDRESS: '127.0.0.2:46000' })).toMatch(
    /LM_API_ADDRESS must be an address .* without a port.* the port is LM_PORT/,
  );
  expect(problem({ LM_API_ADDRESS: 'http://127.0.0.2' })).toMatch(/LM_API_ADDRESS/);
});

test('an expired instance retries an incomplete terminate after LM_EXPIRY_RETRY_S, 300 by default', () => {
  expect(loadConfig({}).expiryRetryMs).toBe(300_000);
  expect(loadConfig({ LM_EXPIRY_RETRY_S: '30' }).expiryRetryMs).toBe(30_000);
  expect(problem({ LM_EXPIRY_RETRY_S: '0' })).toMatch(/LM_EXPIRY_RETRY_S/);
});

test('one count of the instances serves the scrapes of LM_INSTANCE_COUNT_TTL_S; 0 counts at every scrape', () => {
  expect(loadConfig({}).instanceCountTtlMs).toBe(5_000);
  expect(loadConfig({ LM_INSTANCE_COUNT_TTL_S: '0' }).instanceCountTtlMs).toBe(0);
  expect(problem({ LM_INSTANCE_COUNT_TTL_S: '-1' })).toMatch(/LM_INSTANCE_COUNT_TTL_S/);
});

test('Kubernetes Deployments are watched on a Kubernetes master, unless LM_WATCH_KUBERNETES says otherwise', () => {
  expect(loadConfig({}).watchKubernetes).toBe(false);
  expect(loadConfig({ K8S_MASTER: 'True' }).watchKubernetes).toBe(true);
  expect(loadConfig({ K8S_MASTER: 'True', LM_WATCH_KUBERNETES: 'false' }).watchKubernetes).toBe(false);
  expect(loadConfig({ LM_WATCH_KUBERNETES: 'yes' }).watchKubernetes).toBe(true);
  expect(problem({ LM_WATCH_KUBERNETES: 'sometimes' })).toMatch(/LM_WATCH_KUBERNETES must be true or false/);
});

test('0: no periodic observation', () => {
  expect(loadConfig({ LM_OBSERVE_INTERVAL_S: '0' }).observeIntervalMs).toBe(0);
});

test.each([
  [{ LM_PORT: '70000' }, /LM_PORT: LM_PORT must be between 1 and 65535/],
  [{ LM_OBSERVE_INTERVAL_S: '-1' }, /LM_OBSERVE_INTERVAL_S must be >= 0/],
  [{ LM_AGENT_TIMEOUT_S: '0' }, /LM_AGENT_TIMEOUT_S must be > 0/],
  [{ STANDALONE_MODE: 'maybe' }, /STANDALONE_MODE must be true or false \(got "maybe"\)/],
  [{ CIMI_URL: 'cimi' }, /CIMI_URL must be an absolute URL/],
  [{ LM_MODE: 'cloud' }, /LM_MODE must be STANDALONE or MF2C \(got "cloud"\)/],
])('a bad value stops the process with a message naming the variable: %j', (env, message) => {
  expect(problem(env)).toMatch(message);
});

test('the agent sweeps every LM_SWEEP_INTERVAL_S (60, 0: never; LM_REAP_INTERVAL_S as before) and spares workloads younger than LM_REAP_GRACE_S (120)', () => {
  expect(loadConfig({})).toMatchObject({ sweepIntervalMs: 60_000, reapGraceMs: 120_000 });
  expect(loadConfig({ LM_SWEEP_INTERVAL_S: '0', LM_REAP_GRACE_S: '5' })).toMatchObject({ sweepIntervalMs: 0, reapGraceMs: 5_000 });
  expect(loadConfig({ LM_REAP_INTERVAL_S: '7' })).toMatchObject({ sweepIntervalMs: 7_000 });
  expect(loadConfig({ LM_REAP_INTERVAL_S: '7', LM_SWEEP_INTERVAL_S: '3' })).toMatchObject({ sweepIntervalMs: 3_000 });
  expect(problem({ LM_REAP_GRACE_S: '-1' })).toMatch(/LM_REAP_GRACE_S/);
});

test('an image pull is bounded by LM_PULL_TIMEOUT_S (300) and LM_PULL_STALL_S without progress (60)', () => {
  expect(loadConfig({}).pull).toEqual({ timeoutMs: 300_000, stallMs: 60_000 });
  expect(loadConfig({ LM_PULL_TIMEOUT_S: '30', LM_PULL_STALL_S: '5' }).pull).toEqual({ timeoutMs: 30_000, stallMs: 5_000 });
  expect(problem({ LM_PULL_STALL_S: '0' })).toMatch(/LM_PULL_STALL_S/);
});

test("the orchestrating worker's workflow threads (LM_WORKFLOW_THREADS) and task slots (LM_WORKFLOW_TASK_SLOTS)", () => {
  expect(loadConfig({})).toMatchObject({ workflowThreads: 1, workflowTaskSlots: 40 });
  expect(loadConfig({ LM_WORKFLOW_THREADS: '2', LM_WORKFLOW_TASK_SLOTS: '10' })).toMatchObject({
    workflowThreads: 2,
    workflowTaskSlots: 10,
  });
  expect(problem({ LM_WORKFLOW_THREADS: '0' })).toMatch(/LM_WORKFLOW_THREADS/);
  expect(problem({ LM_WORKFLOW_TASK_SLOTS: 'many' })).toMatch(/LM_WORKFLOW_TASK_SLOTS/);
});

test("the agent's runtime steps at once (LM_AGENT_ACTIVITY_SLOTS)", () => {
  expect(loadConfig({}).agentActivitySlots).toBe(20);
  expect(loadConfig({ LM_AGENT_ACTIVITY_SLOTS: '2' }).agentActivitySlots).toBe(2);
  expect(problem({ LM_AGENT_ACTIVITY_SLOTS: '0' })).toMatch(/LM_AGENT_ACTIVITY_SLOTS/);
});
