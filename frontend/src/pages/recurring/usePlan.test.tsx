// @vitest-environment happy-dom
import { act } from "react";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";

import { setSession } from "../../session";
import { PLAN, flush, gateway, json, renderHook, unmountAll } from "../../testkit";
import type { RecurringPlan } from "../../types";
import { CARD_POLL_MS, CARD_WAIT_MS, cardChanged, useCardChange } from "./useCardChange";
import { usePlan, type PlanState } from "./usePlan";

const CONFLICT = json(409, { title: "Conflict", status: 409, detail: "A canceled plan cannot be paused." });

function signIn() {
  setSession({ access: "A", refresh: "R", user: { id: 7, email: "d@example.org", name: "D", role: "donor", created_at: "" } });
}

async function run(state: { current: PlanState }, action: Parameters<PlanState["run"]>[0]) {
  let ok = false;
  await act(async () => {
    ok = await state.current.run(action);
  });
  return ok;
}

beforeEach(() => {
  globalThis.IS_REACT_ACT_ENVIRONMENT = true;
  vi.useFakeTimers();
  setSession(null);
});

afterEach(() => {
  unmountAll();
  vi.useRealTimers();
  vi.unstubAllGlobals();
});

describe("usePlan", () => {
  it("reads a guest's plan with the manage token, never the donor's token", async () => {
    signIn();
    const calls = gateway({ "GET /api/recurring/4": [json(200, PLAN)] });
    const state = renderHook(() => usePlan(4, "m t"));
    await flush();
    expect(state.current.plan?.id).toBe(4);
    expect(calls[0]!.url).toBe("/api/recurring/4?manage_token=m+t");
    expect(calls[0]!.headers.Authorization).toBeUndefined();
  });

  it("reads a plan being set up again until its first payment's outcome arrives", async () => {
    signIn();
    const settingUp = { ...PLAN, status: "incomplete" } as RecurringPlan;
    const calls = gateway({
      "GET /api/recurring/4": [json(200, settingUp), json(200, settingUp), json(200, PLAN)],
    });
    const state = renderHook(() => usePlan(4, null));
    await flush();
    expect(state.current.plan?.status).toBe("incomplete");
    for (let second = 0; second < 3; second++) {
      await act(async () => {
        await vi.advanceTimersByTimeAsync(1000);
      });
    }
    expect(state.current.plan?.status).toBe(PLAN.status);
    const reads = calls.length;
    await act(async () => {
      await vi.advanceTimersByTimeAsync(5000);
    });
    expect(calls).toHaveLength(reads); // an active plan is not read again
  });

  it("reads a signed-in donor's plan with their token, and asks nothing of a stranger", async () => {
    const calls = gateway({ "GET /api/recurring/4": [json(200, PLAN)] });
    renderHook(() => usePlan(4, null));
    await flush();
    expect(calls).toHaveLength(0);
    act(signIn);
    renderHook(() => usePlan(4, null));
    await flush();
    expect(calls[0]!.url).toBe("/api/recurring/4");
    expect(calls[0]!.headers.Authorization).toBe("Bearer A");
  });

  it("pauses until a date, resumes, changes the amount and cancels, each with the token", async () => {
    const calls = gateway({
      "GET /api/recurring/4": [json(200, PLAN)],
      "POST /api/recurring/4/pause": [json(200, { ...PLAN, status: "paused", paused_until: "2027-02-01T00:00:00Z" })],
      "POST /api/recurring/4/resume": [json(200, PLAN)],
      "PATCH /api/recurring/4": [json(200, { ...PLAN, amount: 3000 })],
      "POST /api/recurring/4/cancel": [json(200, { ...PLAN, status: "canceled", cancel_reason: "donor" })],
    });
    const state = renderHook(() => usePlan(4, "mt"));
    await flush();
    expect(await run(state, { type: "pause", until: "2027-02-01" })).toBe(true);
    expect(state.current.plan?.status).toBe("paused");
    expect(state.current.done).toMatch(/^Paused until /);
    await run(state, { type: "resume" });
    expect(state.current.done).toMatch(/^Resumed. The next charge is on /);
    await run(state, { type: "amount", amount: 3000 });
    expect(state.current.done).toBe("Changed: from the next installment on, you give $30.00 a month.");
    await run(state, { type: "cancel" });
    expect(state.current.plan?.status).toBe("canceled");
    expect(calls.slice(1).map((call) => [call.method, call.url, call.body])).toEqual([
      ["POST", "/api/recurring/4/pause?manage_token=mt", { until: "2027-02-01T00:00:00Z" }],
      ["POST", "/api/recurring/4/resume?manage_token=mt", {}],
      ["PATCH", "/api/recurring/4?manage_token=mt", { amount: 3000 }],
      ["POST", "/api/recurring/4/cancel?manage_token=mt", {}],
    ]);
  });

  it("shows a 409 plainly and keeps the plan as it was; one action at a time", async () => {
    const calls = gateway({ "GET /api/recurring/4": [json(200, PLAN)], "POST /api/recurring/4/pause": [CONFLICT] });
    const state = renderHook(() => usePlan(4, "mt"));
    await flush();
    let second = true;
    await act(async () => {
      const first = state.current.run({ type: "pause", until: null });
      second = await state.current.run({ type: "pause", until: null });
      await first;
    });
    expect(second).toBe(false);
    expect(calls.filter((call) => call.method === "POST")).toHaveLength(1);
    expect(calls[1]!.body).toEqual({});
    expect(state.current.actionFailure).toMatchObject({ status: 409, detail: "A canceled plan cannot be paused." });
    expect(state.current.plan?.status).toBe("active");
    expect(state.current.done).toBe("");
  });
});

describe("useCardChange", () => {
  function renderChange(plan: RecurringPlan, onPlan = vi.fn()) {
    return { change: renderHook(() => useCardChange(plan, "mt", onPlan)), onPlan };
  }

  it("makes a SetupIntent, then reads the plan until the platform has the new card", async () => {
    const newer = { ...PLAN, card_brand: "mastercard", card_last4: "4444", updated_at: "2026-12-16T10:00:00Z" };
    const calls = gateway({
      "POST /api/recurring/4/payment-method": [json(200, { client_secret: "seti_1_secret_x", publishable_key: "pk_test_1" })],
      "GET /api/recurring/4": [json(200, PLAN), json(200, newer)],
    });
    const { change, onPlan } = renderChange(PLAN as unknown as RecurringPlan);
    await act(async () => change.current.start());
    expect(change.current).toMatchObject({ phase: "form", setup: { client_secret: "seti_1_secret_x" } });
    expect(calls[0]!.url).toBe("/api/recurring/4/payment-method?manage_token=mt");

    act(() => change.current.saved({ error: { type: "card_error", message: "Your card was declined." } }));
    expect(change.current).toMatchObject({ phase: "form", cardError: "Your card was declined." });

    act(() => change.current.saved({ setupIntent: { id: "seti_1", status: "succeeded" } }));
    expect(change.current).toMatchObject({ phase: "waiting", cardError: "" });
    await flush();
    expect(change.current.phase).toBe("waiting"); // the same card still
    await flush(CARD_POLL_MS);
    expect(change.current.phase).toBe("done");
    expect(onPlan).toHaveBeenCalledWith(newer);
    expect(calls.filter((call) => call.method === "GET")).toHaveLength(2);
  });

  it("says so when the platform is slow to report the card", async () => {
    gateway({
      "POST /api/recurring/4/payment-method": [json(200, { client_secret: "seti_1_secret_x", publishable_key: "pk_test_1" })],
      "GET /api/recurring/4": [json(200, PLAN)],
    });
    const { change } = renderChange(PLAN as unknown as RecurringPlan);
    await act(async () => change.current.start());
    act(() => change.current.saved({ setupIntent: { id: "seti_1", status: "succeeded" } }));
    await flush(CARD_WAIT_MS + CARD_POLL_MS * 2);
    expect(change.current.phase).toBe("slow");
  });

  it("shows a refused SetupIntent and can close the form", async () => {
    gateway({ "POST /api/recurring/4/payment-method": [CONFLICT] });
    const { change } = renderChange(PLAN as unknown as RecurringPlan);
    await act(async () => change.current.start());
    expect(change.current).toMatchObject({ phase: "idle", failure: { status: 409 } });
    act(() => change.current.close());
    expect(change.current.failure).toBeNull();
  });

  it("asks for the challenge before the SetupIntent, then sends the token", async () => {
    const challenge = json(403, { type: "/problems/challenge-required", title: "Challenge required", status: 403 });
    const setup = json(200, { client_secret: "seti_1_secret", publishable_key: "pk_test_1" });
    const calls = gateway({ "POST /api/recurring/4/payment-method": [challenge, setup] });
    const { change } = renderChange(PLAN as unknown as RecurringPlan);
    await act(async () => change.current.start());
    expect(change.current).toMatchObject({ phase: "challenge", failure: null, challenge: { shown: true } });
    await act(async () => change.current.start("tok-1"));
    expect(change.current).toMatchObject({ phase: "form", challenge: { shown: false } });
    expect(calls.map((call) => call.body)).toEqual([{}, { challenge_token: "tok-1" }]);
  });

  it("knows the same card saved again by the plan's update", () => {
    const before = { card_brand: "visa", card_last4: "4242", updated_at: "a" };
    expect(cardChanged(before, { ...before })).toBe(false);
    expect(cardChanged(before, { ...before, updated_at: "b" })).toBe(true);
    expect(cardChanged(before, { ...before, card_last4: "0005" })).toBe(true);
  });
});
