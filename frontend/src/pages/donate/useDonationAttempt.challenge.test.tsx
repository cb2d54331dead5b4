// @vitest-environment happy-dom
import { act } from "react";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";

import { ApiError } from "../../api";
import { waitText } from "../../challenge";
import { setSession } from "../../session";
import { PLAN, flush, gateway, json, renderHook, unmountAll } from "../../testkit";
import { IDLE, advance, type GiftInput } from "./attempt";
import { useDonationAttempt, type DonationAttempt } from "./useDonationAttempt";

const INPUT: GiftInput = {
  campaign_id: 3, amount: 1234, currency: "usd", anonymous: false, donor_name: "Ada", donor_email: "ada@example.org",
};
const PLEDGE = {
  id: 11, campaign_id: 3, user_id: null, donor_name: "Ada", anonymous: false, amount: 1234, currency: "usd",
  status: "PENDING", refunded_amount: 0, created_at: "", updated_at: "", receipt_token: "rt-1",
};
const STARTED = {
  id: 21, pledge_id: 11, campaign_id: 3, amount: 1234, currency: "usd", status: "PROCESSING", provider_payment_id: "pi_1",
  failure_reason: null, refunded_amount: 0, card_brand: null, card_last4: null, created_at: "", updated_at: "",
  client_secret: "pi_1_secret_x", publishable_key: "pk_test_1",
};
const CHALLENGE = json(403, {
  type: "https://careforall.example/problems/challenge-required", title: "Challenge required", status: 403,
  detail: "Please complete the security check.",
});

function tooMany(retryAfter: string) {
  const body = { type: "about:blank", title: "Too Many Requests", status: 429, detail: "Too many payment attempts." };
  return new Response(JSON.stringify(body), {
    status: 429, headers: { "Content-Type": "application/problem+json", "Retry-After": retryAfter },
  });
}

function render() {
  return renderHook(() => useDonationAttempt(null));
}

async function submit(attempt: { current: DonationAttempt }, input: GiftInput = INPUT) {
  await act(async () => attempt.current.submit(() => input));
}

async function solve(attempt: { current: DonationAttempt }, token: string) {
  await act(async () => attempt.current.solved(token));
  await flush();
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

describe("the card-testing challenge", () => {
  it("shows the widget on a 403, then sends the same payment with the same key and the token", async () => {
    const calls = gateway({
      "POST /api/pledges": [json(201, PLEDGE)],
      "POST /api/payments": [CHALLENGE, json(201, STARTED)],
    });
    const attempt = render();
    await submit(attempt);
    expect(attempt.current).toMatchObject({ phase: "challenge", challenge: true, busy: false, locked: true, failure: null });
    expect(attempt.current.status).toBe("Please complete the security check to continue.");

    await submit(attempt); // the continue button before the check is solved: nothing is sent
    expect(calls).toHaveLength(2);

    await solve(attempt, "tok-1");
    expect(attempt.current).toMatchObject({ phase: "card", challenge: false, challengeToken: "" });
    const [pledge, first, second] = calls;
    expect(calls.filter((call) => call.url === "/api/pledges")).toHaveLength(1);
    expect(pledge!.body).toMatchObject({ donor_name: "Ada", donor_email: "ada@example.org", amount: 1234 });
    expect(first!.body).toEqual({ pledge_id: 11, receipt_token: "rt-1" });
    expect(second!.body).toEqual({ pledge_id: 11, receipt_token: "rt-1", challenge_token: "tok-1" });
    expect(second!.headers["Idempotency-Key"]).toBe(first!.headers["Idempotency-Key"]);
    expect(attempt.current.attempt?.input).toEqual(INPUT);
  });

  it("resets the widget when the token is refused, and sends the next one", async () => {
    const calls = gateway({
      "POST /api/pledges": [json(201, PLEDGE)],
      "POST /api/payments": [CHALLENGE, CHALLENGE, json(201, STARTED)],
    });
    const attempt = render();
    await submit(attempt);
    expect(attempt.current.challengeRefused).toBe(0);
    await solve(attempt, "tok-1");
    expect(attempt.current).toMatchObject({ phase: "challenge", challengeRefused: 1, challengeToken: "" });
    await solve(attempt, "tok-2");
    expect(attempt.current.phase).toBe("card");
    const tokens = calls.filter((call) => call.url === "/api/payments").map((call) => (call.body as { challenge_token?: string }).challenge_token);
    expect(tokens).toEqual([undefined, "tok-1", "tok-2"]);
  });

  it("stops after too many refused tokens: the problem is shown, and Try again asks anew", async () => {
    gateway({ "POST /api/pledges": [json(201, PLEDGE)], "POST /api/payments": [CHALLENGE] });
    const attempt = render();
    await submit(attempt);
    await solve(attempt, "tok-1");
    await solve(attempt, "tok-2");
    await solve(attempt, "tok-3");
    expect(attempt.current).toMatchObject({ phase: "error", challenge: false, challengeRefused: 0 });
    expect(attempt.current.failure).toMatchObject({ status: 403, detail: "Please complete the security check." });
    await submit(attempt);
    expect(attempt.current).toMatchObject({ phase: "challenge", challengeRefused: 0 });
  });

  it("shows a 429 with its wait, keeps the attempt, and Try again sends the same key", async () => {
    const calls = gateway({
      "POST /api/pledges": [json(201, PLEDGE)],
      "POST /api/payments": [tooMany("240"), json(201, STARTED)],
    });
    const attempt = render();
    await submit(attempt);
    expect(attempt.current).toMatchObject({ phase: "error", locked: true });
    const failure = attempt.current.failure as ApiError;
    expect(failure).toMatchObject({ status: 429, detail: "Too many payment attempts.", retryAfter: 240 });
    expect(waitText(failure)).toBe("Try again in 4 minutes.");
    expect(attempt.current.attempt?.input).toEqual(INPUT);

    await submit(attempt, { ...INPUT, amount: 1 }); // the pledge exists: the form is not read again
    expect(attempt.current.phase).toBe("card");
    const payments = calls.filter((call) => call.url === "/api/payments");
    expect(payments[1]!.headers["Idempotency-Key"]).toBe(payments[0]!.headers["Idempotency-Key"]);
    expect(payments[1]!.body).toEqual({ pledge_id: 11, receipt_token: "rt-1" });
  });

  it("challenges a monthly gift at POST /api/recurring, then sends it again with the token", async () => {
    const first = { ...STARTED, id: 31 };
    const start = { ...PLAN, status: "incomplete", first_installment: { pledge: PLEDGE, payment: first }, manage_token: "mt-1" };
    const calls = gateway({ "POST /api/recurring": [CHALLENGE, json(201, start)] });
    const attempt = render();
    const monthly = { ...INPUT, interval: "month" as const };
    await submit(attempt, monthly);
    expect(attempt.current).toMatchObject({ phase: "challenge", locked: true, challenge: true });
    await solve(attempt, "tok-1");
    expect(attempt.current.phase).toBe("card");
    expect(calls).toHaveLength(2);
    expect(calls[1]!.body).toEqual({ ...monthly, challenge_token: "tok-1" });
    expect(calls[1]!.headers["Idempotency-Key"]).toBe(calls[0]!.headers["Idempotency-Key"]);
  });

  it("the state machine takes a token only while it asks for one, and a start spends it", () => {
    expect(advance(IDLE, { type: "solved", token: "t" })).toBe(IDLE);
    const asked = advance(
      { ...IDLE, phase: "paying" },
      { type: "failed", error: new ApiError({ status: 403, title: "x", body: { type: "/challenge-required" } }) },
    );
    expect(asked.phase).toBe("challenge");
    const solved = advance(asked, { type: "solved", token: "t" });
    expect(advance(solved, { type: "expired" }).challengeToken).toBe("");
    const attempt = { fingerprint: "f", input: INPUT, pledgeKey: "a", paymentKey: "b", trace: { traceId: "0".repeat(31) + "1" } };
    const started = advance(solved, { type: "start", attempt });
    expect(started).toMatchObject({ phase: "pledging", challengeToken: "", challengeSent: true });
    const forbidden = new ApiError({ status: 403, title: "Forbidden", body: { type: "about:blank" } });
    // Any other 403 is a refusal like before: back to the form, the problem shown.
    expect(advance(started, { type: "failed", error: forbidden })).toMatchObject({ phase: "idle", failure: forbidden });
  });
});
