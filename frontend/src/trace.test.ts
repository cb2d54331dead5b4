import { afterEach, expect, it, vi } from "vitest";

import { newTrace, traceparent } from "./trace";

afterEach(() => vi.restoreAllMocks());

it("draws random 16-byte trace ids and 8-byte parent ids", () => {
  const traces = new Set(Array.from({ length: 100 }, () => newTrace().traceId));
  expect(traces.size).toBe(100);
  const trace = newTrace();
  const parents = new Set(Array.from({ length: 100 }, () => traceparent(trace)));
  expect(parents.size).toBe(100);
  for (const value of parents) {
    expect(value).toMatch(new RegExp(`^00-${trace.traceId}-[0-9a-f]{16}-01$`));
  }
});

it("uses crypto.getRandomValues, and never an all-zero id", () => {
  const real = crypto.getRandomValues.bind(crypto);
  let draws = 0;
  // The first draw is all zeros, which a trace id must never be: it is drawn again.
  const spy = vi
    .spyOn(crypto, "getRandomValues")
    .mockImplementation((array: ArrayBufferView) => (++draws === 1 ? array : real(array as Uint8Array)));
  const { traceId } = newTrace();
  expect(spy).toHaveBeenCalledTimes(2);
  expect(traceId).toMatch(/^[0-9a-f]{32}$/);
  expect(traceId).not.toBe("0".repeat(32));
});
