// The recurring-gift calls of SPEC §3 "Recurring gifts". A guest manages a plan with the
// ``manage_token`` of its creation: it goes as ``?manage_token=`` on every plan route, and such a
// request never sends the donor's token (the link works in any browser, signed in or not).

import { pagePath, request, withQuery } from "./api";
import type { PledgeInput } from "./endpoints";
import type { TraceContext } from "./trace";
import type { InstallmentAuthStart, Page, PlanInterval, PlanStart, RecurringPlan, SetupStart } from "./types";

/** A plan's body: a pledge's, plus how often (SPEC §3). */
export interface PlanInput extends PledgeInput {
  interval: PlanInterval;
  /** The card-testing challenge's answer, after a 403 `challenge-required`. */
  challenge_token?: string;
}

/** Browser-confirmed: the first installment's payment carries the client secret to confirm. */
export function planCreate(input: PlanInput, key: string, signedIn: boolean, trace?: TraceContext) {
  return request<PlanStart>("/api/recurring", {
    method: "POST",
    body: input,
    idempotencyKey: key,
    auth: signedIn ? "auto" : "none",
    trace,
  });
}

/** The signed-in donor's plans (staff: all), newest first. */
export function myPlans(next?: string | null, signal?: AbortSignal) {
  const first = "/api/recurring?page_size=20";
  return request<Page<RecurringPlan>>(next ? (pagePath(next) ?? first) : first, { signal });
}

function planPath(id: number, manageToken: string | null | undefined, action = "") {
  return withQuery(`/api/recurring/${id}${action}`, { manage_token: manageToken });
}

function auth(manageToken: string | null | undefined) {
  return manageToken ? ("none" as const) : ("auto" as const);
}

export function planGet(id: number, manageToken?: string | null, signal?: AbortSignal) {
  return request<RecurringPlan>(planPath(id, manageToken), { signal, auth: auth(manageToken) });
}

/** The amount of every installment from the next one on. */
export function planChangeAmount(id: number, amount: number, manageToken?: string | null) {
  return request<RecurringPlan>(planPath(id, manageToken), {
    method: "PATCH",
    body: { amount },
    auth: auth(manageToken),
  });
}

/** ``until`` is an ISO-8601 timestamp: the plan resumes by itself then. */
export function planPause(id: number, until: string | null, manageToken?: string | null) {
  return request<RecurringPlan>(planPath(id, manageToken, "/pause"), {
    method: "POST",
    body: until ? { until } : {},
    auth: auth(manageToken),
  });
}

export function planResume(id: number, manageToken?: string | null) {
  return request<RecurringPlan>(planPath(id, manageToken, "/resume"), {
    method: "POST",
    body: {},
    auth: auth(manageToken),
  });
}

export function planCancel(id: number, manageToken?: string | null) {
  return request<RecurringPlan>(planPath(id, manageToken, "/cancel"), {
    method: "POST",
    body: {},
    auth: auth(manageToken),
  });
}

/** The card-testing challenge's answer, only when the platform asked for one (SPEC §3). */
function challengeBody(token?: string) {
  return token ? { challenge_token: token } : {};
}

/** A SetupIntent on the plan's customer: the Payment Element saves the new card with it. */
export function planCardStart(id: number, manageToken?: string | null, token?: string) {
  return request<SetupStart>(planPath(id, manageToken, "/payment-method"), {
    method: "POST",
    body: challengeBody(token),
    auth: auth(manageToken),
  });
}

/** A new attempt of the installment period of ``pledgeId``, whose bank wants the donor: its
 * payment carries the client secret Stripe.js completes 3-D Secure with. */
export function installmentAuthenticate(
  id: number,
  pledgeId: number,
  manageToken: string | null,
  key: string,
  token?: string,
) {
  return request<InstallmentAuthStart>(planPath(id, manageToken, `/installments/${pledgeId}/authenticate`), {
    method: "POST",
    body: challengeBody(token),
    idempotencyKey: key,
    auth: auth(manageToken),
  });
}
