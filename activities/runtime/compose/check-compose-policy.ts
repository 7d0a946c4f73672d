/**
 * The compose policy: the file is walked against the reviewed allow-list (compose-allow-list.ts), service by
 * service and section by section, and every refusal names its service, key and line. What the file reaches on
 * the agent's disk is returned too, for the agent to resolve there (symbolic links included) before each `up`.
 */
import type { ComposeModel } from './check-compose-structure';
import { SERVICE_RULES, TOP_LEVEL_RULES } from './compose-allow-list';
import { problemAt, type ComposeProblem } from './compose-problem';
import { isMapping } from './compose-values';
import { checkHostPathText, mapping, type HostPathUse, type PolicyPath, type PolicyScope, type RuleContext } from './policy-rules';
import type { YamlPath } from './parse-compose-yaml';

export interface PolicyContext {
  instanceDir: string;
  /** The compose project (stack) name the file is deployed as. */
  project: string;
  lineOf(path: YamlPath): number | undefined;
}

export interface PolicyResult {
  problems: ComposeProblem[];
  /** Host paths that passed the text check. */
  hostPaths: HostPathUse[];
}

function namesOf(section: unknown): Set<string> {
  return new Set(isMapping(section) ? Object.keys(section) : []);
}

export function checkComposePolicy(model: ComposeModel, ctx: PolicyContext): PolicyResult {
  const problems: ComposeProblem[] = [];
  const hostPaths: HostPathUse[] = [];
  const scope: PolicyScope = {
    instanceDir: ctx.instanceDir,
    project: ctx.project,
    services: new Set(Object.keys(model.services)),
    declared: {
      volumes: namesOf(model.root.volumes),
      networks: namesOf(model.root.networks),
      secrets: namesOf(model.root.secrets),
      configs: namesOf(model.root.configs),
    },
  };
  const rules: RuleContext = {
    ...scope,
    refuse: (at, message) => problems.push(problemAt(at, message, ctx.lineOf)),
    hostPath: (at: PolicyPath, value: unknown, what: string) => {
      const path = checkHostPathText(value, at, rules, what);
      if (path !== undefined) hostPaths.push({ at, path, what });
    },
  };
  const service = mapping(SERVICE_RULES, 'service');
  for (const [name, body] of Object.entries(model.services)) service(body, ['services', name], rules);
  for (const [section, rule] of Object.entries(TOP_LEVEL_RULES)) {
    if (model.root[section] !== undefined) rule(model.root[section], [section], rules);
  }
  return { problems, hostPaths };
}
