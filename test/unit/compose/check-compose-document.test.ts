/** The compose checks: YAML, structure and the policy, rule by rule, allowed against refused. */
import { checkComposeDocument, type ComposeCheckOptions } from '../../../activities/runtime/compose/check-compose-document';
import { formatProblem, type ComposeProblem } from '../../../activities/runtime/compose/compose-problem';

const DIR = '/var/lm/compose/lm-1111';
const STRICT: ComposeCheckOptions = { allowPrivileged: false, instanceDir: DIR, project: 'lm-1111' };
const LENIENT: ComposeCheckOptions = { allowPrivileged: true, instanceDir: DIR, project: 'lm-1111' };

/** A one-service file whose service body is `body` (indented under `web:`). */
function oneService(body: string): string {
  const indented = body
    .split('\n')
    .map((line) => `    ${line}`)
    .join('\n');
  return `services:\n  web:\n    image: lm-test/busybox:latest\n${indented}\n`;
}

function check(text: string, options = STRICT): ComposeProblem[] {
  return checkComposeDocument(text, options);
}

describe('YAML and structure', () => {
  test('a minimal valid file has no problems', () => {
    expect(check('services:\n  web:\n    image: nginx:1.27\n')).toEqual([]);
  });

  test('invalid YAML is reported with its line', () => {
    const problems = check('services:\n  web:\n    image: [unclosed\n    ports: 80\n');
    expect(problems.length).toBeGreaterThan(0);
    expect(problems[0].kind).toBe('yaml');
    expect(problems[0].message).toMatch(/invalid YAML/);
    expect(problems[0].line).toBeGreaterThanOrEqual(3);
  });

  test('duplicate keys are invalid YAML', () => {
    expect(check('services:\n  web:\n    image: a\n    image: b\n')[0].message).toMatch(/invalid YAML/);
  });

  test('a file that is not a mapping, or has no services, is refused', () => {
    expect(check('- just\n- a list\n')[0].message).toMatch(/not a compose file/);
    expect(check('version: "3"\n')[0].message).toMatch(/no services/);
    expect(check('services: {}\n')[0].message).toMatch(/no services/);
  });

  test('a service without image or build is refused, naming the service', () => {
    const [problem] = check('services:\n  web:\n    ports: ["80"]\n');
    expect(problem.service).toBe('web');
    expect(problem.message).toMatch(/neither "image" nor "build"/);
    expect(problem.line).toBe(2);
  });

  test('a service with only build is a valid compose file (the policy, not the structure, refuses build)', () => {
    expect(check('services:\n  web:\n    build: ./app\n', LENIENT)).toEqual([]);
  });

  test('unknown top-level keys are refused, x- extensions are not', () => {
    expect(check('servces:\n  web:\n    image: a\nservices:\n  web:\n    image: a\n')[0].message).toMatch(
      /unknown top-level key "servces"/,
    );
    expect(check('x-common: &c\n  image: a\nservices:\n  web: *c\n')).toEqual([]);
  });

  test('invalid service names are refused', () => {
    expect(check('services:\n  "we b":\n    image: a\n')[0].message).toMatch(/invalid service name/);
  });

  test('LM_ALLOW_PRIVILEGED never lifts YAML or structure problems', () => {
    expect(check('services:\n  web:\n    ports: ["80"]\n', LENIENT)).toHaveLength(1);
    expect(check('services: [\n', LENIENT)[0].kind).toBe('yaml');
  });
});

describe('policy', () => {
  /** Each refused setting, the key the problem must name, and the line it is on in `oneService`. */
  const refused: Array<[string, string, string, number]> = [
    ['privileged', 'privileged: true', 'privileged', 4],
    ['network_mode host', 'network_mode: host', 'network_mode', 4],
    ['network_mode of another container', 'network_mode: "container:abc"', 'network_mode', 4],
    ['pid host', 'pid: host', 'pid', 4],
    ['ipc host', 'ipc: host', 'ipc', 4],
    ['uts host', 'uts: host', 'uts', 4],
    ['userns_mode host', 'userns_mode: host', 'userns_mode', 4],
    ['cap_add SYS_ADMIN', 'cap_add:\n  - NET_BIND_SERVICE\n  - CAP_SYS_ADMIN', 'cap_add[1]', 6],
    ['cap_add ALL', 'cap_add: [ALL]', 'cap_add[0]', 4],
    ['devices', 'devices:\n  - /dev/sda:/dev/sda', 'devices', 4],
    ['security_opt unconfined', 'security_opt:\n  - apparmor:unconfined', 'security_opt[0]', 5],
    ['absolute bind mount (short syntax)', 'volumes:\n  - /etc:/host-etc:ro', 'volumes[0]', 5],
    ['docker socket', 'volumes:\n  - /var/run/docker.sock:/var/run/docker.sock', 'volumes[0]', 5],
    ['relative bind mount escaping the directory', 'volumes:\n  - ../other-instance:/data', 'volumes[0]', 5],
    ['home directory bind mount', 'volumes:\n  - ~/.ssh:/keys', 'volumes[0]', 5],
    ['long-syntax bind mount', 'volumes:\n  - type: bind\n    source: /srv\n    target: /data', 'volumes[0].source', 6],
    ['variable in a bind mount', 'volumes:\n  - ${HOME}:/data', 'volumes[0]', 5],
    ['volumes_from another container', 'volumes_from:\n  - container:other', 'volumes_from[0]', 5],
    ['env_file outside', 'env_file: /etc/shadow', 'env_file[0]', 4],
    ['build context outside', 'build:\n  context: /', 'build', 4],
    ['a remote build context (the engine would fetch it)', 'build: https://github.com/example/app.git', 'build', 4],
  ];

  test.each(refused)('refuses %s, naming the service, the key and the line', (_what, body, key, line) => {
    const problems = check(oneService(body));
    expect(problems).toHaveLength(1);
    const [problem] = problems;
    expect(problem).toMatchObject({ kind: 'policy', service: 'web', key, line });
    expect(formatProblem(problem)).toMatch(new RegExp(`^service "web", ${key.replace(/[[\].]/g, '\\$&')} \\(line ${line}\\): `));
  });

  test.each(refused)('allows %s when LM_ALLOW_PRIVILEGED=true', (_what, body) => {
    expect(check(oneService(body), LENIENT)).toEqual([]);
  });

  const allowed: Array<[string, string]> = [
    ['privileged: false', 'privileged: false'],
    ['bridge and service network modes', 'network_mode: bridge'],
    ['an anonymous volume', 'volumes:\n  - /data'],
    ['a relative bind mount inside the directory', 'volumes:\n  - ./data:/data\n  - .:/project:ro'],
    ['an absolute bind mount inside the directory', `volumes:\n  - ${DIR}/cache:/cache`],
    ['harmless capabilities', 'cap_add: [NET_BIND_SERVICE, CHOWN]'],
    ['an env_file in the directory', 'env_file: ./app.env'],
    ['an escaped dollar', 'volumes:\n  - ./$$literal:/data'],
    ['variables outside guarded keys', 'environment:\n  - GREETING=${GREETING:-hello}'],
  ];

  test.each(allowed)('allows %s', (_what, body) => {
    expect(check(oneService(body))).toEqual([]);
  });

  test('allows named volumes (short and long syntax) and tmpfs, once the file declares the volume', () => {
    const volumes = 'volumes:\n  - data:/data\n  - type: volume\n    source: data\n    target: /more\n  - type: tmpfs\n    target: /tmp';
    expect(check(`${oneService(volumes)}volumes:\n  data: {}\n`)).toEqual([]);
    expect(check(oneService(volumes)).map((p) => p.key)).toEqual(['volumes[0]', 'volumes[1].source']);
  });

  test('privileged hidden behind a YAML merge key is still refused (at the service line)', () => {
    const text = 'x-base: &base\n  privileged: true\nservices:\n  web:\n    <<: *base\n    image: a\n';
    const [problem] = check(text);
    expect(problem).toMatchObject({ kind: 'policy', service: 'web', key: 'privileged' });
    // The key came through the alias: the line is the service's.
    expect(problem.line).toBe(4);
  });

  test('the host network through a top-level external network is refused', () => {
    const text = 'services:\n  web:\n    image: a\n    networks: [hostnet]\nnetworks:\n  hostnet:\n    external: true\n    name: host\n';
    expect(check(text)).toEqual([
      expect.objectContaining({ kind: 'policy', key: 'networks.hostnet.external', line: 7 }),
      expect.objectContaining({ kind: 'policy', key: 'networks.hostnet.name', line: 8 }),
    ]);
  });

  test('a local-driver volume binding a host directory is refused', () => {
    const text =
      'services:\n  web:\n    image: a\n    volumes: [etc:/etc2]\nvolumes:\n  etc:\n    driver_opts:\n      type: none\n      o: bind\n      device: /etc\n';
    expect(check(text)).toEqual([expect.objectContaining({ key: 'volumes.etc.driver_opts', line: 7 })]);
  });

  test('secrets read from files outside the directory and include are refused', () => {
    const text = 'services:\n  web:\n    image: a\nsecrets:\n  key:\n    file: /root/.ssh/id_rsa\ninclude:\n  - ../other.yml\n';
    const keys = check(text).map((p) => p.key);
    expect(keys).toEqual(expect.arrayContaining(['secrets.key.file', 'include']));
  });

  test('every problem of a file is reported, each with its own service', () => {
    const text = 'services:\n  a:\n    image: img-a\n    privileged: true\n  b:\n    image: img-b\n    pid: host\n';
    expect(check(text).map((p) => `${p.service}:${p.key}:${p.line}`)).toEqual(['a:privileged:4', 'b:pid:7']);
  });
});
