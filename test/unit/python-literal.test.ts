import { toPythonLiteral } from '../../common/python-literal';

describe('toPythonLiteral', () => {
  it('prints an agent dict exactly as Python repr() does (checked against CPython 3)', () => {
    const agent = {
      url: '10.0.0.2',
      ports: [20001],
      allow: true,
      master_compss: false,
      compss_app_id: null,
      n: 0.5,
      q: "it's",
      both: 'a\'b"c',
      nl: 'a\nb\\c',
      u: 'é\u00a0\u2028',
      tiny: 1e-5,
      small: 0.0001,
      big: 1.5e300,
    };
    expect(toPythonLiteral(agent)).toBe(
      `{'url': '10.0.0.2', 'ports': [20001], 'allow': True, 'master_compss': False, 'compss_app_id': None, 'n': 0.5, ` +
        `'q': "it's", 'both': 'a\\'b"c', 'nl': 'a\\nb\\\\c', 'u': 'é\\xa0\\u2028', 'tiny': 1e-05, 'small': 0.0001, 'big': 1.5e+300}`,
    );
  });

  it('prints floats with Python float repr and integral numbers as ints', () => {
    expect(toPythonLiteral([0.1, 123.456, -2.5e-7, 3, -0, 46100, 1e22])).toBe('[0.1, 123.456, -2.5e-07, 3, 0, 46100, 1e+22]');
  });

  it('prints empty containers, nesting and undefined like None-free JSON', () => {
    expect(toPythonLiteral({ a: {}, b: [], c: [{ d: undefined, e: 'x' }] })).toBe("{'a': {}, 'b': [], 'c': [{'e': 'x'}]}");
    expect(toPythonLiteral(undefined)).toBe('None');
  });

  it('escapes control characters as \\x escapes', () => {
    expect(toPythonLiteral('\u0001\u007f\t')).toBe("'\\x01\\x7f\\t'");
  });
});
