/** How long an expired instance waits before it tries an incomplete terminate again. */
import { expiryRetryDelayMs } from '../../workflows/incomplete-terminate';

test('doubles from the first wait', () => {
  expect([1, 2, 3, 4].map((attempt) => expiryRetryDelayMs(300_000, attempt))).toEqual([300_000, 600_000, 1_200_000, 2_400_000]);
});

test('never waits more than an hour, unless the first wait is already longer', () => {
  expect(expiryRetryDelayMs(300_000, 5)).toBe(3_600_000);
  expect(expiryRetryDelayMs(300_000, 60)).toBe(3_600_000);
  expect(expiryRetryDelayMs(7_200_000, 1)).toBe(7_200_000);
  expect(expiryRetryDelayMs(7_200_000, 3)).toBe(7_200_000);
});
