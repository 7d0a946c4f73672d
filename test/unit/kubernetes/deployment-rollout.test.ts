/** How start, stop and observe read a Deployment's status and its pods. */
import type { V1Deployment, V1Pod } from '@kubernetes/client-node';
import { isScaledDown, kubernetesObservedStatus, rolloutVerdict } from '../../../activities/runtime/kubernetes/deployment-rollout';

function deployment(replicas: number, generation: number, status: V1Deployment['status'] = {}): V1Deployment {
  return { metadata: { name: 'd', generation }, spec: { replicas, selector: {}, template: {} }, status };
}

function pod(waiting: { reason: string; message?: string }, exitCode?: number): V1Pod {
  return {
    metadata: { name: 'd-abc-1' },
    status: {
      containerStatuses: [
        {
          name: 'workload',
          image: 'x',
          imageID: '',
          ready: false,
          restartCount: 1,
          state: { waiting },
          ...(exitCode === undefined ? {} : { lastState: { terminated: { exitCode } } }),
        },
      ],
    },
  };
}

test('ready only once the controller has seen the latest spec', () => {
  const stale = deployment(2, 3, { observedGeneration: 2, readyReplicas: 2, availableReplicas: 2 });
  expect(rolloutVerdict(stale, [], 2)).toEqual({ kind: 'waiting', detail: '0/2 ready' });
  const fresh = deployment(2, 3, { observedGeneration: 3, readyReplicas: 2, availableReplicas: 2 });
  expect(rolloutVerdict(fresh, [], 2)).toEqual({ kind: 'ready' });
});

test('ready but not yet available is still waiting', () => {
  expect(rolloutVerdict(deployment(1, 2, { observedGeneration: 2, readyReplicas: 1 }), [], 1).kind).toBe('waiting');
});

test.each([
  ['ImagePullBackOff', 'image'],
  ['InvalidImageName', 'image'],
  ['CrashLoopBackOff', 'crash'],
  ['CreateContainerConfigError', 'config'],
])('a pod stuck in %s fails the start (%s)', (reason, kind) => {
  const verdict = rolloutVerdict(deployment(1, 2, { observedGeneration: 2 }), [pod({ reason, message: 'why' })], 1);
  expect(verdict).toEqual({ kind: 'failed', problem: { kind, message: `pod d-abc-1: ${reason}: why` } });
});

test('a crash loop says the exit code', () => {
  const verdict = rolloutVerdict(deployment(1, 2), [pod({ reason: 'CrashLoopBackOff' }, 3)], 1);
  expect(verdict).toEqual({ kind: 'failed', problem: { kind: 'crash', message: 'pod d-abc-1: CrashLoopBackOff (exit code 3)' } });
});

test('a transient pull error or a container being created keeps waiting, and says so', () => {
  const verdict = rolloutVerdict(deployment(1, 2), [pod({ reason: 'ErrImagePull' })], 1);
  expect(verdict).toEqual({ kind: 'waiting', detail: '0/1 ready; pod d-abc-1: ErrImagePull' });
});

test('the controller giving up (quota, deadline) fails the start with its message', () => {
  const refused = deployment(1, 2, {
    observedGeneration: 2,
    conditions: [{ type: 'ReplicaFailure', status: 'True', reason: 'FailedCreate', message: 'pods "d-1" is forbidden: exceeded quota' }],
  });
  expect(rolloutVerdict(refused, [], 1)).toEqual({
    kind: 'failed',
    problem: { kind: 'refused', message: 'FailedCreate: pods "d-1" is forbidden: exceeded quota' },
  });
  const stalled = deployment(1, 2, {
    conditions: [
      { type: 'Progressing', status: 'False', reason: 'ProgressDeadlineExceeded', message: 'ReplicaSet "d" has timed out progressing.' },
    ],
  });
  expect(rolloutVerdict(stalled, [], 1)).toEqual({
    kind: 'failed',
    problem: { kind: 'stalled', message: 'ReplicaSet "d" has timed out progressing.' },
  });
});

test('scaled down: 0 asked, seen, and no pod left', () => {
  expect(isScaledDown(deployment(0, 3, { observedGeneration: 3 }))).toBe(true);
  expect(isScaledDown(deployment(0, 3, { observedGeneration: 2 }))).toBe(false);
  expect(isScaledDown(deployment(0, 3, { observedGeneration: 3, replicas: 1 }))).toBe(false);
});

test.each([
  ['created, never started', 'waiting', deployment(0, 1)],
  ['scaled to 0', 'stopped', deployment(0, 3, { observedGeneration: 3 })],
  ['all pods ready', 'started', deployment(2, 2, { observedGeneration: 2, readyReplicas: 2 })],
  ['short of ready pods', 'unknown', deployment(2, 2, { observedGeneration: 2, readyReplicas: 1 })],
  ['refused by the cluster', 'error', deployment(1, 2, { conditions: [{ type: 'ReplicaFailure', status: 'True' }] })],
] as const)('observed: %s → %s', (_what, expected, d) => {
  expect(kubernetesObservedStatus(d)).toBe(expected);
});

test('observed with its pods: a crash loop or a lost image is an error, pods still being created are not', () => {
  const short = deployment(1, 2, { observedGeneration: 2 });
  expect(kubernetesObservedStatus(short, [pod({ reason: 'CrashLoopBackOff' }, 1)])).toBe('error');
  expect(kubernetesObservedStatus(short, [pod({ reason: 'ImagePullBackOff' })])).toBe('error');
  expect(kubernetesObservedStatus(short, [pod({ reason: 'ContainerCreating' })])).toBe('unknown');
  expect(
    kubernetesObservedStatus(deployment(1, 2, { observedGeneration: 2, readyReplicas: 1 }), [pod({ reason: 'CrashLoopBackOff' })]),
  ).toBe('started');
});
