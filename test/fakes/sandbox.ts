/**
 * Local mF2C sandbox: every fake peer on its usual port, CIMI seeded with this host's agent and a docker
 * service, one JSON line on stdout per call received. Run `node .build/test/fakes/sandbox.js` after
 * `npm run build:dev`, start the LM with the env line it prints, stop with Ctrl-C.
 *
 * Env: HOST_IP (agent device_ip and recommended host, default 127.0.0.1), LEADER_IP (default HOST_IP),
 * FAKE_BIND_HOST (default 127.0.0.1), FAKE_CIMI_PORT (8201), FAKE_SLA_PORT (46030), FAKE_SM_PORT (46200),
 * FAKE_UM_PORT (46300), FAKE_RECOMMENDER_PORT (46020).
 */
import { CallRecorder } from './call-recorder';
import { type FakeCimi, startFakeCimi } from './cimi';
import { type FakeRecommender, startFakeRecommender } from './recommender';
import { type FakeServiceManager, startFakeServiceManager } from './service-manager';
import { type FakeSlaManager, startFakeSlaManager } from './sla-manager';
import { type FakeUserManagement, startFakeUserManagement } from './user-management';

export interface SandboxConfig {
  bindHost: string;
  hostIp: string;
  leaderIp: string;
  ports: { cimi: number; sla: number; sm: number; um: number; recommender: number };
  /** Owner of the seeded user-profile; default "testuser". */
  user?: string;
}

export interface Sandbox {
  recorder: CallRecorder;
  cimi: FakeCimi;
  sla: FakeSlaManager;
  sm: FakeServiceManager;
  um: FakeUserManagement;
  recommender: FakeRecommender;
  /** The LM's environment pointing at this sandbox, in print order. */
  env: Record<string, string>;
  close(): Promise<void>;
}

const PORT_VARS = {
  cimi: ['FAKE_CIMI_PORT', 8201],
  sla: ['FAKE_SLA_PORT', 46030],
  sm: ['FAKE_SM_PORT', 46200],
  um: ['FAKE_UM_PORT', 46300],
  recommender: ['FAKE_RECOMMENDER_PORT', 46020],
} as const;

/** Reads the config; a bad port stops with a message naming the variable. */
export function sandboxConfigFromEnv(env: NodeJS.ProcessEnv = process.env): SandboxConfig {
  const port = (key: keyof typeof PORT_VARS): number => {
    const [name, fallback] = PORT_VARS[key];
    const raw = env[name];
    if (raw === undefined || raw === '') return fallback;
    const value = Number(raw);
    if (!Number.isInteger(value) || value < 0 || value > 65535) throw new Error(`${name} must be a port number (0-65535), got "${raw}"`);
    return value;
  };
  const hostIp = env.HOST_IP || '127.0.0.1';
  return {
    bindHost: env.FAKE_BIND_HOST || '127.0.0.1',
    hostIp,
    leaderIp: env.LEADER_IP || hostIp,
    ports: { cimi: port('cimi'), sla: port('sla'), sm: port('sm'), um: port('um'), recommender: port('recommender') },
  };
}

export async function startSandbox(config: SandboxConfig): Promise<Sandbox> {
  const recorder = new CallRecorder();
  const host = config.bindHost;
  const started: Array<{ close(): Promise<void> }> = [];
  try {
    const cimi = await startFakeCimi({
      host,
      port: config.ports.cimi,
      recorder,
      seed: {
        deviceIp: config.hostIp,
        leaderIp: config.leaderIp,
        user: config.user,
        service: { name: 'busybox', exec: 'lm-test/busybox:latest', exec_type: 'docker', category: 0 },
      },
    });
    started.push(cimi);
    const sla = await startFakeSlaManager({ host, port: config.ports.sla, recorder });
    started.push(sla);
    const sm = await startFakeServiceManager({ host, port: config.ports.sm, recorder, cimi });
    started.push(sm);
    const um = await startFakeUserManagement({
      host,
      port: config.ports.um,
      recorder,
      user: cimi.seeded?.user,
      deviceId: cimi.seeded?.device,
    });
    started.push(um);
    const recommender = await startFakeRecommender({ host, port: config.ports.recommender, recorder, hosts: [config.hostIp] });
    started.push(recommender);

    // A wildcard bind is still reached through loopback from this machine.
    const reach = (url: string): string => url.replace('//0.0.0.0:', '//127.0.0.1:');
    const env: Record<string, string> = {
      CIMI_URL: reach(cimi.apiUrl),
      URL_PM_SLA_MANAGER: reach(sla.url),
      URL_AC_SERVICE_MNGMT: `${reach(sm.url)}/api`,
      URL_AC_USER_MANAGEMENT: `${reach(um.url)}/api/v2/um`,
      URL_PM_RECOM_LANDSCAPER: `${reach(recommender.url)}/mf2c`,
      LM_MODE: 'MF2C',
      HOST_IP: config.hostIp,
    };
    return { recorder, cimi, sla, sm, um, recommender, env, close: () => closeAll(started) };
  } catch (err) {
    await closeAll(started);
    throw err;
  }
}

async function closeAll(servers: Array<{ close(): Promise<void> }>): Promise<void> {
  await Promise.all(servers.map((s) => s.close()));
}

async function main(): Promise<void> {
  let config: SandboxConfig;
  try {
    config = sandboxConfigFromEnv();
  } catch (err) {
    process.stderr.write(`sandbox: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(2);
  }
  const sandbox = await startSandbox(config);
  const print = (line: string): void => void process.stdout.write(`${line}\n`);
  print('# mF2C sandbox ready; start the LM with:');
  print(
    Object.entries(sandbox.env)
      .map(([k, v]) => `${k}=${v}`)
      .join(' '),
  );
  print(JSON.stringify({ event: 'seeded', ...sandbox.cimi.seeded }));
  sandbox.recorder.onCall((call) => print(JSON.stringify(call)));

  let stopping = false;
  const stop = (signal: NodeJS.Signals): void => {
    if (stopping) return;
    stopping = true;
    print(JSON.stringify({ event: 'stopping', signal }));
    void sandbox.close().then(() => process.exit(0));
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

if (require.main === module) {
  main().catch((err: unknown) => {
    process.stderr.write(`sandbox: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  });
}
