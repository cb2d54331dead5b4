// @vitest-environment happy-dom
import { act } from "react";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";

import type { StripeInstance } from "../../stripe";
import { PLAN, flush, gateway, json, offline, renderHook, unmountAll } from "../../testkit";
import { AUTH_POLL_MS, useInstallmentAuth } from "./useInstallmentAuth";

const PAST_DUE = { ...PLAN, status: "past_due", failed_attempts: 1, pending_authentication: { pledge_id: 19 } };
const ROUTE = "POST /api/recurring/4/installments/19/authenticate";
const PLEDGE = {
  id: 20, campaign_id: 3, user_id: null, donor_name: "Ada", anonymous: false, amount: 2500, currency: "usd",
  status: "PENDING", refunded_amount: 0, plan_id: 4, created_at: "", updated_at: "", receipt_token: "rt-20",
};

function payment(status: string, fields: Record<string, unknown> = {}) {
  return {
    id: 52, pledge_id: 20, campaign_id: 3, amount: 2500, currency: "usd", status, provider_payment_id: "pi_5",
    failure_reason: null, refunded_amount: 0, card_brand: null, card_last4: null, created_at: "", updated_at: "",
    ...fields,
  };
}

const STARTED = { pledge: PLEDGE, payment: payment("PROCESSING", { client_secret: "pi_5_secret_x", publishable_key: "pk_test_1" }) };
const CHALLENGE = json(403, { type: "/problems/challenge-required", title: "Challenge required", status: 403 });

function fakeStripe(status: string, nextAction: Awaited<ReturnType<StripeInstance["handleNextAction"]>>) {
  const stripe = {
    retrievePaymentIntent: vi.fn(async () => ({ paymentIntent: { id: "pi_5", status } })),
    handleNextAction: vi.fn(async () => nextAction),
  };
  return { stripe, stripeFor: vi.fn(async () => stripe as unknown as StripeInstance) };
}

const SUCCEEDED = { paymentIntent: { id: "pi_5", status: "requires_capture" } };

function render(stripeFor: (key: string) => Promise<StripeInstance>, pledgeId = 19, manageToken: string | null = "mt") {
  return renderHook(() => useInstallmentAuth(4, pledgeId, manageToken, stripeFor));
}

beforeEach(() => {
  globalThis.IS_REACT_ACT_ENVIRONMENT = true;
  vi.useFakeTimers();
});

afterEach(() => {
  unmountAll();
  vi.useRealTimers();
  vi.unstubAllGlobals();
});

describe("useInstallmentAuth", () => {
  it("makes a new attempt, completes the bank's check, then polls the new payment until captured", async () => {
    const calls = gateway({
      "GET /api/recurring/4": [json(200, PAST_DUE), json(200, { ...PLAN, pending_authentication: null })],
      [ROUTE]: [json(201, STARTED)],
      "GET /api/payments/52": [json(200, payment("PROCESSING")), json(200, payment("CAPTURED"))],
    });
    const { stripe, stripeFor } = fakeStripe("requires_action", SUCCEEDED);
    const auth = render(stripeFor);
    await flush();
    expect(auth.current.phase).toBe("ready");
    expect(calls[0]!.url).toBe("/api/recurring/4?manage_token=mt");

    await act(async () => auth.current.authenticate());
    const post = calls[1]!;
    expect(post.url).toBe("/api/recurring/4/installments/19/authenticate?manage_token=mt");
    expect(post.body).toEqual({});
    expect(post.headers["Idempotency-Key"]).toMatch(/^[0-9a-f-]{36}$/);
    expect(post.headers.Authorization).toBeUndefined();
    expect(stripeFor).toHaveBeenCalledWith("pk_test_1");
    expect(stripe.handleNextAction).toHaveBeenCalledWith({ clientSecret: "pi_5_secret_x" });
    expect(auth.current.phase).toBe("waiting");
    await flush();
    expect(auth.current.phase).toBe("waiting");
    await flush(AUTH_POLL_MS);
    expect(auth.current).toMatchObject({ phase: "captured", payment: { status: "CAPTURED" } });
    expect(calls.filter((call) => call.url.startsWith("/api/payments/52"))[0]!.url).toBe("/api/payments/52?receipt_token=rt-20");
    expect(auth.current.plan?.status).toBe("active"); // read again once the payment is final
  });

  it("shows a failed check, and the platform's FAILED", async () => {
    gateway({
      "GET /api/recurring/4": [json(200, PAST_DUE)],
      [ROUTE]: [json(201, STARTED)],
      "GET /api/payments/52": [json(200, payment("FAILED", { failure_reason: "payment_intent_authentication_failure" }))],
    });
    const failed = { error: { type: "invalid_request_error", code: "payment_intent_authentication_failure" } };
    const { stripeFor } = fakeStripe("requires_action", failed);
    const auth = render(stripeFor);
    await flush();
    await act(async () => auth.current.authenticate());
    expect(auth.current.cardError).toContain("3-D Secure");
    await flush();
    expect(auth.current).toMatchObject({ phase: "failed", payment: { failure_reason: "payment_intent_authentication_failure" } });
  });

  it("asks for the card in the Payment Element when the intent wants a payment method", async () => {
    gateway({ "GET /api/recurring/4": [json(200, PAST_DUE)], [ROUTE]: [json(201, STARTED)], "GET /api/payments/52": [json(200, payment("PROCESSING"))] });
    const { stripe, stripeFor } = fakeStripe("requires_payment_method", SUCCEEDED);
    const auth = render(stripeFor);
    await flush();
    await act(async () => auth.current.authenticate());
    expect(auth.current.phase).toBe("card");
    expect(stripe.handleNextAction).not.toHaveBeenCalled();
    act(() => auth.current.confirmed({ error: { type: "api_connection_error", message: "Offline." } }));
    expect(auth.current).toMatchObject({ phase: "card", cardError: "Offline." });
    act(() => auth.current.confirmed(SUCCEEDED));
    expect(auth.current.phase).toBe("waiting");
    await flush();
  });

  it("asks for the challenge, sends the token with the same key, and resets on a refused token", async () => {
    const calls = gateway({
      "GET /api/recurring/4": [json(200, PAST_DUE)],
      [ROUTE]: [CHALLENGE, CHALLENGE, json(201, STARTED)],
      "GET /api/payments/52": [json(200, payment("PROCESSING"))],
    });
    const { stripeFor } = fakeStripe("requires_action", SUCCEEDED);
    const auth = render(stripeFor);
    await flush();
    await act(async () => auth.current.authenticate());
    expect(auth.current).toMatchObject({ phase: "challenge", challenge: { shown: true, refused: 0 } });
    await act(async () => auth.current.authenticate("tok-1"));
    expect(auth.current).toMatchObject({ phase: "challenge", challenge: { shown: true, refused: 1 } });
    await act(async () => auth.current.authenticate("tok-2"));
    expect(auth.current).toMatchObject({ phase: "waiting", challenge: { shown: false } });
    const posts = calls.filter((call) => call.method === "POST");
    expect(posts.map((call) => call.body)).toEqual([{}, { challenge_token: "tok-1" }, { challenge_token: "tok-2" }]);
    expect(new Set(posts.map((call) => call.headers["Idempotency-Key"])).size).toBe(1);
    await flush();
  });

  it("keeps the key when the answer is lost, and shows the plan when the payment no longer waits (409)", async () => {
    const calls = gateway({
      "GET /api/recurring/4": [json(200, PAST_DUE), json(200, { ...PLAN, pending_authentication: null })],
      [ROUTE]: [offline(), json(409, { title: "Conflict", status: 409, detail: "This installment is no longer pending." })],
    });
    const { stripeFor } = fakeStripe("requires_action", SUCCEEDED);
    const auth = render(stripeFor);
    await flush();
    await act(async () => auth.current.authenticate());
    expect(auth.current).toMatchObject({ phase: "ready", failure: { status: 0 } });
    await act(async () => auth.current.authenticate());
    expect(auth.current).toMatchObject({ phase: "gone", plan: { status: "active" } });
    const posts = calls.filter((call) => call.method === "POST");
    expect(posts[1]!.headers["Idempotency-Key"]).toBe(posts[0]!.headers["Idempotency-Key"]);
    expect(stripeFor).not.toHaveBeenCalled();
  });

  it("has nothing to do when no payment waits, or another installment's does", async () => {
    gateway({ "GET /api/recurring/4": [json(200, { ...PLAN, pending_authentication: null })] });
    const { stripeFor } = fakeStripe("requires_action", SUCCEEDED);
    const none = render(stripeFor);
    await flush();
    expect(none.current.phase).toBe("nothing");
    vi.unstubAllGlobals();
    const calls = gateway({ "GET /api/recurring/4": [json(200, PAST_DUE)] });
    const other = render(stripeFor, 18);
    await flush();
    expect(other.current.phase).toBe("nothing");
    await act(async () => other.current.authenticate());
    expect(calls.filter((call) => call.method === "POST")).toHaveLength(0);
  });

  it("uses the donor's own token without a manage token, and explains a wrong link", async () => {
    const calls = gateway({ "GET /api/recurring/4": [json(404, { title: "Not Found", status: 404, detail: "No plan with this id." })] });
    const { stripeFor } = fakeStripe("requires_action", SUCCEEDED);
    const auth = render(stripeFor, 19, null);
    await flush();
    expect(calls[0]!.url).toBe("/api/recurring/4");
    expect(auth.current).toMatchObject({ phase: "loading", failure: { status: 404 } });
  });
});
