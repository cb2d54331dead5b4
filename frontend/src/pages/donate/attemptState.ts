// The donation attempt's data: the attempt itself, its phases and its state. attempt.ts holds
// the events and what each does in each phase.

import type { PledgeInput } from "../../endpoints";
import type { TraceContext } from "../../trace";
import type { PaymentStart, PlanInterval, Pledge, RecurringPlan } from "../../types";

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
 * when the platform refused the pledge itself (a 4xx: the donor corrects the form). A 403
 * `challenge-required` (the payment or the plan) is "challenge": once solved, the same request
 * goes again with the same key and the token.
 */
export type AttemptPhase =
  | "idle" // the form: no attempt yet, or one whose pledge was refused
  | "pledging" // POST /api/pledges (or POST /api/recurring, which also makes the first payment)
  | "paying" // POST /api/payments
  | "challenge" // the platform asks for the card-testing challenge first
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
  /** The challenge's solved token, not sent yet (single use: the next start takes it). */
  challengeToken: string;
  /** The request on its way carries a token. */
  challengeSent: boolean;
  /** Tokens the platform refused in a row: each resets the widget. */
  challengeRefused: number;
}

export const IDLE: AttemptState = {
  phase: "idle",
  attempt: null,
  status: "",
  failure: null,
  cardError: "",
  deadline: 0,
  challengeToken: "",
  challengeSent: false,
  challengeRefused: 0,
};
