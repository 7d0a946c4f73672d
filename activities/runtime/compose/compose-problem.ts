/** One reason a compose file cannot be deployed, located as precisely as the YAML parser allows. */
import { keyOf } from './compose-values';

export type ComposeProblemKind = 'yaml' | 'structure' | 'policy';

export interface ComposeProblem {
  /** `policy` problems are lifted by LM_ALLOW_PRIVILEGED=true; the others never are. */
  kind: ComposeProblemKind;
  /** The service the problem is in; absent for file-level problems. */
  service?: string;
  /** The compose key at fault, e.g. `privileged` or `volumes[0]`. */
  key?: string;
  /** 1-based line in the compose file, when the parser located it. */
  line?: number;
  /** What is wrong and how to fix it. */
  message: string;
}

/** `service "web", privileged (line 4): …` — the form every problem takes in messages and the timeline. */
export function formatProblem(problem: ComposeProblem): string {
  const where = [
    problem.service === undefined ? null : `service "${problem.service}"`,
    problem.key === undefined ? null : problem.key,
  ].filter((part): part is string => part !== null);
  const line = problem.line === undefined ? '' : ` (line ${problem.line})`;
  const prefix = where.length > 0 || line !== '' ? `${where.join(', ')}${line}: ` : '';
  return `${prefix}${problem.message}`;
}

export function formatProblems(problems: ComposeProblem[]): string {
  return problems.map(formatProblem).join('; ');
}

/** `['services', 'web', 'volumes', 0]` → service web, key `volumes[0]`; a top-level path is its own key. */
export function problemAt(
  at: ReadonlyArray<string | number>,
  message: string,
  lineOf: (path: ReadonlyArray<string | number>) => number | undefined,
  kind: ComposeProblemKind = 'policy',
): ComposeProblem {
  const inService = at[0] === 'services' && at.length >= 2;
  const key = inService ? keyOf(at.slice(2)) : keyOf(at);
  return { kind, message, line: lineOf(at), ...(inService ? { service: String(at[1]) } : {}), ...(key === '' ? {} : { key }) };
}
