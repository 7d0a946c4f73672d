/**
 * `parameters` is a raw XML fragment pasted inside `<parameters>`. It must be balanced, so it cannot close
 * that element and inject resources or another instance id into the request (the original's bug D7).
 */

const TOKEN = /<(\/?)([A-Za-z_][\w.:-]*)[^<>]*?(\/?)>|<[!?]/g;

/** Null when the fragment is safe to embed, else what is wrong with it. */
export function parametersProblem(fragment: string): string | null {
  const open: string[] = [];
  for (const match of fragment.matchAll(TOKEN)) {
    const [whole, closing, name, selfClosing] = match;
    if (whole === '<!' || whole === '<?') return 'parameters must not contain processing instructions, comments or DOCTYPE';
    if (selfClosing) continue;
    if (!closing) {
      open.push(name);
      continue;
    }
    const expected = open.pop();
    if (expected !== name) return `parameters is not balanced XML: </${name}> closes ${expected ? `<${expected}>` : 'nothing'}`;
  }
  if (open.length > 0) return `parameters is not balanced XML: <${open[open.length - 1]}> is never closed`;
  const stray = fragment.replace(TOKEN, '').match(/[<>]/);
  if (stray) return 'parameters has a stray "<" or ">" outside of a tag';
  return null;
}
