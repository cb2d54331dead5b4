// @vitest-environment happy-dom
import { act, createElement } from "react";
import { createRoot, type Root } from "react-dom/client";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";

import type { Turnstile } from "../../challenge";
import { setSession } from "../../session";
import { gateway, json, settle } from "../../testkit";
import type { Campaign } from "../../types";
import { DonateForm } from "./DonateForm";

const campaign = {
  id: 3, title: "Wells", description: "", goal_amount: 1_000_000, currency: "usd", status: "active",
  created_at: "", updated_at: "", pending_amount: 0, authorized_amount: 0, captured_amount: 0, failed_amount: 0,
  refunded_amount: 0, current_amount: 0, total_pledges: 0, total_payments: 0,
} satisfies Campaign;
const challenge = { mode: "on", active: true, site_key: "1x00000000000000000000AA", script_url: "/turnstile/v0/api.js" } as const;
const config = { publishable_key: "pk_test_1", js_url: "/stripe.js", sandbox: true, challenge };
const PLEDGE = {
  id: 11, campaign_id: 3, user_id: null, donor_name: "Kim", anonymous: false, amount: 1250, currency: "usd",
  status: "PENDING", refunded_amount: 0, created_at: "", updated_at: "", receipt_token: "rt-1",
};
const FAILED = {
  id: 21, pledge_id: 11, campaign_id: 3, amount: 1250, currency: "usd", status: "FAILED", provider_payment_id: null,
  failure_reason: "card_declined: generic_decline", refunded_amount: 0, card_brand: null, card_last4: null,
  created_at: "", updated_at: "",
};
const CHALLENGE = json(403, { type: "/problems/challenge-required", title: "Challenge required", status: 403 });

let root: Root | null = null;
let solve: (token: string) => void = () => undefined;
const turnstile = {
  render: vi.fn((_container: HTMLElement, params: Parameters<Turnstile["render"]>[1]) => {
    solve = params.callback;
    return "widget-1";
  }),
  reset: vi.fn(),
  remove: vi.fn(),
};

function input(id: string): HTMLInputElement {
  return document.getElementById(id) as HTMLInputElement;
}

function type(id: string, value: string) {
  const setter = Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, "value")!.set!;
  act(() => {
    setter.call(input(id), value);
    input(id).dispatchEvent(new Event("input", { bubbles: true }));
  });
}

beforeEach(() => {
  globalThis.IS_REACT_ACT_ENVIRONMENT = true;
  setSession(null);
  window.turnstile = turnstile;
  // The challenge script "loads" at once: window.turnstile is the stand-in above.
  vi.spyOn(document.head, "appendChild").mockImplementation(<T extends Node>(node: T) => {
    setTimeout(() => (node as unknown as HTMLScriptElement).onload?.(new Event("load")));
    return node;
  });
});

afterEach(() => {
  act(() => root?.unmount());
  root = null;
  document.body.innerHTML = "";
  vi.restoreAllMocks();
  vi.unstubAllGlobals();
});

describe("DonateForm and the challenge", () => {
  it("shows the widget only when asked, keeps what was typed, and retries with the token", async () => {
    const calls = gateway({
      "POST /api/pledges": [json(201, PLEDGE)],
      "POST /api/payments": [CHALLENGE, CHALLENGE, json(201, FAILED)],
    });
    const container = document.createElement("div");
    document.body.append(container);
    root = createRoot(container);
    act(() => root!.render(createElement(DonateForm, { campaign, config })));
    expect(document.querySelector('[data-testid="challenge"]')).toBeNull();

    type("custom-amount", "12.50");
    type("donor_name", "Kim");
    type("donor_email", "kim@example.org");
    await act(async () => {
      document.getElementById("donate-form")!.dispatchEvent(new Event("submit", { bubbles: true, cancelable: true }));
    });
    await settle();
    expect(document.querySelector('[data-testid="challenge"]')).not.toBeNull();
    expect(turnstile.render).toHaveBeenCalledTimes(1);
    expect(turnstile.render.mock.calls[0]![1]).toMatchObject({ sitekey: "1x00000000000000000000AA" });
    const button = document.getElementById("donate-continue") as HTMLButtonElement;
    expect(button.disabled).toBe(true);
    expect(input("custom-amount").value).toBe("12.50");
    expect(input("donor_name").value).toBe("Kim");

    await act(async () => solve("tok-1")); // refused: the widget is reset for a new token
    await settle();
    expect(turnstile.reset).toHaveBeenCalledWith("widget-1");
    expect(document.body.textContent).toContain("The check has to be done again.");
    await act(async () => solve("tok-2"));
    await settle();

    const payments = calls.filter((call) => call.url === "/api/payments");
    expect(payments.map((call) => (call.body as { challenge_token?: string }).challenge_token)).toEqual([undefined, "tok-1", "tok-2"]);
    expect(new Set(payments.map((call) => call.headers["Idempotency-Key"])).size).toBe(1);
    expect(calls.filter((call) => call.url === "/api/pledges")).toHaveLength(1);
    expect(document.querySelector('[data-testid="challenge"]')).toBeNull();
    expect(turnstile.remove).toHaveBeenCalledWith("widget-1");
    expect(document.querySelector('[data-testid="outcome"]')?.textContent).toContain("Payment failed");
  });

  it("shows a 429's detail and when to try again", async () => {
    const body = { title: "Too Many Requests", status: 429, detail: "Too many payment attempts from this address." };
    const limited = new Response(JSON.stringify(body), {
      status: 429, headers: { "Content-Type": "application/problem+json", "Retry-After": "600" },
    });
    gateway({ "POST /api/pledges": [json(201, PLEDGE)], "POST /api/payments": [limited] });
    const container = document.createElement("div");
    document.body.append(container);
    root = createRoot(container);
    act(() => root!.render(createElement(DonateForm, { campaign, config })));
    type("donor_name", "Kim");
    type("donor_email", "kim@example.org");
    await act(async () => {
      document.getElementById("donate-form")!.dispatchEvent(new Event("submit", { bubbles: true, cancelable: true }));
    });
    const alert = document.querySelector('[role="alert"]')!;
    expect(alert.textContent).toContain("Too many payment attempts from this address.");
    expect(alert.querySelector('[data-testid="retry-after"]')?.textContent).toBe("Try again in 10 minutes.");
    expect(input("donor_name").value).toBe("Kim");
    expect(input("donor_email").value).toBe("kim@example.org");
  });
});
