import type Docker from 'dockerode';
import { projectStatus } from '../../../activities/runtime/compose/compose-containers';

function container(State: string, Status: string): Docker.ContainerInfo {
  return { State, Status, Labels: {}, Names: ['/c'] } as unknown as Docker.ContainerInfo;
}

test.each([
  [[], null],
  [[container('running', 'Up 3 seconds'), container('running', 'Up 3 seconds (healthy)')], 'started'],
  [[container('running', 'Up 3 seconds (health: starting)')], 'started'],
  [[container('running', 'Up 3 seconds'), container('running', 'Up 9 seconds (unhealthy)')], 'error'],
  [[container('running', 'Up 3 seconds'), container('exited', 'Exited (1) 2 seconds ago')], 'error'],
  [[container('running', 'Up 3 seconds'), container('exited', 'Exited (0) 2 seconds ago')], 'started'],
  [[container('exited', 'Exited (0) 2 seconds ago'), container('exited', 'Exited (137) 1 second ago')], 'stopped'],
  [[container('created', 'Created')], 'waiting'],
])('%j adds up to %s', (containers, expected) => {
  expect(projectStatus(containers as Docker.ContainerInfo[])).toBe(expected);
});
