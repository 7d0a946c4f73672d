/** Finds the `temporal` CLI the way the scripts do: TEMPORAL_CLI_PATH, then PATH, then the project's venv. */
import fs from 'node:fs';
import path from 'node:path';

export const PROJECT_ROOT = path.resolve(__dirname, '..', '..');

export function temporalBinary(): string {
  const candidates = [
    process.env.TEMPORAL_CLI_PATH,
    ...(process.env.PATH ?? '').split(path.delimiter).map((dir) => path.join(dir, 'temporal')),
    path.join(PROJECT_ROOT, '.venv', 'bin', 'temporal'),
  ].filter((candidate): candidate is string => Boolean(candidate));
  const found = candidates.find((candidate) => fs.existsSync(candidate));
  if (!found) {
    throw new Error(
      'no temporal CLI found (TEMPORAL_CLI_PATH, PATH, .venv/bin/temporal): run scripts/test.sh, which installs it',
    );
  }
  return found;
}
