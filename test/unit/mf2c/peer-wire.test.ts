/** Wire details of the peer connectors: sort orders, Python literals, the CIMI document, notification keys. */
import { parsePythonLiteral, toPythonLiteral } from '../../../common/python-literal';
import { cimiInstanceDocument } from '../../../activities/peers/cimi-instance-document';
import { sortOrderOf } from '../../../activities/peers/recommender';
import { agreementPathId } from '../../../activities/peers/sla-manager';
import { remoteAgentReport } from '../../../activities/peers/remote-lm';
import { notificationKey } from '../../../api/notification-key';
import { initialState } from '../../../workflows/instance-state';
import { CIMI_AGENT_KEYS } from '../../fakes/cimi-schema';

test('category → sort_order, with category 15 fixed (the original sent "cpumemory")', () => {
  expect(sortOrderOf(0)).toEqual([]);
  expect(sortOrderOf(1)).toEqual(['cpu']);
  expect(sortOrderOf(7)).toEqual(['cpu', 'network']);
  expect(sortOrderOf(14)).toEqual(['memory', 'disk', 'network']);
  expect(sortOrderOf(15)).toEqual(['cpu', 'memory', 'disk', 'network']);
  expect(sortOrderOf(99)).toEqual([]);
});

test('Python literals: what original LMs answer is read, and what we answer reads back', () => {
  const repr =
    "{'url': '10.0.0.2', 'ports': [20001, 46100], 'status': 'waiting', 'allow': True, 'master_compss': False, 'x': None, 'q': \"it's\", 'f': 4.0}";
  expect(parsePythonLiteral(repr)).toEqual({
    url: '10.0.0.2',
    ports: [20001, 46100],
    status: 'waiting',
    allow: true,
    master_compss: false,
    x: null,
    q: "it's",
    f: 4,
  });
  const value = { a: 'x\ny', b: [1, -2, 2.5], c: { d: true, e: null }, f: "quote's \\ back" };
  expect(parsePythonLiteral(toPythonLiteral(value))).toEqual(value);
  expect(parsePythonLiteral("('a', 'b')")).toEqual(['a', 'b']);
  expect(() => parsePythonLiteral("{'a': }")).toThrow(/not a Python literal/);
  expect(() => parsePythonLiteral('__import__("os")')).toThrow(/not a Python literal/);
});

test("a remote LM's agent: a literal, a JSON object, or the original's null for swarm deploys", () => {
  expect(remoteAgentReport({ agent: "{'status': 'waiting', 'container_id': 'abc', 'ports': [20001]}" }, 'lm')).toEqual({
    status: 'waiting',
    container_id: 'abc',
    ports: [20001],
    agent_param: '-',
  });
  expect(remoteAgentReport({ agent: { status: 'started', container_id: 'abc', ports: [] } }, 'lm').status).toBe('started');
  expect(() => remoteAgentReport(null, 'lm')).toThrow(/answered no agent/);
});

test('the CIMI document holds only the service-instance schema keys (no name, error, service_name)', () => {
  const state = initialState(
    {
      uuid: '2f6d0a1e-5c8b-4d53-9b8e-1f1d1c0e4a77',
      service: {
        id: 'service/s',
        name: 'web',
        exec: 'nginx',
        exec_type: 'docker',
        exec_ports: [80],
        category: 0,
        num_agents: -1,
        agent_type: 'normal',
      },
      user: 'alice',
      slaTemplate: null,
      agents: [{ agent_ip: '10.0.0.1' }],
      device: { id: 'dev', ip: '10.0.0.1' },
      settings: { agentTimeoutMs: 1000, allOrNothing: false },
    },
    '2026-01-01T00:00:00.000Z',
  );
  state.instance.agents[0].status = 'unknown';
  const document = cimiInstanceDocument({ ...state.instance, agreement_error: 'x' });
  expect(Object.keys(document).sort()).toEqual([
    'acl',
    'agents',
    'agreement',
    'device_id',
    'device_ip',
    'parent_device_id',
    'parent_device_ip',
    'service',
    'service_type',
    'status',
    'user',
  ]);
  expect(Object.keys(document.agents[0]).sort()).toEqual(CIMI_AGENT_KEYS);
  expect(document.agents[0].status).toBe('??');
  expect(document.acl).toEqual({
    owner: { principal: 'alice', type: 'USER' },
    rules: [{ principal: 'ADMIN', type: 'ROLE', right: 'ALL' }],
  });
});

test('SLALite paths take the bare agreement id; identical notifications share a key whatever the key order', () => {
  expect(agreementPathId('agreement/0f3a')).toBe('0f3a');
  expect(notificationKey('qos_enforcement', { a: 1, b: [1, 2] })).toBe(notificationKey('qos_enforcement', { b: [1, 2], a: 1 }));
  expect(notificationKey('qos_enforcement', { a: 1 })).not.toBe(notificationKey('qos_enforcement', { a: 2 }));
  expect(notificationKey('um_warning', { a: 1 })).not.toBe(notificationKey('qos_enforcement', { a: 1 }));
});
