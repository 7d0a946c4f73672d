/** `npm run build` ships the product only: no tests, fakes or benchmarks in dist/, but every entry point. */
import fs from 'node:fs';
import path from 'node:path';
import { PROJECT_ROOT } from '../support/temporal-binary';

const dist = path.join(PROJECT_ROOT, 'dist');

test('dist/ holds the product and nothing of test/ or bench/', () => {
  expect(fs.existsSync(dist)).toBe(true);
  const top = fs.readdirSync(dist).sort();
  expect(top).not.toContain('test');
  expect(top).not.toContain('bench');
  for (const entry of ['api/main.js', 'worker/main.js', 'workflow-bundle.js']) {
    expect(fs.existsSync(path.join(dist, entry))).toBe(true);
  }
});
