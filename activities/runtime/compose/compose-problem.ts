/** One reason a compose file cannot be deployed, located as precisely as the YAML parser allows. */

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
