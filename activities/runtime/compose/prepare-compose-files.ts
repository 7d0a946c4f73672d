/**
 * Deploy's first half, shared by docker-compose and docker-compose-swarm: the compose file in the instance's own
 * directory, fetched once (a retried deploy re-checks the copy it already has), checked, and the LM override
 * beside it. Nothing is written for a file that fails the checks.
 */
import { FailureType } from '../../../workflows/model/failures';
import { failure } from '../../failures';
import type { ComposeModel } from './check-compose-structure';
import { inspectComposeDocument } from './check-compose-document';
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
  const checked = inspectComposeDocument(text, { allowPrivileged: options.allowPrivileged, instanceDir: files.dir });
  const problems = [...checked.problems];
  if (checked.model !== null && options.runtimeChecks) problems.push(...options.runtimeChecks(checked.model, checked.parsed.lineOf));
  if (problems.length > 0 || checked.model === null) throw failure(FailureType.InvalidSpec, composeRefusal(url, problems));
  if (fetched) await writeAtomically(files.composeFile, text);
  await writeAtomically(files.overrideFile, options.override(checked.model));
  return { files, model: checked.model };
}
