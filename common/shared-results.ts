/**
 * Shares the result of an asynchronous read between callers that ask for the same thing together or within
 * `ttlMs` of each other, so many readers of one value cost one call. A failed read is not kept: the next caller
 * tries again.
 */
export function sharedResults<A extends unknown[], T>(
  ttlMs: number,
  load: (...args: A) => Promise<T>,
  keyOf: (...args: A) => string,
): (...args: A) => Promise<T> {
  const entries = new Map<string, { value: Promise<T>; at: number }>();
  return (...args) => {
    const key = keyOf(...args);
    const cached = entries.get(key);
    if (cached && Date.now() - cached.at < ttlMs) return cached.value;
    const entry = { value: load(...args), at: Date.now() };
    entries.set(key, entry);
    const forget = () => {
      if (entries.get(key) === entry) entries.delete(key);
    };
    entry.value.then(() => setTimeout(forget, ttlMs).unref(), forget);
    return entry.value;
  };
}
