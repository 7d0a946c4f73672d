/**
 * Parses a compose file's YAML the way compose reads it, keeping a way back to source lines so that every problem
 * can say where it is. Compose v1 reads YAML 1.1 (PyYAML) and the docker CLI's older loader does too: `yes`, `on`,
 * `y` are booleans, `0777` is octal, `22:22` is a sexagesimal number, and merge keys (`<<: *anchor`) are resolved.
 * The policy is checked on that reading, so a spelling cannot mean one thing to the LM and another to compose.
 * What a reader could take two ways (duplicate keys, custom tags, sets, timestamps, boolean or collection keys) is
 * refused rather than guessed.
 */
import { isAlias, isMap, isNode, isPair, isScalar, isSeq, LineCounter, parseDocument, visit, type Document, type Tags } from 'yaml';
import { problemAt, type ComposeProblem } from './compose-problem';

/** Path through the document, e.g. `['services', 'web', 'volumes', 0]`. */
export type YamlPath = ReadonlyArray<string | number>;

export interface ParsedCompose {
  /** The document as plain values (JSON types only); `undefined` when the YAML did not parse. */
  value: unknown;
  /** The 1-based line of the node at `path`, or of its nearest located ancestor. */
  lineOf(path: YamlPath): number | undefined;
  problems: ComposeProblem[];
}

/** Aliases beyond this many expansions are refused ("billion laughs"). */
const MAX_ALIAS_COUNT = 100;
/** Tags every YAML 1.1 reader resolves the same way; anything else (`!reset`, `!!python/…`) is refused. */
const PLAIN_TAGS = [
  'tag:yaml.org,2002:str',
  'tag:yaml.org,2002:int',
  'tag:yaml.org,2002:float',
  'tag:yaml.org,2002:bool',
  'tag:yaml.org,2002:null',
  'tag:yaml.org,2002:map',
  'tag:yaml.org,2002:seq',
  'tag:yaml.org,2002:merge',
];

/**
 * YAML 1.1 floats need a digit: the `yaml` package reads a lone `.` (as in `build: .`) as NaN, while PyYAML and
 * the docker CLI read the string ".". Every other YAML 1.1 resolution is kept.
 */
const FLOAT_WITH_A_DIGIT = /^[-+]?(?:[0-9][0-9_]*\.[0-9_]*|\.[0-9_]*[0-9][0-9_]*)$/;
const composeTags = (tags: Tags): Tags =>
  tags.map((tag) => (typeof tag === 'object' && 'test' in tag && tag.test?.test('.') ? { ...tag, test: FLOAT_WITH_A_DIGIT } : tag));

/** Offset of the key at `path` (so a block value is reported on its key's line), or of the item in a list. */
function rangeStart(doc: Document, path: YamlPath): number | undefined {
  if (path.length === 0) return isNode(doc.contents) ? doc.contents.range?.[0] : undefined;
  const parent: unknown = path.length === 1 ? doc.contents : doc.getIn(path.slice(0, -1), true);
  const last = path[path.length - 1];
  if (isMap(parent)) {
    // A key is found by its value or, for one YAML 1.1 reads as a boolean (`y:`), by its spelling.
    const pair = parent.items.find((item) => isScalar(item.key) && (String(item.key.value) === String(last) || item.key.source === last));
    return isNode(pair?.key) ? pair.key.range?.[0] : undefined;
  }
  if (isSeq(parent) && typeof last === 'number') {
    const item: unknown = parent.items[last];
    return isNode(item) ? item.range?.[0] : undefined;
  }
  return undefined;
}

function lineAt(lineCounter: LineCounter, offset: number | undefined): number | undefined {
  return offset === undefined ? undefined : lineCounter.linePos(offset).line;
}

/** The document path of `node`, from the visitor's chain of its ancestors. */
function pathOf(ancestors: readonly unknown[], node: unknown): YamlPath {
  const chain = [...ancestors, node];
  const path: Array<string | number> = [];
  chain.forEach((step, i) => {
    if (isPair(step) && isScalar(step.key) && step.key !== node) path.push(step.key.source ?? String(step.key.value));
    else if (isSeq(step)) path.push(step.items.indexOf(chain[i + 1] as never));
  });
  return path;
}

/** Keys and tags a YAML 1.1 reader could take another way than the LM: each refused, where it is. */
function ambiguities(doc: Document, lineOf: (path: YamlPath) => number | undefined): ComposeProblem[] {
  const problems: ComposeProblem[] = [];
  visit(doc, {
    Pair(_key, pair, ancestors) {
      if (!isPair(pair) || pair.key === null) return;
      const key = pair.key;
      if (isScalar(key) && key.value === '<<') return;
      const at = pathOf([...ancestors, pair], pair.value);
      if (isAlias(key) || !isScalar(key)) {
        problems.push(
          problemAt(
            at,
            'a mapping key that is not a plain scalar (an alias or a collection) cannot be read the same by every compose: write the key as text',
            lineOf,
            'yaml',
          ),
        );
      } else if (typeof key.value === 'boolean' || key.value === null) {
        const spelled = String(key.source ?? key.value);
        problems.push(
          problemAt(
            at,
            `compose reads the key "${spelled}" as a YAML 1.1 ${key.value === null ? 'null' : 'boolean'}: quote it`,
            lineOf,
            'yaml',
          ),
        );
      }
    },
    Node(_key, node, ancestors) {
      const tag = isNode(node) ? node.tag : undefined;
      if (tag === undefined || PLAIN_TAGS.includes(tag)) return;
      // A custom tag is not quoted: the document may not be a compose file at all.
      const which = tag.startsWith('tag:yaml.org,2002:') ? `the tag !!${tag.slice('tag:yaml.org,2002:'.length)}` : 'a custom tag';
      problems.push(
        problemAt(
          pathOf(ancestors, node),
          `${which} is not plain YAML (sets, ordered maps, binary, timestamps and custom tags are refused): write plain values`,
          lineOf,
          'yaml',
        ),
      );
    },
  });
  return problems;
}

/** The first value that is not plain JSON (a set, a date, a buffer, an ordered map), with its path. */
function nonPlainValue(value: unknown, at: Array<string | number> = []): { at: Array<string | number>; what: string } | null {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return null;
  if (typeof value === 'number') return Number.isFinite(value) ? null : { at, what: 'an infinite or NaN number' };
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i += 1) {
      const found = nonPlainValue(value[i], [...at, i]);
      if (found) return found;
    }
    return null;
  }
  if (typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    for (const [key, item] of Object.entries(value)) {
      const found = nonPlainValue(item, [...at, key]);
      if (found) return found;
    }
    return null;
  }
  if (value instanceof Date) return { at, what: 'a YAML 1.1 timestamp' };
  return { at, what: `a ${typeof value === 'object' ? (value.constructor?.name ?? 'object') : typeof value}` };
}

export function parseComposeYaml(text: string): ParsedCompose {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, {
    version: '1.1',
    customTags: composeTags,
    lineCounter,
    merge: true,
    uniqueKeys: true,
    prettyErrors: true,
  });
  const lineOf = (path: YamlPath): number | undefined => {
    for (let depth = path.length; depth >= 0; depth -= 1) {
      const offset = rangeStart(doc, path.slice(0, depth));
      if (offset !== undefined) return lineAt(lineCounter, offset);
    }
    return undefined;
  };
  const invalid = (problems: ComposeProblem[]): ParsedCompose => ({ value: undefined, lineOf, problems });
  if (doc.errors.length > 0) {
    return invalid(
      doc.errors.map((error): ComposeProblem => ({
        kind: 'yaml',
        line: error.linePos?.[0].line,
        // The parser's code, not its message: messages quote the text, which may not be a compose file at all.
        message: `invalid YAML (${error.code.toLowerCase().replace(/_/g, ' ')}): fix the file at the line given`,
      })),
    );
  }
  const ambiguous = ambiguities(doc, lineOf);
  if (ambiguous.length > 0) return invalid(ambiguous);
  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    return invalid([{ kind: 'yaml', message: `invalid YAML: ${message}` }]);
  }
  const odd = nonPlainValue(value);
  if (odd !== null) {
    return invalid([
      problemAt(
        odd.at,
        `${odd.what} is not a plain YAML value (string, number, boolean, list or mapping): write it plainly`,
        lineOf,
        'yaml',
      ),
    ]);
  }
  return { value, lineOf, problems: [] };
}
