import { useEffect, useRef, useState } from "react";

import { isAbort, usePolling } from "../../hooks";
import { planGet } from "../../recurring";
import { cardErrorMessage, loadStripe, paymentConfig, type ConfirmResult, type StripeInstance } from "../../stripe";
import type { PendingAuthentication, RecurringPlan } from "../../types";

export const AUTH_POLL_MS = 1000;
export const AUTH_WAIT_MS = 90_000;

/**
 * loading → nothing (no payment of this installment waits for the donor) | ready → authenticating
 * (Stripe.js: the bank's check) → card (the intent wants the card again: the Payment Element) →
 * waiting (the plan is read until the platform has heard the outcome) → done | stuck.
 */
export type AuthPhase = "loading" | "nothing" | "ready" | "authenticating" | "card" | "waiting" | "done" | "stuck";

export interface InstallmentAuth {
  phase: AuthPhase;
  plan: RecurringPlan | null;
  pending: PendingAuthentication | null;
  failure: unknown;
  /** The provider's word (a failed check, a declined card): the donor may try again. */
  cardError: string;
  authenticate: () => Promise<void>;
  /** Stripe.js answered confirmPayment in the card form. */
  confirmed: (result: ConfirmResult) => void;
  reload: () => void;
}

/** Stripe.js for ``publishableKey``, from the platform's configured script. */
async function defaultStripe(publishableKey: string): Promise<StripeInstance> {
  const config = await paymentConfig();
  return (await loadStripe(config.js_url))(publishableKey);
}

/** The payment waiting for this installment, if the plan names one (and it is this installment's). */
export function pendingFor(plan: RecurringPlan, pledgeId: number): PendingAuthentication | null {
  const pending = plan.pending_authentication ?? null;
  if (!pending || (pending.pledge_id !== undefined && pending.pledge_id !== pledgeId)) return null;
  return pending;
}

/** The 3-D Secure page of installment ``pledgeId`` of plan ``planId`` (from the dunning email). */
export function useInstallmentAuth(
  planId: number,
  pledgeId: number,
  manageToken: string | null,
  stripeFor: (publishableKey: string) => Promise<StripeInstance> = defaultStripe,
): InstallmentAuth {
  const [phase, setPhase] = useState<AuthPhase>("loading");
  const [plan, setPlan] = useState<RecurringPlan | null>(null);
  const [pending, setPending] = useState<PendingAuthentication | null>(null);
  const [failure, setFailure] = useState<unknown>(null);
  const [cardError, setCardError] = useState("");
  const [reloads, setReloads] = useState(0);
  const busy = useRef(false);
  const deadline = useRef(0);

  useEffect(() => {
    const controller = new AbortController();
    setFailure(null);
    planGet(planId, manageToken, controller.signal).then(
      (found) => {
        const waiting = pendingFor(found, pledgeId);
        setPlan(found);
        setPending(waiting);
        setPhase(waiting ? "ready" : "nothing");
      },
      (error) => !isAbort(error) && setFailure(error),
    );
    return () => controller.abort();
  }, [planId, pledgeId, manageToken, reloads]);

  function wait() {
    deadline.current = Date.now() + AUTH_WAIT_MS;
    setPhase("waiting");
  }

  function answered(result: ConfirmResult, retry: AuthPhase) {
    if (result.error) {
      setCardError(cardErrorMessage(result.error));
      setPhase(retry);
    } else {
      wait();
    }
  }

  async function authenticate() {
    if (!pending || busy.current || phase !== "ready") return;
    busy.current = true;
    setPhase("authenticating");
    setCardError("");
    try {
      const stripe = await stripeFor(pending.publishable_key);
      const { paymentIntent, error } = await stripe.retrievePaymentIntent(pending.client_secret);
      if (error || !paymentIntent) {
        answered({ error: error ?? { type: "api_error" } }, "ready");
      } else if (paymentIntent.status === "requires_action") {
        answered(await stripe.handleNextAction({ clientSecret: pending.client_secret }), "ready");
      } else if (paymentIntent.status === "requires_payment_method" || paymentIntent.status === "requires_confirmation") {
        setPhase("card"); // the bank wants the card confirmed here: the Payment Element
      } else {
        wait(); // already confirmed: the platform will say how it ended
      }
    } catch (error) {
      setFailure(error);
      setPhase("ready");
    } finally {
      busy.current = false;
    }
  }

  usePolling(
    async (signal) => {
      if (phase !== "waiting" || !pending) return false;
      try {
        const fresh = await planGet(planId, manageToken, signal);
        setPlan(fresh);
        if (fresh.pending_authentication?.payment_id !== pending.payment_id) {
          setPhase("done");
          return false;
        }
      } catch (error) {
        if (isAbort(error)) return false;
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
    pending,
    failure,
    cardError,
    authenticate,
    confirmed: (result) => phase === "card" && answered(result, "card"),
    reload: () => setReloads((n) => n + 1),
  };
}
