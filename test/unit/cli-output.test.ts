import { wantsColour } from '../../cli/output';

const pipe = { isTTY: false };
const terminal = { isTTY: true };

test('a pipe gets no colours, even on a CI machine', () => {
  expect(wantsColour({}, pipe)).toBe(false);
  expect(wantsColour({ CI: 'true' }, pipe)).toBe(false);
});

test('a terminal gets colours, unless it is dumb or NO_COLOR is set', () => {
  expect(wantsColour({}, terminal)).toBe(true);
  expect(wantsColour({ CI: 'true' }, terminal)).toBe(true);
  expect(wantsColour({ TERM: 'dumb' }, terminal)).toBe(false);
  expect(wantsColour({ NO_COLOR: '1' }, terminal)).toBe(false);
  expect(wantsColour({ NO_COLOR: '' }, terminal)).toBe(true);
});

test('FORCE_COLOR asks for colours on a pipe, and 0 or false refuses them on a terminal', () => {
  expect(wantsColour({ FORCE_COLOR: '1' }, pipe)).toBe(true);
  expect(wantsColour({ FORCE_COLOR: '0' }, terminal)).toBe(false);
  expect(wantsColour({ FORCE_COLOR: 'false' }, terminal)).toBe(false);
  expect(wantsColour({ FORCE_COLOR: '1', NO_COLOR: '1' }, pipe)).toBe(false);
});
