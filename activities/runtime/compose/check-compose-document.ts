/**
 * Everything that can be known about a compose file without Docker: YAML, structure, policy. Pure, so the API
 * can refuse a bad file at submit time (400) and the agent re-checks it before deploying.
 */
import { checkComposePolicy } from './check-compose-policy';
import { checkComposeStructure, type ComposeModel } from './check-compose-structure';
import type { ComposeProblem } from './compose-problem';
import { parseComposeYaml, type ParsedCompose } from './parse-compose-yaml';

export interface ComposeCheckOptions {
  /** LM_ALLOW_PRIVILEGED: lifts the policy (never the YAML and structure checks). */
  allowPrivileged: boolean;
  /** The instance's own directory: host paths must stay under it. */
  instanceDir: string;
}

export interface CheckedCompose {
  parsed: ParsedCompose;
  /** Null when the file is not a usable compose file. */
  model: ComposeModel | null;
  problems: ComposeProblem[];
}

export function inspectComposeDocument(text: string, options: ComposeCheckOptions): CheckedCompose {
  const parsed = parseComposeYaml(text);
  if (parsed.problems.length > 0) return { parsed, model: null, problems: parsed.problems };
  const { model, problems } = checkComposeStructure(parsed);
  if (model === null || options.allowPrivileged) return { parsed, model, problems };
  return { parsed, model, problems: [...problems, ...checkComposePolicy(model, { instanceDir: options.instanceDir, lineOf: parsed.lineOf })] };
}

/** The problems of a compose file; empty when it may be deployed. */
export function checkComposeDocument(text: string, options: ComposeCheckOptions): ComposeProblem[] {
  return inspectComposeDocument(text, options).problems;
}
