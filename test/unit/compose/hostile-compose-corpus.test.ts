/**
 * The hostile-compose corpus against the checks of both sides: the submit-time check of the API (fetched from a
 * loopback file server, a 400 message) and the agent's check of compose and stack files. Every refused file is
 * refused naming its rule; every near-miss passes; LM_ALLOW_PRIVILEGED=true lifts the policy but not YAML.
 */
import { composeSubmitProblem } from '../../../api/compose-precheck';
import { checkComposeStackDocument } from '../../../activities/runtime/compose-swarm/check-compose-stack-document';
import { checkComposeDocument, type ComposeCheckOptions } from '../../../activities/runtime/compose/check-compose-document';
import { formatProblems } from '../../../activities/runtime/compose/compose-problem';
import { instanceDirOf } from '../../../activities/runtime/compose/instance-directory';
import { loadConfig, type LmConfig } from '../../../common/config';
import type { Service } from '../../../workflows/model/service';
import { startComposeFileServer, type ComposeFileServer } from '../../support/compose-file-server';
import { allowedFiles, hostileComposeCorpus, refusedFiles } from '../../support/hostile-compose';

const UUID = '11111111-2222-4333-8444-555555555555';
const WORKING_DIR = '/var/lm/compose';
const STRICT: ComposeCheckOptions = { allowPrivileged: false, instanceDir: instanceDirOf(WORKING_DIR, UUID), project: `lm-${UUID}` };
const names = (file: { name: string; names: string[] }) => file.names.map((n) => [file.name, n] as const);

let server: ComposeFileServer;
let config: LmConfig;

beforeAll(async () => {
  server = await startComposeFileServer();
  config = loadConfig({
    STANDALONE_MODE: 'True',
    TEMPORAL_ADDRESS: '127.0.0.1:1',
    LM_LOG_LEVEL: 'fatal',
    WORKING_DIR_VOLUME: WORKING_DIR,
    LM_HTTP_TIMEOUT_MS: '5000',
  });
});

afterAll(async () => {
  await server.close();
});

test('the corpus has a file per rule and spelling, and near-misses', () => {
  expect(refusedFiles().length).toBeGreaterThanOrEqual(30);
  expect(allowedFiles().length).toBeGreaterThanOrEqual(10);
});

describe.each([
  ['compose', checkComposeDocument],
  ['stack', checkComposeStackDocument],
] as const)('on the agent: the %s check', (_kind, check) => {
  test.each(refusedFiles().flatMap(names))('%s is refused naming %s', (name, expected) => {
    const file = hostileComposeCorpus().find((f) => f.name === name)!;
    expect(formatProblems(check(file.text, STRICT))).toContain(expected);
  });

  test.each(allowedFiles().map((f) => [f.name, f.text]))('%s passes', (_name, text) => {
    expect(check(text, STRICT)).toEqual([]);
  });

  test.each(refusedFiles().map((f) => [f.name, f.text]))('%s: LM_ALLOW_PRIVILEGED=true lifts the policy, never YAML', (_name, text) => {
    const lifted = check(text, { ...STRICT, allowPrivileged: true });
    expect(lifted.filter((p) => p.kind === 'policy')).toEqual([]);
    const yaml = check(text, STRICT).filter((p) => p.kind === 'yaml');
    expect(lifted.filter((p) => p.kind === 'yaml')).toEqual(yaml);
  });
});

describe('at submit: the API', () => {
  const service = (name: string, exec_type: Service['exec_type']): Service => ({
    name: 'corpus',
    exec: server.put(name, hostileComposeCorpus().find((f) => f.name === name)!.text),
    exec_type,
    exec_ports: [],
    category: 0,
    num_agents: 1,
    agent_type: 'normal',
  });

  test.each(refusedFiles().flatMap(names))('%s is a 400 naming %s', async (name, expected) => {
    for (const execType of ['docker-compose', 'docker-compose-swarm'] as const) {
      const message = await composeSubmitProblem(service(name, execType), UUID, config);
      expect(message).toContain(expected);
      expect(message).toMatch(/^compose file http:\/\/127\.0\.0\.1:\d+\/files\/.* cannot be deployed: /);
    }
  });

  test.each(allowedFiles().map((f) => [f.name]))('%s is accepted', async (name) => {
    expect(await composeSubmitProblem(service(name, 'docker-compose'), UUID, config)).toBeNull();
  });
});
