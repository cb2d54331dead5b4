// @vitest-environment happy-dom
import { act } from "react";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";

import type { StripeInstance } from "../../stripe";
import { PLAN, flush, gateway, json, renderHook, unmountAll } from "../../testkit";
import { AUTH_POLL_MS, useInstallmentAuth } from "./useInstallmentAuth";

const PENDING = { payment_id: 51, pledge_id: 19, client_secret: "pi_5_secret_x", publishable_key: "pk_test_1" };
const PAST_DUE = { ...PLAN, status: "past_due", failed_attempts: 1, pending_authentication: PENDING };

function fakeStripe(status: string, nextAction: Awaited<ReturnType<StripeInstance["handleNextAction"]>>) {
  const stripe = {
    retrievePaymentIntent: vi.fn(async () => ({ paymentIntent: { id: "pi_5", status } })),
    handleNextAction: vi.fn(async () => nextAction),
  };
  return { stripe, stripeFor: vi.fn(async () => stripe as unknown as StripeInstance) };
}

function render(stripeFor: (key: string) => Promise<StripeInstance>, pledgeId = 19) {
  return renderHook(() => useInstallmentAuth(4, pledgeId, "mt", stripeFor));
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
  it("completes the bank's check, then waits for the platform to clear it", async () => {
    const calls = gateway({
      "GET /api/recurring/4": [json(200, PAST_DUE), json(200, PAST_DUE), json(200, { ...PLAN, pending_authentication: null })],
    });
    const { stripe, stripeFor } = fakeStripe("requires_action", { paymentIntent: { id: "pi_5", status: "requires_capture" } });
    const auth = render(stripeFor);
    await flush();
    expect(auth.current).toMatchObject({ phase: "ready", pending: PENDING });
    expect(calls[0]!.url).toBe("/api/recurring/4?manage_token=mt");

    await act(async () => auth.current.authenticate());
    expect(stripeFor).toHaveBeenCalledWith("pk_test_1");
    expect(stripe.handleNextAction).toHaveBeenCalledWith({ clientSecret: "pi_5_secret_x" });
    expect(auth.current.phase).toBe("waiting");
    await flush();
    expect(auth.current.phase).toBe("waiting");
    await flush(AUTH_POLL_MS);
    expect(auth.current).toMatchObject({ phase: "done", plan: { status: "active", failed_attempts: 0 } });
  });

  it("shows a failed check and lets the donor try again", async () => {
    gateway({ "GET /api/recurring/4": [json(200, PAST_DUE)] });
    const failed = { error: { type: "invalid_request_error", code: "payment_intent_authentication_failure" } };
    const { stripeFor } = fakeStripe("requires_action", failed);
    const auth = render(stripeFor);
    await flush();
    await act(async () => auth.current.authenticate());
    expect(auth.current.phase).toBe("ready");
    expect(auth.current.cardError).toContain("3-D Secure");
  });

  it("asks for the card in the Payment Element when the intent wants a payment method", async () => {
    gateway({ "GET /api/recurring/4": [json(200, PAST_DUE)] });
    const { stripe, stripeFor } = fakeStripe("requires_payment_method", { paymentIntent: { id: "pi_5", status: "x" } });
    const auth = render(stripeFor);
    await flush();
    await act(async () => auth.current.authenticate());
    expect(auth.current.phase).toBe("card");
    expect(stripe.handleNextAction).not.toHaveBeenCalled();
    act(() => auth.current.confirmed({ error: { type: "card_error", message: "Your card was declined." } }));
    expect(auth.current).toMatchObject({ phase: "card", cardError: "Your card was declined." });
    act(() => auth.current.confirmed({ paymentIntent: { id: "pi_5", status: "requires_capture" } }));
    expect(auth.current.phase).toBe("waiting");
    await flush();
  });

  it("has nothing to do when no payment waits, or another installment's does", async () => {
    gateway({ "GET /api/recurring/4": [json(200, { ...PLAN, pending_authentication: null })] });
    const { stripeFor } = fakeStripe("requires_action", { paymentIntent: { id: "pi_5", status: "x" } });
    const none = render(stripeFor);
    await flush();
    expect(none.current.phase).toBe("nothing");
    vi.unstubAllGlobals();
    gateway({ "GET /api/recurring/4": [json(200, PAST_DUE)] });
    const other = render(stripeFor, 18);
    await flush();
    expect(other.current.phase).toBe("nothing");
    await act(async () => other.current.authenticate());
    expect(stripeFor).not.toHaveBeenCalled();
  });

  it("explains a wrong link", async () => {
    gateway({ "GET /api/recurring/4": [json(404, { title: "Not Found", status: 404, detail: "No plan with this id." })] });
    const { stripeFor } = fakeStripe("requires_action", { paymentIntent: { id: "pi_5", status: "x" } });
    const auth = render(stripeFor);
    await flush();
    expect(auth.current).toMatchObject({ phase: "loading", failure: { status: 404 } });
  });
});
