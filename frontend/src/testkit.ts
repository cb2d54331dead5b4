// Helpers of the unit tests (imported by *.test.ts(x) only, never by the site): a fake gateway
// behind ``fetch``, and rendering a hook with react-dom in happy-dom.

import { act, createElement } from "react";
import { createRoot, type Root } from "react-dom/client";
import { expect, vi } from "vitest";

declare global {
  var IS_REACT_ACT_ENVIRONMENT: boolean | undefined;
}

export type Answer = Response | Error;

export interface Call {
  method: string;
  url: string;
  headers: Record<string, string>;
  body: unknown;
}

export function json(status: number, body: unknown): Response {
  const type = status >= 400 ? "application/problem+json" : "application/json";
  return new Response(JSON.stringify(body), { status, headers: { "Content-Type": type } });
}

export const offline = () => new TypeError("Failed to fetch");

/** A fake gateway: each "METHOD /path" answers from its queue (the last answer repeats). */
export function gateway(routes: Record<string, Answer[]>): Call[] {
  const calls: Call[] = [];
  const fetch = vi.fn(async (url: string, init: RequestInit) => {
    const method = init.method ?? "GET";
    calls.push({
      method,
      url,
      headers: init.headers as Record<string, string>,
      body: init.body ? JSON.parse(init.body as string) : undefined,
    });
    const key = `${method} ${url.split("?")[0]}`;
    const queue = routes[key];
    if (!queue) throw new Error(`unexpected ${key}`);
    const answer = queue.length > 1 ? queue.shift()! : queue[0]!;
    if (answer instanceof Error) throw answer;
    return answer.clone();
  });
  vi.stubGlobal("fetch", fetch);
  return calls;
}

/** The trace id of a call's ``traceparent`` (and that the header is well formed). */
export function traceId(call: Call): string {
  const match = /^00-([0-9a-f]{32})-([0-9a-f]{16})-01$/.exec(call.headers.traceparent ?? "");
  expect(match, call.headers.traceparent).not.toBeNull();
  return match![1]!;
}

const roots: Root[] = [];

/** Render ``hook``; ``result.current`` is its latest value. */
export function renderHook<T>(hook: () => T): { current: T } {
  const result = { current: null as unknown as T };
  function Probe() {
    result.current = hook();
    return null;
  }
  const root = createRoot(document.createElement("div"));
  roots.push(root);
  act(() => root.render(createElement(Probe)));
  return result;
}

/** Unmount everything renderHook rendered (afterEach). */
export function unmountAll(): void {
  for (const root of roots.splice(0)) act(() => root.unmount());
}

/** Let the pending answers and any timers due within ``ms`` run (fake timers). */
export async function flush(ms = 0): Promise<void> {
  await act(async () => {
    await vi.advanceTimersByTimeAsync(ms);
  });
}

/** Let the pending answers run (real timers). */
export async function settle(): Promise<void> {
  await act(async () => {
    for (let i = 0; i < 5; i += 1) await new Promise((resolve) => setTimeout(resolve, 0));
  });
}

export const PLAN = {
  id: 4,
  campaign_id: 3,
  user_id: null,
  donor_name: "Ada",
  anonymous: false,
  amount: 2500,
  currency: "usd",
  interval: "month",
  status: "active",
  next_charge_at: "2027-01-15T10:00:00Z",
  paused_until: null,
  card_brand: "visa",
  card_last4: "4242",
  installments_charged: 3,
  failed_attempts: 0,
  cancel_reason: null,
  created_at: "2026-10-15T10:00:00Z",
  updated_at: "2026-12-15T10:00:00Z",
} as const;
