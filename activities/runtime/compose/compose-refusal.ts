/** The one message a refused compose file produces: every problem, and how the policy can be lifted. */
import { formatProblems, type ComposeProblem } from './compose-problem';
import { displayUrl } from './fetch-compose-file';

export function composeRefusal(url: string, problems: ComposeProblem[]): string {
  const policy = problems.some((p) => p.kind === 'policy')
    ? ' (refused by the compose policy of this agent; an agent started with LM_ALLOW_PRIVILEGED=true allows them)'
    : '';
  return `compose file ${displayUrl(url)} cannot be deployed: ${formatProblems(problems)}${policy}`;
}
