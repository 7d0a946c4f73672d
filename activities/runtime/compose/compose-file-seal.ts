/**
 * The seal on an instance's compose files: their digests, recorded at deploy beside (not inside) the instance
 * directory, where no container of the instance can reach, since every host path it may mount is under that
 * directory. Containers may mount the directory itself (`.:/project`), so before compose runs the files again
 * the LM checks they are still the files it checked, still plain files, and that no symbolic link planted under
 * the directory leads a bind mount outside it.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import { FailureType } from '../../../workflows/model/failures';
import { failure } from '../../failures';
import { checkHostPathsOnDisk, inspectComposeDocument } from './check-compose-document';
import { formatProblems } from './compose-problem';
import { writeAtomically, type ComposeFiles } from './instance-directory';

interface Seal {
  composeFile: string;
  overrideFile: string;
}

const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');

/** Records the digests of the files deploy checked and wrote. */
export async function sealComposeFiles(files: ComposeFiles, composeText: string, overrideText: string): Promise<void> {
  const seal: Seal = { composeFile: sha256(composeText), overrideFile: sha256(overrideText) };
  await writeAtomically(files.sealFile, `${JSON.stringify(seal)}\n`);
}

async function readSeal(file: string): Promise<Seal | null> {
  try {
    const value: unknown = JSON.parse(await fs.readFile(file, 'utf8'));
    const seal = value as Partial<Seal>;
    return typeof seal.composeFile === 'string' && typeof seal.overrideFile === 'string'
      ? { composeFile: seal.composeFile, overrideFile: seal.overrideFile }
      : null;
  } catch {
    return null;
  }
}

/** A regular file's text; null for anything else (a symbolic link, a directory, nothing). */
async function plainFileText(file: string): Promise<string | null> {
  try {
    if (!(await fs.lstat(file)).isFile()) return null;
    return await fs.readFile(file, 'utf8');
  } catch {
    return null;
  }
}

export interface SealCheckOptions {
  allowPrivileged: boolean;
  project: string;
  /** Who runs the files, for the message: e.g. `agent http://…`. */
  agent: string;
}

/**
 * Why compose must not run these files again, or null when they are still the sealed ones and their host paths
 * stay inside the instance directory on disk.
 */
export async function sealBroken(files: ComposeFiles, options: SealCheckOptions): Promise<string | null> {
  const seal = await readSeal(files.sealFile);
  if (seal === null) return `the digest recorded at deploy (${files.sealFile}) is missing or unreadable`;
  let composeText = '';
  for (const which of ['composeFile', 'overrideFile'] as const) {
    const text = await plainFileText(files[which]);
    if (text === null) return `${files[which]} is no longer a regular file (a symbolic link or something else was put in its place)`;
    if (sha256(text) !== seal[which])
      return `${files[which]} changed since deploy (its sha256 is not the one recorded then): a container of the instance that mounts the instance directory may have rewritten it`;
    if (which === 'composeFile') composeText = text;
  }
  if (options.allowPrivileged) return null;
  const checked = inspectComposeDocument(composeText, { allowPrivileged: false, instanceDir: files.dir, project: options.project });
  const problems = [...checked.problems, ...(await checkHostPathsOnDisk(checked, files.dir))];
  return problems.length === 0 ? null : formatProblems(problems);
}

/** Refuses, for good, to let compose run files whose seal is broken; `step` is what was about to run. */
export async function assertComposeFilesSealed(files: ComposeFiles, step: string, options: SealCheckOptions): Promise<void> {
  const broken = await sealBroken(files, options);
  if (broken === null) return;
  throw failure(
    FailureType.InvalidSpec,
    `compose policy: ${step} of project ${options.project} on ${options.agent} refused, the compose files are not the ones checked at deploy: ${broken}. Nothing was run; terminate the instance (its containers are removed by label) and submit it again`,
  );
}
