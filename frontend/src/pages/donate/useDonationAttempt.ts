import { useRef, useState } from "react";

import { ApiError } from "../../api";
import { paymentCreate, paymentGet, pledgeCreate } from "../../endpoints";
import { isAbort, usePolling } from "../../hooks";
import { newIdempotencyKey } from "../../keys";
import type { ConfirmResult } from "../../stripe";
import { planCreate } from "../../recurring";
import { newTrace } from "../../trace";
import type { PaymentStart } from "../../types";
import {
  IDLE,
  PAYMENT_POLL_MS,
  advance,
  type Attempt,
  type AttemptEvent,
  type AttemptState,
  type GiftInput,
} from "./attempt";

/** The attempt's payment: made with its key, or the pledge's existing one (one per pledge, SPEC §3).
 * ``token`` is the challenge's answer, when the platform asked for one. */
async function pay({ pledge, receiptToken, paymentKey, trace }: Attempt, token: string): Promise<PaymentStart> {
  try {
    const input = {
      pledge_id: pledge!.id,
      ...(receiptToken ? { receipt_token: receiptToken } : {}),
      ...(token ? { challenge_token: token } : {}),
    };
    return await paymentCreate(input, paymentKey, trace);
  } catch (error) {
    const existing = error instanceof ApiError ? Number(error.body?.payment_id) : NaN;
    if (error instanceof ApiError && error.status === 409 && existing > 0) {
      return paymentGet(existing, receiptToken, undefined, trace);
    }
    throw error;
  }
}

export interface DonationAttempt extends AttemptState {
  /** A request is on its way or the outcome is awaited: the continue button reads "Processing…". */
  busy: boolean;
  /** The form can no longer change: the pledge exists, or is being made, or the challenge waits. */
  locked: boolean;
  /** Start the attempt, or resume it after an error. ``read`` gives the form's pledge (or null
   * when the form is not valid), with ``interval`` for a monthly or yearly gift; it is asked only
   * while no pledge exists. */
  submit: (read: () => GiftInput | null) => Promise<void>;
  /** The challenge widget is shown: the platform asked for it, or its token is on its way. */
  challenge: boolean;
  /** The challenge is solved: the same request goes again, with the same key and the token. */
  solved: (token: string) => void;
  /** The token expired before it was sent: the widget solves again. */
  expired: () => void;
  /** Stripe.js answered the confirmation: now ask the platform, which hears it from the provider. */
  confirmed: (result: ConfirmResult) => void;
  /** Forget the attempt: the next submission is a new attempt, with a new pledge. */
  startOver: () => void;
}

/** The donate page's payment attempt, for the donor ``userId`` (null for a guest). */
export function useDonationAttempt(userId: number | null): DonationAttempt {
  const [state, setState] = useState(IDLE);
  const current = useRef(IDLE); // the latest state, for the async steps and a second click
  const inFlight = useRef(false);
  const lastRead = useRef<() => GiftInput | null>(() => null);

  function dispatch(event: AttemptEvent) {
    current.current = advance(current.current, event);
    setState(current.current);
  }

  async function submit(read: () => GiftInput | null) {
    const { phase, challengeToken: token } = current.current;
    lastRead.current = read;
    // A double click or a second Enter (even in one task, before a render): one attempt. While
    // the challenge waits, only its answer sends the request again.
    if (inFlight.current || (phase !== "idle" && phase !== "error" && !(phase === "challenge" && token))) return;
    let attempt = current.current.attempt;
    if (!attempt?.pledge) {
      const input = read();
      if (!input) return;
      const fingerprint = JSON.stringify([input, userId]);
      if (!attempt || attempt.fingerprint !== fingerprint) {
        const [pledgeKey, paymentKey] = [newIdempotencyKey(), newIdempotencyKey()];
        attempt = { fingerprint, input, pledgeKey, paymentKey, trace: newTrace() };
      }
    }
    inFlight.current = true;
    dispatch({ type: "start", attempt });
    try {
      const { input, pledgeKey, trace } = attempt;
      const signedIn = userId !== null;
      if (!attempt.pledge && input.interval) {
        // A plan: one call makes it, its first pledge and that pledge's payment.
        const body = { ...input, interval: input.interval, ...(token ? { challenge_token: token } : {}) };
        const start = await planCreate(body, pledgeKey, signedIn, trace);
        dispatch({ type: "planned", start, now: Date.now() });
        return;
      }
      if (!attempt.pledge) {
        dispatch({ type: "pledged", pledge: await pledgeCreate(input, pledgeKey, signedIn, trace) });
      }
      const pledged = current.current.attempt;
      if (pledged?.pledge) dispatch({ type: "payment", payment: await pay(pledged, token), now: Date.now() });
    } catch (error) {
      dispatch({ type: "failed", error });
    } finally {
      inFlight.current = false;
    }
  }

  const waiting = state.phase === "waiting";
  const paymentId = state.attempt?.payment?.id;
  usePolling(
    async (signal) => {
      const { phase, attempt, deadline } = current.current;
      if (phase !== "waiting" || !attempt?.payment) return false;
      try {
        const payment = await paymentGet(attempt.payment.id, attempt.receiptToken, signal, attempt.trace);
        dispatch({ type: "payment", payment, now: Date.now() });
      } catch (error) {
        if (isAbort(error)) return false;
        dispatch({ type: "poll-failed" });
      }
      if (current.current.phase !== "waiting") return false;
      if (Date.now() > deadline) {
        dispatch({ type: "timeout" });
        return false;
      }
      return true;
    },
    PAYMENT_POLL_MS,
    [waiting, paymentId],
  );

  const busy = state.phase === "pledging" || state.phase === "paying" || waiting;
  return {
    ...state,
    busy,
    // While the challenge waits, the request it repeats is the one already sent: the form stays as typed.
    locked: busy || state.phase === "challenge" || Boolean(state.attempt?.pledge),
    submit,
    challenge: state.phase === "challenge" || (state.challengeSent && (state.phase === "pledging" || state.phase === "paying")),
    solved: (token) => {
      dispatch({ type: "solved", token });
      void submit(lastRead.current);
    },
    expired: () => dispatch({ type: "expired" }),
    confirmed: (result) => dispatch({ type: "confirmed", result, now: Date.now() }),
    startOver: () => dispatch({ type: "reset" }),
  };
}
