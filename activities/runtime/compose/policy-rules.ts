/**
 * The building blocks of the compose allow-list: a rule looks at one value of the file and refuses what it does
 * not allow, naming the path. A mapping rule refuses every key it does not list, so a key compose learns
 * tomorrow is refused until someone reviews it. Values whose meaning the policy checks must be literal: compose
 * would substitute `${VAR}` there from an environment the LM does not see at submit.
 */
import { composeBoolean, hasInterpolation, isMapping, unescapeDollars } from './compose-values';
import { hostPathProblem } from './path-inside';

export type PolicyPath = Array<string | number>;

/** What a rule knows of the whole file. */
export interface PolicyScope {
  /** The instance directory: relative host paths are compose's project directory, this one. */
  instanceDir: string;
  /** The compose project (or stack) name, which prefixes the names compose gives what the file declares. */
  project: string;
  services: ReadonlySet<string>;
  declared: Readonly<Record<'volumes' | 'networks' | 'secrets' | 'configs', ReadonlySet<string>>>;
}

/** A host path the file reaches that passed the text check; the agent resolves it on its disk too. */
export interface HostPathUse {
  at: PolicyPath;
  path: string;
  what: string;
}

export interface RuleContext extends PolicyScope {
  refuse(at: PolicyPath, message: string): void;
  /** Records a host path, refusing it when its text already leaves the instance directory. */
  hostPath(at: PolicyPath, hostPath: unknown, what: string): void;
}

export type Rule = (value: unknown, at: PolicyPath, ctx: RuleContext) => void;

export const SUBSTITUTION_REFUSED = 'uses variable substitution ($...): write the value literally so the LM can check it';

/** A scalar the policy may read: refuses (and returns undefined for) substituted strings and collections. */
export function literal(value: unknown, at: PolicyPath, ctx: RuleContext): string | number | boolean | null | undefined {
  if (typeof value === 'string') {
    if (hasInterpolation(value)) {
      ctx.refuse(at, SUBSTITUTION_REFUSED);
      return undefined;
    }
    return unescapeDollars(value);
  }
  if (value === null || typeof value === 'number' || typeof value === 'boolean') return value;
  ctx.refuse(at, 'must be a single value here, not a list or a mapping');
  return undefined;
}

/** Anything: the value stays inside the containers (environment, labels, command, healthcheck…). */
export const free: Rule = () => undefined;

/** Refused whatever its value. */
export function refused(why: string): Rule {
  return (_value, at, ctx) => ctx.refuse(at, why);
}

/** Only false (in any YAML 1.1 or compose spelling) is allowed. */
export function onlyFalse(why: string): Rule {
  return (value, at, ctx) => {
    if (isMapping(value) || Array.isArray(value)) return ctx.refuse(at, why);
    const read = literal(value, at, ctx);
    if (read !== undefined && composeBoolean(read) !== false) ctx.refuse(at, why);
  };
}

/** One of `allowed`, literally. */
export function oneOf(allowed: readonly string[], why: string): Rule {
  return (value, at, ctx) => {
    const read = literal(value, at, ctx);
    if (read !== undefined && !(typeof read === 'string' && allowed.includes(read))) {
      ctx.refuse(at, `${JSON.stringify(read)} is not allowed (${allowed.join(', ')}): ${why}`);
    }
  };
}

/** A mapping whose keys must each be listed; `x-` extensions are ignored by compose and so allowed. Null is empty. */
export function mapping(keys: Readonly<Record<string, Rule>>, what: string): Rule {
  return (value, at, ctx) => {
    if (value === null || value === undefined) return;
    if (!isMapping(value)) {
      ctx.refuse(at, `${what} must be a mapping`);
      return;
    }
    for (const [key, item] of Object.entries(value)) {
      if (key.startsWith('x-')) continue;
      const rule = Object.prototype.hasOwnProperty.call(keys, key) ? keys[key] : undefined;
      if (rule) rule(item, [...at, key], ctx);
      else ctx.refuse([...at, key], `"${key}" is not on the LM's allow-list of ${what} keys`);
    }
  };
}

/** A list, each item checked by `item`; `single` also takes one bare value as a list of one. */
export function list(item: Rule, what: string, options: { single?: boolean } = {}): Rule {
  return (value, at, ctx) => {
    if (value === null || value === undefined) return;
    if (Array.isArray(value)) value.forEach((entry, i) => item(entry, [...at, i], ctx));
    else if (options.single && !isMapping(value)) item(value, [...at, 0], ctx);
    else ctx.refuse(at, `${what} must be a list`);
  };
}

/** A mapping of names the file chooses (services, volumes, ulimits…), each checked by `entry`. */
export function named(entry: Rule, what: string): Rule {
  return (value, at, ctx) => {
    if (value === null || value === undefined) return;
    if (!isMapping(value)) ctx.refuse(at, `${what} must be a mapping of names`);
    else for (const [name, item] of Object.entries(value)) if (!name.startsWith('x-')) entry(item, [...at, name], ctx);
  };
}

/** A host path (a bind source, an env_file, a secret's file): only under the instance directory. */
export function hostPath(what: string): Rule {
  return (value, at, ctx) => ctx.hostPath(at, value, what);
}

/** The text check of a host path; returns the path compose will use, or undefined once refused. */
export function checkHostPathText(
  value: unknown,
  at: PolicyPath,
  ctx: Pick<RuleContext, 'refuse' | 'instanceDir'>,
  what: string,
): string | undefined {
  if (typeof value !== 'string') {
    ctx.refuse(at, `${what} must be a path`);
    return undefined;
  }
  if (hasInterpolation(value)) {
    ctx.refuse(at, SUBSTITUTION_REFUSED);
    return undefined;
  }
  const written = unescapeDollars(value);
  const problem = hostPathProblem(ctx.instanceDir, written);
  if (problem === null) return written;
  ctx.refuse(at, `${what} "${written}" ${problem}: only paths under ./ (the instance directory) are allowed`);
  return undefined;
}
