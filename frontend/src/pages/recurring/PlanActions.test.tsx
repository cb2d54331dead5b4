// @vitest-environment happy-dom
import { act, createElement } from "react";
import { createRoot, type Root } from "react-dom/client";
import { renderToStaticMarkup } from "react-dom/server";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";

import { PLAN } from "../../testkit";
import type { RecurringPlan } from "../../types";
import { DonationItem } from "../MyDonationsPage";
import { PlanItem } from "./MyPlansPage";
import { PlanActions, today } from "./PlanActions";
import { PlanFacts } from "./PlanFacts";
import type { PlanState } from "./usePlan";

const plan = PLAN as unknown as RecurringPlan;
let root: Root | null = null;

function render(shown: RecurringPlan, run = vi.fn(async () => true)) {
  const state = { plan: shown, running: null, actionFailure: null, done: "", run } as unknown as PlanState;
  const container = document.createElement("div");
  document.body.append(container);
  root = createRoot(container);
  act(() => root!.render(createElement(PlanActions, { plan: shown, state })));
  return run;
}

function button(name: string): HTMLButtonElement {
  const found = Array.from(document.querySelectorAll("button")).find((item) => item.textContent === name);
  if (!found) throw new Error(`no button ${name}`);
  return found;
}

function type(id: string, value: string) {
  const input = document.getElementById(id) as HTMLInputElement;
  const setter = Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, "value")!.set!;
  act(() => {
    setter.call(input, value);
    input.dispatchEvent(new Event("input", { bubbles: true }));
  });
}

beforeEach(() => {
  globalThis.IS_REACT_ACT_ENVIRONMENT = true;
});

afterEach(() => {
  act(() => root?.unmount());
  root = null;
  document.body.innerHTML = "";
});

describe("PlanActions", () => {
  it("asks before canceling, the focus on the button that changes nothing", async () => {
    const run = render(plan);
    act(() => button("Cancel the gift").click());
    const dialog = document.querySelector('[role="alertdialog"]');
    expect(dialog?.textContent).toContain("Cancel your monthly gift?");
    expect(document.activeElement).toBe(button("No, keep it as it is"));
    expect(run).not.toHaveBeenCalled();
    act(() => button("No, keep it as it is").click());
    expect(document.querySelector('[role="alertdialog"]')).toBeNull();
    act(() => button("Cancel the gift").click());
    await act(async () => button("Yes, cancel the gift").click());
    expect(run).toHaveBeenCalledWith({ type: "cancel" });
  });

  it("pauses until a date after today only, after confirming", async () => {
    const run = render(plan);
    act(() => button("Pause").click());
    type("pause-until", today());
    act(() => button("Pause…").click());
    expect(document.getElementById("pause-until")?.getAttribute("aria-invalid")).toBe("true");
    type("pause-until", "2999-01-31");
    act(() => button("Pause…").click());
    expect(document.querySelector('[role="alertdialog"]')?.textContent).toContain("resumes by itself");
    await act(async () => button("Yes, pause it").click());
    expect(run).toHaveBeenCalledWith({ type: "pause", until: "2999-01-31" });
  });

  it("changes the amount: read in the plan's currency, refused when unchanged", async () => {
    const run = render(plan);
    act(() => button("Change amount").click());
    expect((document.getElementById("plan-amount") as HTMLInputElement).value).toBe("25.00");
    act(() => button("Change…").click());
    expect(document.body.textContent).toContain("That is the amount you give now.");
    type("plan-amount", "30");
    act(() => button("Change…").click());
    expect(document.querySelector('[role="alertdialog"]')?.textContent).toContain("Change your monthly gift to $30.00 a month?");
    await act(async () => button("Yes, change the amount").click());
    expect(run).toHaveBeenCalledWith({ type: "amount", amount: 3000 });
  });

  it("offers resume for a paused plan, and only cancel while the first payment is pending", () => {
    render({ ...plan, status: "paused" });
    expect(() => button("Resume")).not.toThrow();
    expect(() => button("Pause")).toThrow();
    act(() => root?.unmount());
    render({ ...plan, status: "incomplete" });
    expect(Array.from(document.querySelectorAll("button")).map((item) => item.textContent)).toEqual(["Cancel the gift"]);
  });
});

describe("how a plan reads", () => {
  it("shows the status, the amount per interval, the next charge, the card and the installments", () => {
    const html = renderToStaticMarkup(<PlanFacts plan={{ ...plan, status: "past_due", failed_attempts: 2 }} />);
    expect(html).toContain("Payment overdue");
    expect(html).toContain("$25.00 a month");
    expect(html).toContain("2027");
    expect(html).toContain("Visa •••• 4242");
    expect(html).toMatch(/data-testid="plan-installments">3</);
    expect(html).toMatch(/data-testid="plan-failed-attempts">2</);
  });

  it("reads a canceled, a paused and a yearly plan", () => {
    const canceled = renderToStaticMarkup(<PlanFacts plan={{ ...plan, status: "canceled", cancel_reason: "campaign_closed" }} />);
    expect(canceled).toContain("Canceled</span> (the campaign has closed)");
    expect(canceled).toContain("No more charges");
    const paused = renderToStaticMarkup(<PlanFacts plan={{ ...plan, status: "paused" }} />);
    expect(paused).toContain("Paused until you resume it");
    const yearly = renderToStaticMarkup(<PlanItem plan={{ ...plan, interval: "year", currency: "jpy", amount: 5000 }} title="Wells" />);
    expect(yearly).toContain("Yearly gift to Wells");
    expect(yearly).toContain("¥5,000 a year");
    expect(yearly).toContain('href="#/recurring/4"');
  });

  it("links an installment in My donations to its plan", () => {
    const pledge = { id: 11, campaign_id: 3, user_id: 7, donor_name: "D", anonymous: false, amount: 2500, currency: "usd",
      status: "CAPTURED" as const, refunded_amount: 0, plan_id: 4, created_at: "2026-12-01T10:00:00Z", updated_at: "" };
    expect(renderToStaticMarkup(<DonationItem pledge={pledge} title="Wells" />)).toContain('href="#/recurring/4">Recurring gift</a>');
    expect(renderToStaticMarkup(<DonationItem pledge={{ ...pledge, plan_id: null }} title="Wells" />)).not.toContain("Recurring");
  });
});
