/**
 * Parses a compose file's YAML into plain values, keeping a way back to source lines so that every problem
 * can say where it is. Merge keys (`<<: *anchor`) are resolved as compose resolves them, so a policy check
 * cannot be dodged by hiding `privileged: true` behind an alias.
 */
import { isMap, isNode, isScalar, isSeq, LineCounter, parseDocument, type Document } from 'yaml';
import type { ComposeProblem } from './compose-problem';

/** Path through the document, e.g. `['services', 'web', 'volumes', 0]`. */
export type YamlPath = ReadonlyArray<string | number>;

export interface ParsedCompose {
  /** The document as plain values; `undefined` when the YAML did not parse. */
  value: unknown;
  /** The 1-based line of the node at `path`, or of its nearest located ancestor. */
  lineOf(path: YamlPath): number | undefined;
  problems: ComposeProblem[];
}

/** Aliases beyond this many expansions are refused ("billion laughs"). */
const MAX_ALIAS_COUNT = 100;

/** Offset of the key at `path` (so a block value is reported on its key's line), or of the item in a list. */
function rangeStart(doc: Document, path: YamlPath): number | undefined {
  if (path.length === 0) return isNode(doc.contents) ? doc.contents.range?.[0] : undefined;
  const parent: unknown = path.length === 1 ? doc.contents : doc.getIn(path.slice(0, -1), true);
  const last = path[path.length - 1];
  if (isMap(parent)) {
    const pair = parent.items.find((item) => (isScalar(item.key) ? item.key.value : item.key) === last);
    return isNode(pair?.key) ? pair.key.range?.[0] : undefined;
  }
  if (isSeq(parent) && typeof last === 'number') {
    const item: unknown = parent.items[last];
    return isNode(item) ? item.range?.[0] : undefined;
  }
  return undefined;
}

export function parseComposeYaml(text: string): ParsedCompose {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, merge: true, uniqueKeys: true, prettyErrors: true });
  const lineOf = (path: YamlPath): number | undefined => {
    for (let depth = path.length; depth >= 0; depth -= 1) {
      const offset = rangeStart(doc, path.slice(0, depth));
      if (offset !== undefined) return lineCounter.linePos(offset).line;
    }
    return undefined;
  };
  if (doc.errors.length > 0) {
    const problems = doc.errors.map((error): ComposeProblem => ({
      kind: 'yaml',
      line: error.linePos?.[0].line,
      message: `invalid YAML: ${error.message.split('\n')[0]}`,
    }));
    return { value: undefined, lineOf, problems };
  }
  try {
    return { value: doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT }), lineOf, problems: [] };
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    return { value: undefined, lineOf, problems: [{ kind: 'yaml', message: `invalid YAML: ${message}` }] };
  }
}
