// @vitest-environment happy-dom
import { act } from "react";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";

import { setSession } from "../../session";
import { PLAN, flush, gateway, json, offline, renderHook, traceId, unmountAll } from "../../testkit";
import { IDLE, PAYMENT_POLL_MS, advance, type GiftInput } from "./attempt";
import { useDonationAttempt, type DonationAttempt } from "./useDonationAttempt";

const MONTHLY: GiftInput = {
  campaign_id: 3,
  amount: 2500,
  currency: "usd",
  anonymous: false,
  donor_name: "Ada",
  donor_email: "ada@example.org",
  interval: "month",
};

const PLEDGE = {
  id: 11, campaign_id: 3, user_id: null, donor_name: "Ada", anonymous: false, amount: 2500, currency: "usd",
  status: "PENDING", refunded_amount: 0, plan_id: 4, created_at: "", updated_at: "", receipt_token: "rt-9",
};

function payment(status: string, fields: Record<string, unknown> = {}) {
  return {
    id: 31, pledge_id: 11, campaign_id: 3, amount: 2500, currency: "usd", status, provider_payment_id: "pi_9",
    failure_reason: null, refunded_amount: 0, card_brand: null, card_last4: null, created_at: "", updated_at: "",
    ...fields,
  };
}

const STARTED = payment("PROCESSING", { client_secret: "pi_9_secret_x", publishable_key: "pk_test_1" });

function planStart(first = STARTED) {
  return { ...PLAN, status: "incomplete", next_charge_at: null, card_brand: null, card_last4: null,
    installments_charged: 0, first_installment: { pledge: PLEDGE, payment: first }, manage_token: "mt-1" };
}

function render() {
  return renderHook(() => useDonationAttempt(null));
}

async function submit(attempt: { current: DonationAttempt }, read: () => GiftInput | null = () => MONTHLY) {
  await act(async () => {
    await attempt.current.submit(read);
  });
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

describe("useDonationAttempt, a monthly or yearly gift", () => {
  it("makes the plan with one call, then confirms its first payment and polls it, in one trace", async () => {
    const calls = gateway({
      "POST /api/recurring": [json(201, planStart())],
      "GET /api/payments/31": [json(200, payment("PROCESSING")), json(200, payment("CAPTURED", { card_brand: "visa", card_last4: "4242" }))],
    });
    const attempt = render();
    let done!: Promise<void>;
    act(() => {
      done = attempt.current.submit(() => MONTHLY);
    });
    expect(attempt.current).toMatchObject({ phase: "pledging", status: "Pending: setting up your monthly gift…", locked: true });
    await act(async () => done);
    expect(attempt.current).toMatchObject({ phase: "card", locked: true });
    expect(attempt.current.attempt).toMatchObject({ manageToken: "mt-1", receiptToken: "rt-9", plan: { id: 4 } });
    expect(attempt.current.attempt?.payment?.client_secret).toBe("pi_9_secret_x");
    expect(attempt.current.attempt?.plan).not.toHaveProperty("first_installment");

    const [create] = calls;
    expect(create!.url).toBe("/api/recurring");
    expect(create!.body).toEqual(MONTHLY);
    expect(create!.headers["Idempotency-Key"]).toBe(attempt.current.attempt?.pledgeKey);
    expect(create!.headers.Authorization).toBeUndefined();

    act(() => attempt.current.confirmed({ paymentIntent: { id: "pi_9", status: "succeeded" } }));
    expect(attempt.current.phase).toBe("waiting");
    await flush();
    await flush(PAYMENT_POLL_MS);
    expect(attempt.current).toMatchObject({ phase: "captured", status: "Paid. Thank you!" });
    expect(calls.map((call) => `${call.method} ${call.url}`)).toEqual([
      "POST /api/recurring",
      "GET /api/payments/31?receipt_token=rt-9",
      "GET /api/payments/31?receipt_token=rt-9",
    ]);
    expect(new Set(calls.map(traceId)).size).toBe(1);
  });

  it("retries a lost answer with the same key and body: one plan", async () => {
    const calls = gateway({ "POST /api/recurring": [offline(), json(201, planStart())] });
    const attempt = render();
    await submit(attempt);
    expect(attempt.current).toMatchObject({ phase: "error", locked: false });
    await submit(attempt);
    expect(attempt.current.phase).toBe("card");
    expect(calls[1]!.headers["Idempotency-Key"]).toBe(calls[0]!.headers["Idempotency-Key"]);
    expect(calls[1]!.body).toEqual(calls[0]!.body);
    expect(traceId(calls[1]!)).toBe(traceId(calls[0]!));
  });

  it("keeps the key on a 409 (the first request still running) and returns to the form on a 400", async () => {
    const busy = json(409, { title: "Conflict", status: 409, detail: "A request with this key is in progress." });
    const refused = json(400, { title: "Bad Request", status: 400, errors: [{ field: "interval", message: "Not a choice." }] });
    const calls = gateway({ "POST /api/recurring": [busy, refused] });
    const attempt = render();
    await submit(attempt);
    expect(attempt.current.phase).toBe("error");
    await submit(attempt);
    expect(attempt.current).toMatchObject({ phase: "idle", failure: { status: 400 } });
    expect(calls[1]!.headers["Idempotency-Key"]).toBe(calls[0]!.headers["Idempotency-Key"]);
  });

  it("is a new attempt when the donor changes how often", async () => {
    const calls = gateway({ "POST /api/recurring": [offline(), json(201, planStart())] });
    const attempt = render();
    await submit(attempt);
    await submit(attempt, () => ({ ...MONTHLY, interval: "year" }));
    expect(calls[1]!.body).toMatchObject({ interval: "year" });
    expect(calls[1]!.headers["Idempotency-Key"]).not.toBe(calls[0]!.headers["Idempotency-Key"]);
  });

  it("ends at once when the replayed plan's first payment is final", async () => {
    gateway({ "POST /api/recurring": [json(201, planStart(payment("FAILED", { failure_reason: "card_declined" })))] });
    const attempt = render();
    await submit(attempt);
    expect(attempt.current).toMatchObject({ phase: "failed", status: "The payment failed." });
    act(() => attempt.current.startOver());
    expect(attempt.current).toMatchObject({ phase: "idle", attempt: null });
  });

  it("sends a one-off gift to /api/pledges, never with an interval", async () => {
    const calls = gateway({ "POST /api/pledges": [offline()] });
    const attempt = render();
    const { interval: _, ...once } = MONTHLY;
    await submit(attempt, () => once);
    expect(calls[0]!.url).toBe("/api/pledges");
    expect(calls[0]!.body).not.toHaveProperty("interval");
    expect(attempt.current.status).toBe("");
  });
});

describe("the attempt's state machine, a plan", () => {
  it("takes a plan's answer only while making it", () => {
    const start = { ...planStart(), interval: "month" as const, status: "incomplete" as const, user_id: null };
    const event = { type: "planned" as const, start: start as never, now: 0 };
    expect(advance(IDLE, event)).toBe(IDLE);
    const attempt = { fingerprint: "f", input: MONTHLY, pledgeKey: "k1", paymentKey: "k2", trace: { traceId: "a".repeat(32) } };
    const started = advance(IDLE, { type: "start", attempt: attempt as never });
    expect(started.status).toBe("Pending: setting up your monthly gift…");
    const yearly = advance(IDLE, { type: "start", attempt: { ...attempt, input: { ...MONTHLY, interval: "year" } } as never });
    expect(yearly.status).toBe("Pending: setting up your yearly gift…");
    expect(advance(started, event)).toMatchObject({ phase: "card", attempt: { manageToken: "mt-1", plan: { id: 4 } } });
  });
});
