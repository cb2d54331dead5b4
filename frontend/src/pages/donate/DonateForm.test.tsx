// @vitest-environment happy-dom
import { act, createElement } from "react";
import { createRoot, type Root } from "react-dom/client";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";

import { setSession } from "../../session";
import type { Campaign } from "../../types";
import { DonateForm } from "./DonateForm";

declare global {
  var IS_REACT_ACT_ENVIRONMENT: boolean | undefined;
}

const campaign: Campaign = {
  id: 3,
  title: "Wells",
  description: "",
  goal_amount: 1_000_000,
  currency: "usd",
  status: "active",
  created_at: "",
  updated_at: "",
  pending_amount: 0,
  authorized_amount: 0,
  captured_amount: 0,
  failed_amount: 0,
  refunded_amount: 0,
  current_amount: 0,
  total_pledges: 0,
  total_payments: 0,
};
const config = { publishable_key: "pk_test_1", js_url: "/stripe.js", sandbox: true };

let root: Root | null = null;

function render() {
  const container = document.createElement("div");
  document.body.append(container);
  root = createRoot(container);
  act(() => root!.render(createElement(DonateForm, { campaign, config })));
  return container;
}

function field(id: string): HTMLInputElement {
  const element = document.getElementById(id);
  if (!(element instanceof HTMLInputElement)) throw new Error(`no input #${id}`);
  return element;
}

/** Type as a donor would: React hears the input event. */
function type(id: string, value: string) {
  const input = field(id);
  const setter = Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, "value")!.set!;
  act(() => {
    setter.call(input, value);
    input.dispatchEvent(new Event("input", { bubbles: true }));
  });
}

function continueButton(): HTMLButtonElement {
  return document.getElementById("donate-continue") as HTMLButtonElement;
}

async function submitForm() {
  await act(async () => {
    document.getElementById("donate-form")!.dispatchEvent(new Event("submit", { bubbles: true, cancelable: true }));
  });
}

function labelOf(id: string): string {
  return document.querySelector(`label[for="${id}"]`)?.textContent ?? "";
}

beforeEach(() => {
  globalThis.IS_REACT_ACT_ENVIRONMENT = true;
  setSession(null);
});

afterEach(() => {
  act(() => root?.unmount());
  root = null;
  document.body.innerHTML = "";
  vi.unstubAllGlobals();
});

describe("DonateForm", () => {
  it("has the fields, labels and button the browser tests use", () => {
    render();
    expect(labelOf("custom-amount")).toBe("Other amount in USD");
    expect(labelOf("donor_name")).toBe("Your name");
    expect(labelOf("donor_email")).toBe("Your email");
    expect(labelOf("anonymous")).toBe("Give anonymously");
    expect(field("identity-guest").checked).toBe(true);
    expect(field("donor_name").getAttribute("form")).toBe("donate-form");
    expect(continueButton().getAttribute("form")).toBe("donate-form");
    expect(continueButton().textContent).toBe("Continue to pay $25.00");
    expect(document.querySelector('[data-testid="donation-status"]')?.getAttribute("role")).toBe("status");
  });

  it("explains what to fix, focuses it, and sends nothing", async () => {
    const fetch = vi.fn();
    vi.stubGlobal("fetch", fetch);
    render();
    type("custom-amount", "0.001");
    type("donor_name", "Kim Keyboard");
    await submitForm();
    expect(document.activeElement).toBe(field("custom-amount"));
    expect(field("custom-amount").getAttribute("aria-invalid")).toBe("true");
    expect(document.body.textContent).toContain("Use at most 2 decimal places.");
    expect(document.body.textContent).toContain("Enter a valid email address");
    expect(fetch).not.toHaveBeenCalled();
  });

  it("keeps what the donor typed when the pledge's answer is lost, and Try again resends it", async () => {
    const bodies: { key: string; body: string }[] = [];
    vi.stubGlobal(
      "fetch",
      vi.fn(async (_url: string, init: RequestInit) => {
        const headers = init.headers as Record<string, string>;
        bodies.push({ key: headers["Idempotency-Key"]!, body: init.body as string });
        throw new TypeError("Failed to fetch");
      }),
    );
    render();
    type("custom-amount", "3.50");
    type("donor_name", "Kim");
    type("donor_email", "kim@example.org");
    act(() => field("anonymous").click());
    expect(continueButton().textContent).toBe("Continue to pay $3.50");
    await submitForm();

    const alert = document.querySelector('[role="alert"]');
    expect(alert?.textContent).toContain("Could not reach CareForAll.");
    expect(field("custom-amount").value).toBe("3.50");
    expect(field("donor_name").value).toBe("Kim");
    expect(field("donor_email").value).toBe("kim@example.org");
    expect(field("anonymous").checked).toBe(true);
    expect(continueButton().disabled).toBe(false);
    expect(continueButton().textContent).toBe("Continue to pay $3.50");

    const retry = Array.from(alert!.querySelectorAll("button")).find((button) => button.textContent === "Try again");
    await act(async () => retry!.click());
    expect(bodies).toHaveLength(2);
    expect(bodies[1]).toEqual(bodies[0]);
    expect(JSON.parse(bodies[0]!.body)).toEqual({
      campaign_id: 3,
      amount: 350,
      currency: "usd",
      anonymous: true,
      donor_name: "Kim",
      donor_email: "kim@example.org",
    });
  });
});
