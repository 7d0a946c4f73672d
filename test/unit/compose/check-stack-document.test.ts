/** What a swarm stack needs beyond a valid compose file, and the override that creates it at 0 replicas. */
import { parse } from 'yaml';
import { inspectComposeDocument } from '../../../activities/runtime/compose/check-compose-document';
import type { ComposeModel } from '../../../activities/runtime/compose/check-compose-structure';
import { checkComposeStackDocument } from '../../../activities/runtime/compose-swarm/check-compose-stack-document';
import { checkStackDocument } from '../../../activities/runtime/compose-swarm/check-stack-document';
import { DECLARED_REPLICAS_LABEL, stackOverride } from '../../../activities/runtime/compose-swarm/stack-override';

function stackProblems(text: string) {
  const checked = inspectComposeDocument(text, { allowPrivileged: false, instanceDir: '/w/lm-1', project: 'lm-1' });
  expect(checked.model).not.toBeNull();
  return checkStackDocument(checked.model as ComposeModel, checked.parsed.lineOf);
}

test('a replicated service with an image is a valid stack', () => {
  expect(stackProblems('services:\n  web:\n    image: a\n    deploy:\n      replicas: 2\n')).toEqual([]);
});

test('a stack cannot build: a service needs an image', () => {
  expect(stackProblems('services:\n  web:\n    build: ./app\n')).toEqual([
    expect.objectContaining({ service: 'web', key: 'image', line: 2 }),
  ]);
});

test('global and job modes are refused: stop scales to 0', () => {
  const [problem] = stackProblems('services:\n  web:\n    image: a\n    deploy:\n      mode: global\n');
  expect(problem).toMatchObject({ service: 'web', key: 'deploy.mode', line: 5 });
  expect(problem.message).toMatch(/use replicated/);
});

test('replicas must be a whole number', () => {
  expect(stackProblems('services:\n  web:\n    image: a\n    deploy:\n      replicas: "two"\n')[0]).toMatchObject({
    key: 'deploy.replicas',
    line: 5,
  });
});

test('the submit-time check of a stack file reports compose, policy and stack problems together', () => {
  const text = 'services:\n  web:\n    build: .\n    pid: host\n';
  const problems = checkComposeStackDocument(text, { allowPrivileged: false, instanceDir: '/w/lm-1', project: 'lm-1' });
  expect(problems.map((p) => `${p.kind}:${p.key}:${p.line}`).sort()).toEqual(['policy:build:3', 'policy:pid:4', 'structure:image:2']);
  expect(checkComposeStackDocument('services: [', { allowPrivileged: true, instanceDir: '/w/lm-1', project: 'lm-1' })[0].kind).toBe('yaml');
});

test('the override creates every service at 0 replicas and remembers the declared ones', () => {
  const checked = inspectComposeDocument(
    'version: "3.8"\nservices:\n  web:\n    image: a\n    deploy:\n      replicas: 3\n  db:\n    image: b\n',
    {
      allowPrivileged: false,
      instanceDir: '/w/lm-1',
      project: 'lm-1',
    },
  );
  const override = parse(stackOverride(checked.model as ComposeModel, { 'lm.service-instance': 'u' })) as {
    version: string;
    services: Record<string, { labels: Record<string, string>; deploy: { replicas: number; labels: Record<string, string> } }>;
  };
  expect(override.version).toBe('3.8');
  expect(override.services.web.deploy).toEqual({ replicas: 0, labels: { 'lm.service-instance': 'u', [DECLARED_REPLICAS_LABEL]: '3' } });
  expect(override.services.db.deploy.labels[DECLARED_REPLICAS_LABEL]).toBe('1');
  expect(override.services.db.labels).toEqual({ 'lm.service-instance': 'u' });
});
