/**
 * Everything that can be known about a compose file without running compose: YAML (read as YAML 1.1, as compose
 * reads it), structure, policy. Pure, so the API can refuse a bad file at submit time (400); the agent checks it
 * again, resolves its host paths on its own disk, and checks what compose itself makes of the file.
 */
import { checkComposePolicy } from './check-compose-policy';
import { checkComposeStructure, type ComposeModel } from './check-compose-structure';
import { problemAt, type ComposeProblem } from './compose-problem';
import { parseComposeYaml, type ParsedCompose } from './parse-compose-yaml';
import { physicalEscape } from './path-inside';
import type { HostPathUse } from './policy-rules';

export interface ComposeCheckOptions {
  /** LM_ALLOW_PRIVILEGED: lifts the policy (never the YAML and structure checks). */
  allowPrivileged: boolean;
  /** The instance's own directory: host paths must stay under it. */
  instanceDir: string;
  /** The compose project (or stack) name the file is deployed as: `lm-<uuid>`. */
  project: string;
}

export interface CheckedCompose {
  parsed: ParsedCompose;
  /** Null when the file is not a usable compose file. */
  model: ComposeModel | null;
  problems: ComposeProblem[];
  /** Host paths the file reaches (none when the policy is lifted). */
  hostPaths: HostPathUse[];
}

export function inspectComposeDocument(text: string, options: ComposeCheckOptions): CheckedCompose {
  const parsed = parseComposeYaml(text);
  if (parsed.problems.length > 0) return { parsed, model: null, problems: parsed.problems, hostPaths: [] };
  const { model, problems } = checkComposeStructure(parsed);
  if (model === null || options.allowPrivileged) return { parsed, model, problems, hostPaths: [] };
  const policy = checkComposePolicy(model, { instanceDir: options.instanceDir, project: options.project, lineOf: parsed.lineOf });
  return { parsed, model, problems: [...problems, ...policy.problems], hostPaths: policy.hostPaths };
}

/** The problems of a compose file; empty when it may be deployed. */
export function checkComposeDocument(text: string, options: ComposeCheckOptions): ComposeProblem[] {
  return inspectComposeDocument(text, options).problems;
}

/**
 * The host paths of a checked file resolved on this disk: a symbolic link under the instance directory (which a
 * container may have planted) must not lead outside it.
 */
export async function checkHostPathsOnDisk(checked: CheckedCompose, instanceDir: string): Promise<ComposeProblem[]> {
  const problems: ComposeProblem[] = [];
  for (const use of checked.hostPaths) {
    const escape = await physicalEscape(instanceDir, use.path);
    if (escape !== null) {
      problems.push(
        problemAt(
          use.at,
          `${use.what} "${use.path}" leads to ${escape} through a symbolic link, outside the instance directory`,
          checked.parsed.lineOf,
        ),
      );
    }
  }
  return problems;
}
