/**
 * The instance's own directory under WORKING_DIR_VOLUME: `<workingDir>/<project>/`, holding the fetched compose
 * file and the LM's override, and their seal `<workingDir>/<project>.seal.json` beside it. One per instance.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { composeProjectName } from '../labels';

export const COMPOSE_FILE_NAME = 'docker-compose.yml';
/** Written by the LM next to the user's file: labels (and, for stacks, replicas) layered on top of it. */
export const OVERRIDE_FILE_NAME = 'lm.override.yml';

export interface ComposeFiles {
  dir: string;
  composeFile: string;
  overrideFile: string;
  /** The digests of both files, recorded at deploy beside the directory: out of every container's reach. */
  sealFile: string;
}

const sealFileOf = (dir: string): string => `${dir}.seal.json`;

/** The directory an instance's compose files go to, e.g. for checking its paths at submit time. */
export function instanceDirOf(workingDir: string, instanceUuid: string): string {
  return composeFilesIn(workingDir, composeProjectName({ instanceUuid, agentIndex: 0 })).dir;
}

export function composeFilesIn(workingDir: string, project: string): ComposeFiles {
  const dir = path.join(path.resolve(workingDir), project);
  return {
    dir,
    composeFile: path.join(dir, COMPOSE_FILE_NAME),
    overrideFile: path.join(dir, OVERRIDE_FILE_NAME),
    sealFile: sealFileOf(dir),
  };
}

/** The compose file a previous attempt already fetched, or null. */
export async function readIfPresent(file: string): Promise<string | null> {
  try {
    return await fs.readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
}

/** Both files deploy wrote: what every later compose command needs. */
export async function composeFilesPresent(files: ComposeFiles): Promise<boolean> {
  try {
    await Promise.all([fs.access(files.composeFile), fs.access(files.overrideFile)]);
    return true;
  } catch {
    return false;
  }
}

/** Write-then-rename: a crash mid-write never leaves a half file that a retry would take for the real one. */
export async function writeAtomically(file: string, text: string): Promise<void> {
  await fs.mkdir(path.dirname(file), { recursive: true, mode: 0o750 });
  const temporary = `${file}.${process.pid}.tmp`;
  await fs.writeFile(temporary, text, { mode: 0o640 });
  await fs.rename(temporary, file);
}

/** Removes the directory; only ever one the LM named (`lm-…` directly under the working directory). */
export async function removeInstanceDirectory(workingDir: string, dir: string): Promise<void> {
  const root = path.resolve(workingDir);
  const target = path.resolve(dir);
  if (path.dirname(target) !== root || !path.basename(target).startsWith('lm-')) {
    throw new Error(`refusing to delete ${target}: not an instance directory under ${root}`);
  }
  await fs.rm(target, { recursive: true, force: true });
  await fs.rm(sealFileOf(target), { force: true });
}
