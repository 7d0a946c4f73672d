/** Everything that can be known about a docker-compose-swarm file without Docker: the compose checks plus the stack's. */
import { inspectComposeDocument, type ComposeCheckOptions } from '../compose/check-compose-document';
import type { ComposeProblem } from '../compose/compose-problem';
import { checkStackDocument } from './check-stack-document';

export function checkComposeStackDocument(text: string, options: ComposeCheckOptions): ComposeProblem[] {
  const checked = inspectComposeDocument(text, options);
  if (checked.model === null) return checked.problems;
  return [...checked.problems, ...checkStackDocument(checked.model, checked.parsed.lineOf)];
}
