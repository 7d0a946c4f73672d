/** Finds the `temporal` CLI the way the scripts do: TEMPORAL_CLI_PATH, then PATH, then the project's venv. */
import fs from 'node:fs';
import path from 'node:path';

/** The checkout's root, whether this runs from the sources or from dist/. */
function findProjectRoot(start: string): string {
  for (let dir = start; dir !== path.dirname(dir); dir = path.dirname(dir)) {
    if (fs.existsSync(path.join(dir, 'package.json'))) return dir;
  }
  throw new Error(`no package.json above ${start}`);
}

export const PROJECT_ROOT = findProjectRoot(__dirname);

export function temporalBinary(): string {
  const candidates = [
    process.env.TEMPORAL_CLI_PATH,
    ...(process.env.PATH ?? '').split(path.delimiter).map((dir) => path.join(dir, 'temporal')),
    path.join(PROJECT_ROOT, '.venv', 'bin', 'temporal'),
  ].filter((candidate): candidate is string => Boolean(candidate));
  const found = candidates.find((candidate) => fs.existsSync(candidate));
  if (!found) {
    throw new Error('no temporal CLI found (TEMPORAL_CLI_PATH, PATH, .venv/bin/temporal): run scripts/test.sh, which installs it');
  }
  return found;
}
