// @vitest-environment happy-dom
import { act, createElement } from "react";
import { createRoot, type Root } from "react-dom/client";
import { renderToStaticMarkup } from "react-dom/server";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";

import { setSession } from "../../session";
import { PLAN, offline } from "../../testkit";
import type { Campaign } from "../../types";
import { DonateForm } from "./DonateForm";
import { ThankYou } from "./OutcomePart";
import type { DonationAttempt } from "./useDonationAttempt";

const campaign = { id: 3, title: "Wells", currency: "usd", status: "active" } as Campaign;
const config = { publishable_key: "pk_test_1", js_url: "/stripe.js", sandbox: true };

let root: Root | null = null;

function render() {
  const container = document.createElement("div");
  document.body.append(container);
  root = createRoot(container);
  act(() => root!.render(createElement(DonateForm, { campaign, config })));
}

function radio(id: string): HTMLInputElement {
  return document.getElementById(id) as HTMLInputElement;
}

function type(id: string, value: string) {
  const input = radio(id);
  const setter = Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, "value")!.set!;
  act(() => {
    setter.call(input, value);
    input.dispatchEvent(new Event("input", { bubbles: true }));
  });
}

const continueButton = () => document.getElementById("donate-continue") as HTMLButtonElement;

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

describe("DonateForm: give once, monthly or yearly", () => {
  it("offers a radio group, once by default, first in the form: what kind of gift, then how much", () => {
    render();
    const labels = ["once", "month", "year"].map((value) => document.querySelector(`label:has(#frequency-${value})`)?.textContent);
    expect(labels).toEqual(["Give once", "Give monthly", "Give yearly"]);
    expect(radio("frequency-once").checked).toBe(true);
    expect(radio("frequency-month").getAttribute("name")).toBe("frequency");
    expect(radio("frequency-month").getAttribute("form")).toBe("donate-form");
    // The group comes before the amounts and the continue button (tests/browser checks the tab order).
    const order = continueButton().compareDocumentPosition(radio("frequency-once"));
    expect(order & Node.DOCUMENT_POSITION_PRECEDING).toBeTruthy();
    expect(continueButton().textContent).toBe("Continue to pay $25.00");
  });

  it("says how often on the button and sends a monthly gift to /api/recurring", async () => {
    const sent: { url: string; body: unknown }[] = [];
    vi.stubGlobal(
      "fetch",
      vi.fn(async (url: string, init: RequestInit) => {
        sent.push({ url, body: JSON.parse(init.body as string) });
        throw offline();
      }),
    );
    render();
    act(() => radio("frequency-month").click());
    expect(continueButton().textContent).toBe("Continue to pay $25.00 a month");
    act(() => radio("frequency-year").click());
    expect(continueButton().textContent).toBe("Continue to pay $25.00 a year");
    type("donor_name", "Kim");
    type("donor_email", "kim@example.org");
    await act(async () => {
      document.getElementById("donate-form")!.dispatchEvent(new Event("submit", { bubbles: true, cancelable: true }));
    });
    expect(sent).toEqual([
      {
        url: "/api/recurring",
        body: { campaign_id: 3, amount: 2500, currency: "usd", anonymous: false, donor_name: "Kim", donor_email: "kim@example.org", interval: "year" },
      },
    ]);
    expect(radio("frequency-year").checked).toBe(true); // kept for "Try again"
  });
});

describe("ThankYou for a plan", () => {
  const payment = { id: 31, amount: 2500, currency: "usd", status: "CAPTURED", card_brand: "visa", card_last4: "4242" };
  function thanks(guest: boolean) {
    const attempt = {
      phase: "captured",
      attempt: { pledge: { id: 11 }, receiptToken: guest ? "rt-9" : undefined, payment, plan: PLAN, manageToken: guest ? "mt/1" : undefined },
    } as unknown as DonationAttempt;
    return renderToStaticMarkup(<ThankYou campaign={campaign} attempt={attempt} guest={guest} onStartOver={() => undefined} />);
  }

  it("gives a guest the manage link with the token, and the receipt", () => {
    const html = thanks(true);
    expect(html).toContain("Thank you!");
    expect(html).toContain("Your monthly gift of $25.00 a month is set");
    expect(html).toContain('href="#/recurring/4?manage_token=mt%2F1"');
    expect(html).toContain("Manage your monthly gift");
    expect(html).toContain('href="#/receipt/11?token=rt-9&amp;payment=31"');
    expect(html).toContain("Visa •••• 4242");
  });

  it("links a signed-in donor's plan without a token", () => {
    expect(thanks(false)).toContain('href="#/recurring/4"');
  });
});
