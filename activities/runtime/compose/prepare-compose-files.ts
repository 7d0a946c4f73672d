/**
 * Deploy's first half, shared by docker-compose and docker-compose-swarm: the compose file in the instance's own
 * directory, fetched once (a retried deploy re-checks the copy it already has), checked, the LM override beside
 * it, and both sealed (compose-file-seal.ts). Nothing is written for a file that fails the checks.
 */
import { FailureType } from '../../../workflows/model/failures';
import { failure } from '../../failures';
import type { ComposeModel } from './check-compose-structure';
import { checkHostPathsOnDisk, inspectComposeDocument } from './check-compose-document';
import { sealComposeFiles } from './compose-file-seal';
import type { ComposeProblem } from './compose-problem';
import { composeRefusal } from './compose-refusal';
import { fetchComposeFile, type ComposeFetchLimits } from './fetch-compose-file';
import { composeFilesIn, readIfPresent, writeAtomically, type ComposeFiles } from './instance-directory';

export interface PrepareComposeOptions {
  workingDir: string;
  allowPrivileged: boolean;
  fetchLimits: ComposeFetchLimits;
  /** Problems only this runtime has with the file (a swarm stack cannot build images, …). */
  runtimeChecks?: (model: ComposeModel, lineOf: (path: ReadonlyArray<string | number>) => number | undefined) => ComposeProblem[];
  /** The override file's text for this model. */
  override: (model: ComposeModel) => string;
}

export interface PreparedCompose {
  files: ComposeFiles;
  model: ComposeModel;
}

async function composeText(url: string, files: ComposeFiles, limits: ComposeFetchLimits): Promise<{ text: string; fetched: boolean }> {
  const existing = await readIfPresent(files.composeFile);
  if (existing !== null) return { text: existing, fetched: false };
  const result = await fetchComposeFile(url, limits);
  if (!result.ok) throw failure(result.retryable ? FailureType.PeerUnavailable : FailureType.InvalidSpec, result.message);
  return { text: result.text, fetched: true };
}

export async function prepareComposeFiles(url: string, project: string, options: PrepareComposeOptions): Promise<PreparedCompose> {
  const files = composeFilesIn(options.workingDir, project);
  const { text, fetched } = await composeText(url, files, options.fetchLimits);
  const checked = inspectComposeDocument(text, { allowPrivileged: options.allowPrivileged, instanceDir: files.dir, project });
  const problems = [...checked.problems, ...(await checkHostPathsOnDisk(checked, files.dir))];
  if (checked.model !== null && options.runtimeChecks) problems.push(...options.runtimeChecks(checked.model, checked.parsed.lineOf));
  if (problems.length > 0 || checked.model === null) throw failure(FailureType.InvalidSpec, composeRefusal(url, problems));
  if (fetched) await writeAtomically(files.composeFile, text);
  const override = options.override(checked.model);
  await writeAtomically(files.overrideFile, override);
  // No container of the instance has run yet: what is sealed here is what was checked.
  await sealComposeFiles(files, text, override);
  return { files, model: checked.model };
}
