// The donation attempt's state machine: pure, so each phase and event reads in one place.
// useDonationAttempt.ts drives it with the API calls and the polling.

import { ApiError, isChallengeRequired } from "../../api";
import { MAX_REFUSED_TOKENS } from "../../challenge";
import { intervalAdjective } from "../../planText";
import { cardErrorMessage, type ConfirmResult } from "../../stripe";
import type { PaymentStart, PlanStart, Pledge } from "../../types";
import { IDLE, type Attempt, type AttemptState } from "./attemptState";

export { IDLE, type Attempt, type AttemptPhase, type AttemptState, type GiftInput } from "./attemptState";

export const PAYMENT_POLL_MS = 700;
export const PAYMENT_WAIT_MS = 90_000;

export type AttemptEvent =
  | { type: "start"; attempt: Attempt }
  | { type: "pledged"; pledge: Pledge }
  | { type: "planned"; start: PlanStart; now: number }
  | { type: "payment"; payment: PaymentStart; now: number }
  | { type: "confirmed"; result: ConfirmResult; now: number }
  | { type: "poll-failed" }
  | { type: "timeout" }
  | { type: "failed"; error: unknown }
  | { type: "solved"; token: string }
  | { type: "expired" }
  | { type: "reset" };

/** Worth sending again unchanged: no answer, a repeat still running, or a server-side failure. */
export function retryable(error: unknown): boolean {
  return !(error instanceof ApiError) || [0, 409, 429].includes(error.status) || error.status >= 500;
}

/** A 403 `challenge-required`: show the widget (reset it when the token sent was refused). After
 * MAX_REFUSED_TOKENS refused tokens in a row, the problem is shown, and "Try again" asks anew. */
function challenged(state: AttemptState, error: unknown): AttemptState {
  const refused = state.challengeRefused + (state.challengeSent ? 1 : 0);
  if (refused >= MAX_REFUSED_TOKENS) {
    return { ...state, phase: "error", failure: error, status: "", challengeSent: false, challengeRefused: 0 };
  }
  const status = "Please complete the security check to continue.";
  return { ...state, phase: "challenge", failure: null, status, challengeSent: false, challengeRefused: refused };
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
      if (phase !== "idle" && phase !== "error" && phase !== "challenge") return state;
      const { challengeToken } = state;
      const next = { ...state, attempt: event.attempt, failure: null, challengeToken: "", challengeSent: !!challengeToken };
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
      if (isChallengeRequired(event.error)) return challenged(state, event.error);
      return {
        ...state,
        failure: event.error,
        status: "",
        phase: attempt?.pledge || retryable(event.error) ? "error" : "idle",
      };
    case "solved":
      return phase === "challenge" ? { ...state, challengeToken: event.token } : state;
    case "expired":
      return phase === "challenge" ? { ...state, challengeToken: "" } : state;
    case "reset":
      return IDLE;
  }
}
