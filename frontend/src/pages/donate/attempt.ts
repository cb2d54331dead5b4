// The donation attempt's state machine: pure, so each phase and event reads in one place.
// useDonationAttempt.ts drives it with the API calls and the polling.

import { ApiError } from "../../api";
import type { PledgeInput } from "../../endpoints";
import { intervalAdjective } from "../../planText";
import { cardErrorMessage, type ConfirmResult } from "../../stripe";
import type { TraceContext } from "../../trace";
import type { PaymentStart, PlanInterval, PlanStart, Pledge, RecurringPlan } from "../../types";

export const PAYMENT_POLL_MS = 700;
export const PAYMENT_WAIT_MS = 90_000;

/**
 * One donation attempt: the pledge and payment it makes, the Idempotency-Keys it makes them with,
 * and its trace. The keys and the trace are drawn once, when the attempt starts, and every retry
 * of the attempt ("Try again" after a lost answer, a refreshed token) sends the same ones, so the
 * platform makes at most one pledge and one payment for it (SPEC §3), and its calls are one
 * trace. "Try another card" starts a new attempt.
 *
 * The payment is confirmed in the browser: its answer carries the client secret the provider's
 * Payment Element confirms it with. Whether it was paid is always the platform's answer
 * (GET /api/payments/{id}), which follows the provider's webhooks, never the browser's word.
 *
 * A monthly or yearly gift (``input.interval``) makes a plan instead: one POST /api/recurring, with
 * the pledge key, answers the plan and its first installment (pledge and payment), and the attempt
 * goes on from that payment as a one-off gift does (the Payment Element also saves the card).
 */
export interface Attempt {
  fingerprint: string;
  input: GiftInput;
  pledgeKey: string;
  paymentKey: string;
  trace: TraceContext;
  pledge?: Pledge;
  receiptToken?: string;
  payment?: PaymentStart;
  /** Stripe.js has sent the card to the provider: from now on, only the platform's answer counts. */
  confirmed?: boolean;
  /** A monthly or yearly gift: the plan, and a guest's token to manage it. */
  plan?: RecurringPlan;
  manageToken?: string;
}

/** What the form gives: a pledge's body, and how often for a monthly or yearly gift. */
export type GiftInput = PledgeInput & { interval?: PlanInterval };


/**
 * idle → pledging → paying → card → waiting → captured | failed | stuck.
 * A request that fails ends in "error" (Try again resumes the same attempt), or back in "idle"
 * when the platform refused the pledge itself (a 4xx: the donor corrects the form).
 */
export type AttemptPhase =
  | "idle" // the form: no attempt yet, or one whose pledge was refused
  | "pledging" // POST /api/pledges (or POST /api/recurring, which also makes the first payment)
  | "paying" // POST /api/payments
  | "card" // the provider's card form waits for the donor
  | "waiting" // polling the platform for the payment's outcome
  | "captured" // paid
  | "failed" // the payment failed (a declined card, a failed 3-D Secure check, abandoned)
  | "stuck" // no outcome after PAYMENT_WAIT_MS: the receipt will tell
  | "error"; // a request failed on the way: retry the same attempt

export interface AttemptState {
  phase: AttemptPhase;
  attempt: Attempt | null;
  /** The sentence of the page's status region. */
  status: string;
  /** The last failed request's error, shown with "Try again" in the "error" phase. */
  failure: unknown;
  /** The provider's message about the card (a decline), shown beside the card form. */
  cardError: string;
  /** When "waiting" gives up (ms since the epoch). */
  deadline: number;
}

export const IDLE: AttemptState = {
  phase: "idle",
  attempt: null,
  status: "",
  failure: null,
  cardError: "",
  deadline: 0,
};

export type AttemptEvent =
  | { type: "start"; attempt: Attempt }
  | { type: "pledged"; pledge: Pledge }
  | { type: "planned"; start: PlanStart; now: number }
  | { type: "payment"; payment: PaymentStart; now: number }
  | { type: "confirmed"; result: ConfirmResult; now: number }
  | { type: "poll-failed" }
  | { type: "timeout" }
  | { type: "failed"; error: unknown }
  | { type: "reset" };

/** Worth sending again unchanged: no answer, a repeat still running, or a server-side failure. */
export function retryable(error: unknown): boolean {
  return !(error instanceof ApiError) || [0, 409, 429].includes(error.status) || error.status >= 500;
}

/** Where the attempt's payment, as last heard, leaves it. */
function settle(state: AttemptState, now: number): AttemptState {
  const payment = state.attempt?.payment;
  if (!payment) return state;
  if (payment.status === "CAPTURED") return { ...state, phase: "captured", status: "Paid. Thank you!" };
  if (payment.status === "FAILED") return { ...state, phase: "failed", status: "The payment failed." };
  if (payment.status === "PROCESSING" && payment.client_secret && !state.attempt?.confirmed) {
    return { ...state, phase: "card", status: "" };
  }
  const deadline = state.phase === "waiting" ? state.deadline : now + PAYMENT_WAIT_MS;
  const status =
    payment.status === "AUTHORIZED"
      ? "Pending: the bank authorized the payment, completing it…"
      : payment.status === "PROCESSING"
        ? "Pending: waiting for the bank's answer…"
        : state.status;
  return { ...state, phase: "waiting", status, deadline };
}

/** The attempt's state machine: what each event does in each phase (events out of place are ignored). */
export function advance(state: AttemptState, event: AttemptEvent): AttemptState {
  const { phase, attempt } = state;
  switch (event.type) {
    case "start": {
      if (phase !== "idle" && phase !== "error") return state;
      const next = { ...state, attempt: event.attempt, failure: null };
      const { interval } = event.attempt.input;
      if (event.attempt.pledge) return { ...next, phase: "paying", status: "Pending: preparing the payment…" };
      const status = interval
        ? `Pending: setting up your ${intervalAdjective(interval)} gift…`
        : "Pending: recording your pledge…";
      return { ...next, phase: "pledging", status };
    }
    case "pledged":
      if (phase !== "pledging" || !attempt) return state;
      return {
        ...state,
        phase: "paying",
        status: "Pending: preparing the payment…",
        attempt: { ...attempt, pledge: event.pledge, receiptToken: event.pledge.receipt_token },
      };
    case "planned": {
      if (phase !== "pledging" || !attempt) return state;
      const { first_installment: first, manage_token: manageToken, ...plan } = event.start;
      const planned = {
        ...attempt,
        plan,
        manageToken,
        pledge: first.pledge,
        receiptToken: first.pledge.receipt_token,
        payment: first.payment,
      };
      return settle({ ...state, phase: "paying", attempt: planned }, event.now);
    }
    case "payment":
      if ((phase !== "paying" && phase !== "waiting") || !attempt) return state;
      return settle({ ...state, attempt: { ...attempt, payment: event.payment } }, event.now);
    case "confirmed": {
      if (phase !== "card" || !attempt?.payment) return state;
      const { error } = event.result;
      const cardError = error ? cardErrorMessage(error) : "";
      // The card never reached the provider: the form stays, to be sent again.
      if (error?.type === "api_connection_error") return { ...state, cardError };
      return settle({ ...state, cardError, attempt: { ...attempt, confirmed: true } }, event.now);
    }
    case "poll-failed":
      if (phase !== "waiting") return state;
      return { ...state, status: "Pending: checking the payment again (connection problem)…" };
    case "timeout":
      if (phase !== "waiting") return state;
      return { ...state, phase: "stuck", status: "Still pending." };
    case "failed":
      if (phase !== "pledging" && phase !== "paying") return state;
      return {
        ...state,
        failure: event.error,
        status: "",
        phase: attempt?.pledge || retryable(event.error) ? "error" : "idle",
      };
    case "reset":
      return IDLE;
  }
}
