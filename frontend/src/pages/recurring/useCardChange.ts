import { useRef, useState } from "react";

import { isAbort, usePolling } from "../../hooks";
import { planCardStart, planGet } from "../../recurring";
import { cardErrorMessage, type SetupResult } from "../../stripe";
import type { RecurringPlan, SetupStart } from "../../types";
import { useChallenge, type ChallengeAsk } from "../useChallenge";

export const CARD_POLL_MS = 1000;
export const CARD_WAIT_MS = 60_000;

/**
 * idle → starting (POST …/payment-method: a SetupIntent) [→ challenge, when the platform asks for
 * the card-testing challenge: solved, the same request goes with its token] → form (the Payment Element) → waiting
 * (Stripe.js saved the card; the plan is read until the platform reports it) → done | slow.
 */
export type CardPhase = "idle" | "starting" | "challenge" | "form" | "waiting" | "done" | "slow";

export interface CardChange {
  phase: CardPhase;
  setup: SetupStart | null;
  /** Why the SetupIntent could not be made. */
  failure: unknown;
  /** The provider's word on the new card (declined, not authenticated, …): the form stays. */
  cardError: string;
  challenge: ChallengeAsk;
  /** ``token``: the challenge's answer, when the platform asked for one. */
  start: (token?: string) => Promise<void>;
  /** Stripe.js answered confirmSetup. */
  saved: (result: SetupResult) => void;
  close: () => void;
}

type CardOf = Pick<RecurringPlan, "card_brand" | "card_last4" | "updated_at">;

/** The platform has recorded a new card: another card, or the plan changed since (the same card again). */
export function cardChanged(before: CardOf, now: CardOf): boolean {
  return now.card_last4 !== before.card_last4 || now.card_brand !== before.card_brand || now.updated_at !== before.updated_at;
}

/** Replace the card of ``plan``: the new card goes from the provider's frame to the provider only. */
export function useCardChange(
  plan: RecurringPlan | null,
  manageToken: string | null,
  onPlan: (plan: RecurringPlan) => void,
): CardChange {
  const [phase, setPhase] = useState<CardPhase>("idle");
  const [setup, setSetup] = useState<SetupStart | null>(null);
  const [failure, setFailure] = useState<unknown>(null);
  const [cardError, setCardError] = useState("");
  const before = useRef<CardOf | null>(null);
  const deadline = useRef(0);
  const starting = useRef(false);
  const challenge = useChallenge();

  async function start(token = "") {
    if (!plan || starting.current || (phase !== "idle" && phase !== "challenge")) return;
    starting.current = true;
    setPhase("starting");
    setFailure(null);
    setCardError("");
    try {
      setSetup(await planCardStart(plan.id, manageToken, token || undefined));
      challenge.clear();
      setPhase("form");
    } catch (error) {
      if (challenge.asked(error, Boolean(token))) return setPhase("challenge");
      setFailure(error);
      setPhase("idle");
    } finally {
      starting.current = false;
    }
  }

  function saved(result: SetupResult) {
    if (phase !== "form" || !plan) return;
    if (result.error) {
      setCardError(cardErrorMessage(result.error)); // the form stays: correct it or try another card
      return;
    }
    setCardError("");
    before.current = { card_brand: plan.card_brand, card_last4: plan.card_last4, updated_at: plan.updated_at };
    deadline.current = Date.now() + CARD_WAIT_MS;
    setPhase("waiting");
  }

  usePolling(
    async (signal) => {
      if (phase !== "waiting" || !plan || !before.current) return false;
      try {
        const fresh = await planGet(plan.id, manageToken, signal);
        if (cardChanged(before.current, fresh)) {
          onPlan(fresh);
          setPhase("done");
          return false;
        }
      } catch (error) {
        if (isAbort(error)) return false; // otherwise: asked again at the next tick
      }
      if (Date.now() > deadline.current) {
        setPhase("slow");
        return false;
      }
      return true;
    },
    CARD_POLL_MS,
    [phase === "waiting"],
  );

  function close() {
    challenge.clear();
    setPhase("idle");
    setSetup(null);
    setCardError("");
    setFailure(null);
  }

  return { phase, setup, failure, cardError, challenge, start, saved, close };
}
