// @vitest-environment happy-dom
import { act, createElement } from "react";
import { createRoot, type Root } from "react-dom/client";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";

import type { PledgeInput } from "../../endpoints";
import { setSession } from "../../session";
import { PAYMENT_POLL_MS, PAYMENT_WAIT_MS } from "./attempt";
import { useDonationAttempt, type DonationAttempt } from "./useDonationAttempt";

declare global {
  var IS_REACT_ACT_ENVIRONMENT: boolean | undefined;
}

const INPUT: PledgeInput = {
  campaign_id: 3,
  amount: 1234,
  currency: "usd",
  anonymous: false,
  donor_name: "Ada",
  donor_email: "ada@example.org",
};

const PLEDGE = {
  id: 11,
  campaign_id: 3,
  user_id: null,
  donor_name: "Ada",
  anonymous: false,
  amount: 1234,
  currency: "usd",
  status: "PENDING",
  refunded_amount: 0,
  created_at: "2026-12-01T10:00:00Z",
  updated_at: "2026-12-01T10:00:00Z",
  receipt_token: "rt-1",
};

function payment(status: string, fields: Record<string, unknown> = {}) {
  return {
    id: 21,
    pledge_id: 11,
    campaign_id: 3,
    amount: 1234,
    currency: "usd",
    status,
    provider_payment_id: "pi_1",
    failure_reason: null,
    refunded_amount: 0,
    card_brand: null,
    card_last4: null,
    created_at: "2026-12-01T10:00:00Z",
    updated_at: "2026-12-01T10:00:00Z",
    ...fields,
  };
}

const STARTED = payment("PROCESSING", { client_secret: "pi_1_secret_x", publishable_key: "pk_test_1" });

type Answer = Response | Error;
interface Call {
  method: string;
  url: string;
  headers: Record<string, string>;
  body: unknown;
}

function json(status: number, body: unknown): Response {
  const type = status >= 400 ? "application/problem+json" : "application/json";
  return new Response(JSON.stringify(body), { status, headers: { "Content-Type": type } });
}

/** A fake gateway: each route answers from its queue (the last answer repeats). */
function gateway(routes: Record<string, Answer[]>) {
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

const offline = () => new TypeError("Failed to fetch");

function traceId(call: Call): string {
  const match = /^00-([0-9a-f]{32})-([0-9a-f]{16})-01$/.exec(call.headers.traceparent ?? "");
  expect(match, call.headers.traceparent).not.toBeNull();
  return match![1]!;
}

let root: Root | null = null;

/** Render the hook; ``result.current`` is its latest value. */
function renderAttempt(userId: number | null = null) {
  const result = { current: null as unknown as DonationAttempt };
  function Probe() {
    result.current = useDonationAttempt(userId);
    return null;
  }
  root = createRoot(document.createElement("div"));
  act(() => root!.render(createElement(Probe)));
  return result;
}

/** Let the pending answers and any timers due within ``ms`` run. */
async function flush(ms = 0) {
  await act(async () => {
    await vi.advanceTimersByTimeAsync(ms);
  });
}

async function submit(attempt: { current: DonationAttempt }, read: () => PledgeInput | null = () => INPUT) {
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
  act(() => root?.unmount());
  root = null;
  vi.useRealTimers();
  vi.unstubAllGlobals();
});

describe("useDonationAttempt", () => {
  it("starts idle, with nothing sent", () => {
    const calls = gateway({});
    const attempt = renderAttempt();
    expect(attempt.current).toMatchObject({ phase: "idle", attempt: null, status: "", busy: false, locked: false });
    expect(calls).toHaveLength(0);
  });

  it("goes idle → pledging → paying → card, with the attempt's keys and one trace", async () => {
    let answerPledge: (response: Response) => void = () => undefined;
    let answerPayment: (response: Response) => void = () => undefined;
    const calls = gateway({});
    vi.mocked(fetch).mockImplementationOnce(async (url, init) => {
      calls.push({ method: "POST", url: String(url), headers: init!.headers as Record<string, string>, body: null });
      return new Promise<Response>((resolve) => (answerPledge = resolve));
    });
    vi.mocked(fetch).mockImplementationOnce(async (url, init) => {
      calls.push({ method: "POST", url: String(url), headers: init!.headers as Record<string, string>, body: null });
      return new Promise<Response>((resolve) => (answerPayment = resolve));
    });
    const attempt = renderAttempt();

    let done!: Promise<void>;
    act(() => {
      done = attempt.current.submit(() => INPUT);
    });
    expect(attempt.current).toMatchObject({ phase: "pledging", busy: true, locked: true });
    expect(attempt.current.status).toBe("Pending: recording your pledge…");

    await act(async () => answerPledge(json(201, PLEDGE)));
    expect(attempt.current.phase).toBe("paying");
    expect(attempt.current.status).toBe("Pending: preparing the payment…");
    expect(attempt.current.attempt?.receiptToken).toBe("rt-1");

    await act(async () => {
      answerPayment(json(201, STARTED));
      await done;
    });
    expect(attempt.current).toMatchObject({ phase: "card", status: "", busy: false, locked: true });
    expect(attempt.current.attempt?.payment?.client_secret).toBe("pi_1_secret_x");

    const [pledgeCall, paymentCall] = calls;
    expect(pledgeCall!.url).toBe("/api/pledges");
    expect(paymentCall!.url).toBe("/api/payments");
    expect(pledgeCall!.headers["Idempotency-Key"]).toBe(attempt.current.attempt?.pledgeKey);
    expect(paymentCall!.headers["Idempotency-Key"]).toBe(attempt.current.attempt?.paymentKey);
    expect(traceId(pledgeCall!)).toBe(attempt.current.attempt?.trace.traceId);
    expect(traceId(paymentCall!)).toBe(traceId(pledgeCall!));
    expect(paymentCall!.headers.traceparent).not.toBe(pledgeCall!.headers.traceparent);
    expect(pledgeCall!.headers.baggage).toBeUndefined();
  });

  it("waits for the platform after the card: polling → captured, in the attempt's trace", async () => {
    const calls = gateway({
      "POST /api/pledges": [json(201, PLEDGE)],
      "POST /api/payments": [json(201, STARTED)],
      "GET /api/payments/21": [
        json(200, payment("PROCESSING")),
        json(200, payment("AUTHORIZED")),
        json(200, payment("CAPTURED", { card_brand: "visa", card_last4: "4242" })),
      ],
    });
    const attempt = renderAttempt();
    await submit(attempt);
    expect(attempt.current.phase).toBe("card");

    act(() => attempt.current.confirmed({ paymentIntent: { id: "pi_1", status: "succeeded" } }));
    expect(attempt.current).toMatchObject({ phase: "waiting", busy: true, cardError: "" });
    expect(attempt.current.status).toBe("Pending: waiting for the bank's answer…");

    await flush();
    expect(attempt.current.phase).toBe("waiting");
    await flush(PAYMENT_POLL_MS);
    expect(attempt.current.status).toBe("Pending: the bank authorized the payment, completing it…");
    await flush(PAYMENT_POLL_MS);
    expect(attempt.current).toMatchObject({ phase: "captured", status: "Paid. Thank you!", busy: false });
    expect(attempt.current.attempt?.payment?.card_last4).toBe("4242");

    const polls = calls.filter((call) => call.method === "GET");
    expect(polls).toHaveLength(3);
    expect(polls[0]!.url).toBe("/api/payments/21?receipt_token=rt-1");
    const trace = traceId(calls[0]!);
    expect(calls.map(traceId)).toEqual(calls.map(() => trace));
    expect(new Set(calls.map((call) => call.headers.traceparent)).size).toBe(calls.length);

    await flush(PAYMENT_POLL_MS * 5);
    expect(calls.filter((call) => call.method === "GET")).toHaveLength(3); // polling stopped
  });

  it("shows a declined card at once, then the platform's FAILED", async () => {
    gateway({
      "POST /api/pledges": [json(201, PLEDGE)],
      "POST /api/payments": [json(201, STARTED)],
      "GET /api/payments/21": [json(200, payment("FAILED", { failure_reason: "card_declined: generic_decline" }))],
    });
    const attempt = renderAttempt();
    await submit(attempt);
    act(() =>
      attempt.current.confirmed({ error: { type: "card_error", code: "card_declined", message: "Your card was declined." } }),
    );
    expect(attempt.current.cardError).toBe("Your card was declined.");
    expect(attempt.current.phase).toBe("waiting");
    await flush();
    expect(attempt.current).toMatchObject({ phase: "failed", status: "The payment failed.", busy: false });
    expect(attempt.current.attempt?.payment?.failure_reason).toBe("card_declined: generic_decline");
  });

  it("keeps the card form when the card never reached the provider", async () => {
    const calls = gateway({ "POST /api/pledges": [json(201, PLEDGE)], "POST /api/payments": [json(201, STARTED)] });
    const attempt = renderAttempt();
    await submit(attempt);
    act(() => attempt.current.confirmed({ error: { type: "api_connection_error", message: "Offline." } }));
    expect(attempt.current.phase).toBe("card");
    expect(attempt.current.cardError).not.toBe("");
    await flush(PAYMENT_POLL_MS * 3);
    expect(calls).toHaveLength(2); // no polling
  });

  it("keeps polling through a connection problem", async () => {
    gateway({
      "POST /api/pledges": [json(201, PLEDGE)],
      "POST /api/payments": [json(201, STARTED)],
      "GET /api/payments/21": [offline(), json(200, payment("CAPTURED"))],
    });
    const attempt = renderAttempt();
    await submit(attempt);
    act(() => attempt.current.confirmed({ paymentIntent: { id: "pi_1", status: "succeeded" } }));
    await flush();
    expect(attempt.current.phase).toBe("waiting");
    expect(attempt.current.status).toBe("Pending: checking the payment again (connection problem)…");
    await flush(PAYMENT_POLL_MS);
    expect(attempt.current.phase).toBe("captured");
  });

  it("stops waiting after PAYMENT_WAIT_MS: stuck, and no more polling", async () => {
    const calls = gateway({
      "POST /api/pledges": [json(201, PLEDGE)],
      "POST /api/payments": [json(201, STARTED)],
      "GET /api/payments/21": [json(200, payment("PROCESSING"))],
    });
    const attempt = renderAttempt();
    await submit(attempt);
    act(() => attempt.current.confirmed({ paymentIntent: { id: "pi_1", status: "succeeded" } }));
    await flush(PAYMENT_WAIT_MS + PAYMENT_POLL_MS * 2);
    expect(attempt.current).toMatchObject({ phase: "stuck", status: "Still pending.", busy: false });
    const polled = calls.length;
    await flush(PAYMENT_POLL_MS * 5);
    expect(calls).toHaveLength(polled);
  });

  it("keeps the attempt on a lost answer; Try again sends the same key and trace", async () => {
    const calls = gateway({
      "POST /api/pledges": [offline(), json(201, PLEDGE)],
      "POST /api/payments": [json(201, STARTED)],
    });
    const attempt = renderAttempt();
    await submit(attempt);
    expect(attempt.current).toMatchObject({ phase: "error", status: "", busy: false, locked: false });
    expect(attempt.current.failure).toMatchObject({ status: 0, title: "Network error" });
    expect(attempt.current.attempt?.input).toEqual(INPUT); // what the donor typed is kept

    const read = vi.fn(() => ({ ...INPUT })); // the form, unchanged
    await submit(attempt, read);
    expect(read).toHaveBeenCalledOnce();
    expect(attempt.current).toMatchObject({ phase: "card", failure: null });
    const [lost, again] = calls;
    expect(again!.headers["Idempotency-Key"]).toBe(lost!.headers["Idempotency-Key"]);
    expect(again!.body).toEqual(lost!.body);
    expect(traceId(again!)).toBe(traceId(lost!));
  });

  it("returns to the form when the pledge is refused, keeping the input; a change is a new attempt", async () => {
    const refused = json(400, {
      title: "Bad Request",
      status: 400,
      detail: "The request body is invalid.",
      errors: [{ field: "amount", message: "Too much." }],
    });
    const calls = gateway({ "POST /api/pledges": [refused, json(201, PLEDGE)], "POST /api/payments": [json(201, STARTED)] });
    const attempt = renderAttempt();
    await submit(attempt);
    expect(attempt.current).toMatchObject({ phase: "idle", locked: false });
    expect(attempt.current.failure).toMatchObject({ status: 400 });
    expect(attempt.current.attempt?.input).toEqual(INPUT);

    await submit(attempt, () => ({ ...INPUT, amount: 1000 }));
    expect(attempt.current.phase).toBe("card");
    expect(calls[1]!.body).toMatchObject({ amount: 1000 });
    expect(calls[1]!.headers["Idempotency-Key"]).not.toBe(calls[0]!.headers["Idempotency-Key"]);
    expect(traceId(calls[1]!)).not.toBe(traceId(calls[0]!));
  });

  it("resumes at the payment when only the payment failed, without reading the form again", async () => {
    const calls = gateway({
      "POST /api/pledges": [json(201, PLEDGE)],
      "POST /api/payments": [json(503, { title: "Service Unavailable", status: 503 }), json(201, STARTED)],
    });
    const attempt = renderAttempt();
    await submit(attempt);
    expect(attempt.current).toMatchObject({ phase: "error", locked: true });
    expect(attempt.current.attempt?.pledge?.id).toBe(11);

    const read = vi.fn(() => null);
    await submit(attempt, read);
    expect(read).not.toHaveBeenCalled();
    expect(attempt.current.phase).toBe("card");
    expect(calls.map((call) => call.url)).toEqual(["/api/pledges", "/api/payments", "/api/payments"]);
    expect(calls[2]!.headers["Idempotency-Key"]).toBe(calls[1]!.headers["Idempotency-Key"]);
    expect(calls[2]!.body).toEqual({ pledge_id: 11, receipt_token: "rt-1" });
  });

  it("follows the pledge's existing payment on a 409", async () => {
    const calls = gateway({
      "POST /api/pledges": [json(201, PLEDGE)],
      "POST /api/payments": [json(409, { title: "Conflict", status: 409, payment_id: 21 })],
      "GET /api/payments/21": [
        json(200, payment("AUTHORIZED")),
        json(200, payment("AUTHORIZED")),
        json(200, payment("CAPTURED")),
      ],
    });
    const attempt = renderAttempt();
    await submit(attempt);
    expect(attempt.current.phase).toBe("waiting");
    expect(attempt.current.status).toBe("Pending: the bank authorized the payment, completing it…");
    await flush(PAYMENT_POLL_MS);
    expect(attempt.current.phase).toBe("captured");
    expect(calls.map((call) => `${call.method} ${call.url}`)).toEqual([
      "POST /api/pledges",
      "POST /api/payments",
      "GET /api/payments/21?receipt_token=rt-1",
      "GET /api/payments/21?receipt_token=rt-1",
      "GET /api/payments/21?receipt_token=rt-1",
    ]);
    expect(new Set(calls.map(traceId)).size).toBe(1);
  });

  it("makes one attempt of a double submission", async () => {
    const calls = gateway({ "POST /api/pledges": [json(201, PLEDGE)], "POST /api/payments": [json(201, STARTED)] });
    const attempt = renderAttempt();
    await act(async () => {
      const first = attempt.current.submit(() => INPUT);
      const second = attempt.current.submit(() => INPUT); // the same render: a click in the same task
      await Promise.all([first, second]);
    });
    await submit(attempt); // and once the card form is up
    expect(calls.map((call) => call.url)).toEqual(["/api/pledges", "/api/payments"]);
  });

  it("does not start when the form is not valid", async () => {
    const calls = gateway({});
    const attempt = renderAttempt();
    await submit(attempt, () => null);
    expect(attempt.current).toMatchObject({ phase: "idle", attempt: null });
    expect(calls).toHaveLength(0);
  });

  it("starts over with new keys and a new trace (Try another card)", async () => {
    const calls = gateway({
      "POST /api/pledges": [json(201, PLEDGE), json(201, { ...PLEDGE, id: 12 })],
      "POST /api/payments": [json(201, STARTED)],
      "GET /api/payments/21": [json(200, payment("FAILED", { failure_reason: "card_declined" }))],
    });
    const attempt = renderAttempt();
    await submit(attempt);
    act(() => attempt.current.confirmed({ paymentIntent: { id: "pi_1", status: "requires_payment_method" } }));
    await flush();
    expect(attempt.current.phase).toBe("failed");
    await submit(attempt); // nothing: the attempt is over
    expect(calls).toHaveLength(3);

    act(() => attempt.current.startOver());
    expect(attempt.current).toMatchObject({ phase: "idle", attempt: null, status: "", cardError: "", failure: null });
    await submit(attempt);
    const pledges = calls.filter((call) => call.url === "/api/pledges");
    expect(pledges).toHaveLength(2);
    expect(pledges[1]!.headers["Idempotency-Key"]).not.toBe(pledges[0]!.headers["Idempotency-Key"]);
    expect(traceId(pledges[1]!)).not.toBe(traceId(pledges[0]!));
  });

  it("sends the donor's token for a signed-in donor's pledge", async () => {
    setSession({
      access: "A",
      refresh: "R",
      user: { id: 7, email: "d@example.org", name: "D", role: "donor", created_at: "" },
    });
    const calls = gateway({
      "POST /api/pledges": [json(201, { ...PLEDGE, receipt_token: undefined, user_id: 7 })],
      "POST /api/payments": [json(201, STARTED)],
    });
    const attempt = renderAttempt(7);
    await submit(attempt, () => ({ campaign_id: 3, amount: 2500, currency: "usd", anonymous: true }));
    expect(calls[0]!.headers.Authorization).toBe("Bearer A");
    expect(calls[1]!.body).toEqual({ pledge_id: 11 });
    expect(calls[1]!.headers.Authorization).toBe("Bearer A");
  });

  it("stops polling when the page goes away", async () => {
    const calls = gateway({
      "POST /api/pledges": [json(201, PLEDGE)],
      "POST /api/payments": [json(201, STARTED)],
      "GET /api/payments/21": [json(200, payment("PROCESSING"))],
    });
    const attempt = renderAttempt();
    await submit(attempt);
    act(() => attempt.current.confirmed({ paymentIntent: { id: "pi_1", status: "succeeded" } }));
    await flush();
    const polled = calls.length;
    act(() => root?.unmount());
    root = null;
    await flush(PAYMENT_POLL_MS * 5);
    expect(calls).toHaveLength(polled);
  });
});
