/** The original's port rule, against a set of taken ports. */
import { choosePorts } from '../../activities/runtime/docker/port-rule';

const takenFrom = (ports: number[]) => (port: number) => ports.includes(port);

describe('choosePorts', () => {
  test('a port below 10000 is remapped to the first free port from 20001', () => {
    expect(choosePorts([80], takenFrom([]))).toEqual([{ container: 80, host: 20001 }]);
  });

  test('a port from 10000 up is kept when free', () => {
    expect(choosePorts([10000, 46100], takenFrom([]))).toEqual([
      { container: 10000, host: 10000 },
      { container: 46100, host: 46100 },
    ]);
  });

  test('a taken high port is remapped too', () => {
    expect(choosePorts([10080], takenFrom([10080]))).toEqual([{ container: 10080, host: 20001 }]);
  });

  test('taken ports from 20001 up are skipped', () => {
    expect(choosePorts([80, 443], takenFrom([20001, 20002, 20004]))).toEqual([
      { container: 80, host: 20003 },
      { container: 443, host: 20005 },
    ]);
  });

  test('two ports of one call never get the same host port', () => {
    const mappings = choosePorts([80, 80, 20001], takenFrom([]));
    expect(new Set(mappings.map((m) => m.host)).size).toBe(3);
    expect(mappings).toEqual([
      { container: 80, host: 20001 },
      { container: 80, host: 20002 },
      { container: 20001, host: 20003 },
    ]);
  });

  test('running out of ports is an error, not a wrong mapping', () => {
    expect(() => choosePorts([80], (port) => port >= 20001)).toThrow(/no free host port/);
  });
});
