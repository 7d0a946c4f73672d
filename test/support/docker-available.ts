/** Integration tiers need a real Docker engine; without one they fail loudly instead of skipping. */
import { spawnSync } from 'node:child_process';

export function assertDockerAvailable(): void {
  const result = spawnSync('docker', ['info', '--format', '{{.ServerVersion}}'], { encoding: 'utf8' });
  if (result.status !== 0) {
    throw new Error(
      `TESTS CANNOT RUN: no Docker engine answers (${(result.stderr || result.error?.message || '').trim()}).\n` +
        'Run the tests with scripts/test.sh: it installs docker.io and starts dockerd.',
    );
  }
}
