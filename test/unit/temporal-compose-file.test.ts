/**
 * docker-compose.temporal.yml cannot be brought up here (no image registry), so what can be checked without
 * pulling is: compose accepts it, the files it mounts exist, and it serves what the LM's defaults expect.
 */
import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { composeExecutable } from '../../activities/runtime/compose/detect-compose-executable';
import { runCommand } from '../../activities/runtime/compose/run-command';
import { loadConfig } from '../../common/config';

const ROOT = path.resolve(__dirname, '../..');
const FILE = path.join(ROOT, 'docker-compose.temporal.yml');

interface ComposeService {
  ports?: string[];
  volumes?: string[];
  environment?: Record<string, string>;
}

const services = (parse(fs.readFileSync(FILE, 'utf8')) as { services: Record<string, ComposeService> }).services;

test('compose accepts the file', async () => {
  const executable = await composeExecutable(process.env, 'this machine');
  const args = [...executable.prefix, '-f', FILE, 'config', '-q'];
  const result = await runCommand(executable.file, args, { timeoutMs: 30_000, cwd: ROOT, env: process.env });
  expect({ exitCode: result.exitCode, stderr: result.stderr.trim() }).toEqual({ exitCode: 0, stderr: '' });
});

test('the dynamic config it mounts exists', () => {
  const temporal = services.temporal;
  const mount = (temporal.volumes ?? []).find((volume) => volume.startsWith('./'));
  expect(mount).toBeDefined();
  const [hostPath, containerPath] = (mount ?? '').split(':');
  const configFile = temporal.environment?.DYNAMIC_CONFIG_FILE_PATH ?? '';
  // The server reads DYNAMIC_CONFIG_FILE_PATH relative to /etc/temporal, where the mount lands.
  expect(path.posix.join('/etc/temporal', configFile).startsWith(`${containerPath}/`)).toBe(true);
  expect(fs.existsSync(path.join(ROOT, hostPath, path.basename(configFile)))).toBe(true);
});

test("it serves what the LM's defaults expect: the frontend on 7233, the default namespace", () => {
  const defaults = loadConfig({});
  const port = defaults.temporal.address.split(':')[1];
  expect(services.temporal.ports).toContain(`${port}:7233`);
  expect(services['temporal-namespace'].environment?.LM_NAMESPACE).toBe(`\${LM_NAMESPACE:-${defaults.temporal.namespace}}`);
});
