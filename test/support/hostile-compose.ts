/**
 * The hostile-compose corpus (test/fixtures/hostile-compose/*.yml): one file per policy rule and spelling, and
 * near-misses that must pass. Each file's header says the rule, the verdict (`refused` or `allowed`) and, for a
 * refused one, what the refusal must name (`# names: service "web", privileged (line 7)`).
 */
import fs from 'node:fs';
import path from 'node:path';

export const HOSTILE_COMPOSE_DIR = path.join(__dirname, '..', 'fixtures', 'hostile-compose');

export interface CorpusFile {
  name: string;
  text: string;
  rule: string;
  verdict: 'refused' | 'allowed';
  /** Substrings the refusal message must contain. */
  names: string[];
}

function header(text: string, field: string): string[] {
  return [...text.matchAll(new RegExp(`^# ${field}: (.*)$`, 'gm'))].map((m) => m[1].trim());
}

export function hostileComposeCorpus(): CorpusFile[] {
  return fs
    .readdirSync(HOSTILE_COMPOSE_DIR)
    .filter((name) => name.endsWith('.yml'))
    .sort()
    .map((name) => {
      const text = fs.readFileSync(path.join(HOSTILE_COMPOSE_DIR, name), 'utf8');
      const [rule] = header(text, 'rule');
      const [verdict] = header(text, 'verdict');
      if (rule === undefined || (verdict !== 'refused' && verdict !== 'allowed')) {
        throw new Error(`${name}: the header needs "# rule: …" and "# verdict: refused|allowed"`);
      }
      const names = header(text, 'names');
      if (verdict === 'refused' && names.length === 0) throw new Error(`${name}: a refused file needs "# names: …"`);
      return { name, text, rule, verdict, names };
    });
}

export const refusedFiles = (): CorpusFile[] => hostileComposeCorpus().filter((f) => f.verdict === 'refused');
export const allowedFiles = (): CorpusFile[] => hostileComposeCorpus().filter((f) => f.verdict === 'allowed');
