import { CimiFilterError, matchesFilter, parseCimiFilter } from '../../fakes/cimi-filter';

const device = {
  id: 'device/1',
  deviceID: 'c3a1f0e7',
  memory: 2048,
  isLeader: false,
  acl: { owner: { principal: 'rsucasas', type: 'USER' } },
  device: { href: 'device/9' },
  created: '2019-11-05T10:00:00.000Z',
  agents: [{ device_id: 'device/a' }, { device_id: 'device/b' }],
  tags: ['x', 'y'],
};
const matches = (filter: string, doc: object = device): boolean => matchesFilter(parseCimiFilter(filter), doc);

describe('CIMI $filter', () => {
  it('accepts both quote styles, with or without spaces (the LM sends deviceID="…" unspaced)', () => {
    expect(matches('deviceID="c3a1f0e7"')).toBe(true);
    expect(matches("deviceID = 'c3a1f0e7'")).toBe(true);
    expect(matches('deviceID="other"')).toBe(false);
  });

  it('compares integers, booleans and null', () => {
    expect(matches('memory=2048')).toBe(true);
    expect(matches('memory="2048"')).toBe(false);
    expect(matches('memory>1000 and memory<=2048')).toBe(true);
    expect(matches('isLeader=false')).toBe(true);
    expect(matches('isLeader=true')).toBe(false);
    expect(matches('missing=null')).toBe(true);
    expect(matches('deviceID!=null')).toBe(true);
  });

  it('follows /-pathed attributes and fans out over arrays', () => {
    expect(matches("acl/owner/principal='rsucasas'")).toBe(true);
    expect(matches("device/href='device/9'")).toBe(true);
    expect(matches("agents/device_id='device/b'")).toBe(true);
    expect(matches("tags='y'")).toBe(true);
    expect(matches("agents/device_id='device/c'")).toBe(false);
  });

  it('!= matches documents lacking the attribute (Elasticsearch must_not)', () => {
    expect(matches('nothing!="x"')).toBe(true);
    expect(matches('deviceID!="c3a1f0e7"')).toBe(false);
  });

  it('gives and precedence over or, and honours parentheses', () => {
    expect(matches('deviceID="no" and memory=1 or isLeader=false')).toBe(true);
    expect(matches('deviceID="no" and (memory=1 or isLeader=false)')).toBe(false);
    expect(matches('(deviceID="c3a1f0e7" or deviceID="x") and (memory=2048)')).toBe(true);
  });

  it('supports prefix, unquoted dates and reversed comparisons', () => {
    expect(matches('deviceID^="c3a1"')).toBe(true);
    expect(matches('created>2019-11-01')).toBe(true);
    expect(matches('created<2019-11-05T09:00:00Z')).toBe(false);
    expect(matches('4096>memory')).toBe(true);
    expect(matches('"c3a1f0e7"=deviceID')).toBe(true);
  });

  it('keeps escaped quotes inside strings', () => {
    expect(matches('name="say \\"hi\\""', { name: 'say "hi"' })).toBe(true);
  });

  it.each([
    ['', 'empty filter'],
    ['deviceID=', 'expected an attribute or a value'],
    ['deviceID="x" and', 'expected an attribute or a value'],
    ['(deviceID="x"', "expected ')'"],
    ['deviceID="unterminated', 'unterminated string'],
    ['deviceID<true', 'needs a string, integer or date'],
    ['deviceID^=3', 'needs a quoted string'],
    ['memory=1.5', 'unexpected'],
    ['a=1 b=2', 'unexpected trailing input'],
    ['"x"="y"', 'one attribute and one value'],
  ])('rejects %j (%s)', (filter, message) => {
    expect(() => parseCimiFilter(filter)).toThrow(CimiFilterError);
    expect(() => parseCimiFilter(filter)).toThrow(message);
  });
});
