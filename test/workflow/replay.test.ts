/**
 * Replays recorded histories (test/histories/*.json) against today's workflow code: a change that would
 * break instances already running fails here (use `patched()` for such changes, or record anew on purpose).
 */
import fs from 'node:fs';
import path from 'node:path';
import { Worker } from '@temporalio/worker';
import { workflowBundle } from '../support/lm-harness';

const DIR = path.resolve(__dirname, '..', 'histories');
const files = fs.readdirSync(DIR).filter((file) => file.endsWith('.json'));

test('there are recorded histories to replay', () => {
  expect(files.length).toBeGreaterThanOrEqual(3);
});

test.each(files)('%s replays deterministically', async (file) => {
  const history = JSON.parse(fs.readFileSync(path.join(DIR, file), 'utf8'));
  // A history without activities would replay trivially: make sure this one exercised the workflow.
  const scheduled = (history.events as Array<{ eventType: string }>).filter((e) => e.eventType === 'EVENT_TYPE_ACTIVITY_TASK_SCHEDULED');
  expect(scheduled.length).toBeGreaterThan(0);
  await Worker.runReplayHistory({ workflowBundle: await workflowBundle() }, history, `replay-${file}`);
});
