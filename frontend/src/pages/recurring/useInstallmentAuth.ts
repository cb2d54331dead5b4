import { useEffect, useRef, useState } from "react";

import { ApiError } from "../../api";
import { paymentGet } from "../../endpoints";
import { isAbort, usePolling } from "../../hooks";
import { newIdempotencyKey } from "../../keys";
import { installmentAuthenticate, planGet } from "../../recurring";
import { cardErrorMessage, loadStripe, paymentConfig, type ConfirmResult, type StripeInstance } from "../../stripe";
import type { InstallmentAuthStart, Payment, RecurringPlan } from "../../types";
import { useChallenge, type ChallengeAsk } from "../useChallenge";

export const AUTH_POLL_MS = 1000;
export const AUTH_WAIT_MS = 90_000;

/**
 * loading → nothing (no payment of this installment waits) | ready → starting (POST …/authenticate:
 * a new attempt of the period) [→ challenge, when the platform asks] → authenticating (Stripe.js:
 * the bank's check) | card (the intent wants the card: the Payment Element) → waiting (the new
 * payment is read until it is final) → captured | failed | stuck. A 409 (no longer pending): gone.
 */
export type AuthPhase =
  | "loading" | "nothing" | "ready" | "starting" | "challenge" | "authenticating" | "card"
  | "waiting" | "captured" | "failed" | "stuck" | "gone";

export interface InstallmentAuth {
  phase: AuthPhase;
  plan: RecurringPlan | null;
  /** The new attempt (its pledge and payment) once the platform made it. */
  start: InstallmentAuthStart | null;
  /** The new payment as last read. */
  payment: Payment | null;
  failure: unknown;
  /** The provider's word (a failed check, a declined card). */
  cardError: string;
  challenge: ChallengeAsk;
  authenticate: (token?: string) => Promise<void>;
  /** Stripe.js answered confirmPayment in the card form. */
  confirmed: (result: ConfirmResult) => void;
  reload: () => void;
}

/** Stripe.js for ``publishableKey``, from the platform's configured script. */
async function defaultStripe(publishableKey: string): Promise<StripeInstance> {
  const config = await paymentConfig();
  return (await loadStripe(config.js_url))(publishableKey);
}

/** Whether the plan says that installment ``pledgeId`` waits for the donor's authentication. */
export function waitsFor(plan: RecurringPlan, pledgeId: number): boolean {
  return plan.pending_authentication?.pledge_id === pledgeId;
}

/** The 3-D Secure page of installment ``pledgeId`` of plan ``planId`` (from the email's link). */
export function useInstallmentAuth(
  planId: number,
  pledgeId: number,
  manageToken: string | null,
  stripeFor: (publishableKey: string) => Promise<StripeInstance> = defaultStripe,
): InstallmentAuth {
  const [phase, setPhase] = useState<AuthPhase>("loading");
  const [plan, setPlan] = useState<RecurringPlan | null>(null);
  const [start, setStart] = useState<InstallmentAuthStart | null>(null);
  const [payment, setPayment] = useState<Payment | null>(null);
  const [failure, setFailure] = useState<unknown>(null);
  const [cardError, setCardError] = useState("");
  const [reloads, setReloads] = useState(0);
  const challenge = useChallenge();
  const busy = useRef(false);
  const key = useRef<string | null>(null); // one new attempt: every retry sends the same key
  const deadline = useRef(0);

  useEffect(() => {
    const controller = new AbortController();
    setFailure(null);
    key.current = null;
    planGet(planId, manageToken, controller.signal).then(
      (found) => {
        setPlan(found);
        setPhase(waitsFor(found, pledgeId) ? "ready" : "nothing");
      },
      (error) => !isAbort(error) && setFailure(error),
    );
    return () => controller.abort();
  }, [planId, pledgeId, manageToken, reloads]);

  function refreshPlan() {
    planGet(planId, manageToken).then(setPlan, () => undefined);
  }

  function wait() {
    deadline.current = Date.now() + AUTH_WAIT_MS;
    setPhase("waiting");
  }

  /** Stripe.js's answer: a check that never reached the provider can be tried again (same key). */
  function answered(result: ConfirmResult, retry: AuthPhase) {
    const { error } = result;
    setCardError(error ? cardErrorMessage(error) : "");
    if (error?.type === "api_connection_error") setPhase(retry);
    else wait(); // the platform says how it ended (a failed check fails the payment)
  }

  async function complete({ payment: made }: InstallmentAuthStart) {
    setPayment(made);
    if (made.status !== "PROCESSING" || !made.client_secret || !made.publishable_key) return wait();
    setPhase("authenticating");
    const stripe = await stripeFor(made.publishable_key);
    const { paymentIntent, error } = await stripe.retrievePaymentIntent(made.client_secret);
    if (error || !paymentIntent) return answered({ error: error ?? { type: "api_connection_error" } }, "ready");
    if (paymentIntent.status === "requires_action") {
      answered(await stripe.handleNextAction({ clientSecret: made.client_secret }), "ready");
    } else if (paymentIntent.status === "requires_payment_method" || paymentIntent.status === "requires_confirmation") {
      setPhase("card"); // the bank wants the card confirmed here: the Payment Element
    } else {
      wait();
    }
  }

  /** A 409: the installment no longer waits (paid, retried, the plan changed), or still runs. */
  async function conflict(error: unknown) {
    const fresh = await planGet(planId, manageToken).catch(() => null);
    if (fresh) setPlan(fresh);
    if (fresh && !waitsFor(fresh, pledgeId)) return setPhase("gone");
    setFailure(error);
    setPhase("ready");
  }

  async function authenticate(token = "") {
    if (busy.current || (phase !== "ready" && phase !== "challenge")) return;
    busy.current = true;
    setFailure(null);
    setCardError("");
    setPhase("starting");
    key.current ??= newIdempotencyKey();
    try {
      const made = await installmentAuthenticate(planId, pledgeId, manageToken, key.current, token || undefined);
      challenge.clear();
      setStart(made);
      await complete(made);
    } catch (error) {
      if (challenge.asked(error, Boolean(token))) setPhase("challenge");
      else if (error instanceof ApiError && error.status === 409) await conflict(error);
      else {
        setFailure(error);
        setPhase("ready");
      }
    } finally {
      busy.current = false;
    }
  }

  usePolling(
    async (signal) => {
      if (phase !== "waiting" || !start) return false;
      try {
        const fresh = await paymentGet(start.payment.id, start.pledge.receipt_token, signal);
        setPayment(fresh);
        if (fresh.status === "CAPTURED" || fresh.status === "FAILED") {
          setPhase(fresh.status === "CAPTURED" ? "captured" : "failed");
          refreshPlan();
          return false;
        }
      } catch (error) {
        if (isAbort(error)) return false; // otherwise: asked again at the next tick
      }
      if (Date.now() > deadline.current) {
        setPhase("stuck");
        return false;
      }
      return true;
    },
    AUTH_POLL_MS,
    [phase === "waiting"],
  );

  return {
    phase,
    plan,
    start,
    payment,
    failure,
    cardError,
    challenge,
    authenticate,
    confirmed: (result) => phase === "card" && answered(result, "card"),
    reload: () => setReloads((n) => n + 1),
  };
}
