import { useState } from "react";

import { describeError } from "../../api";
import { paymentGet } from "../../endpoints";
import { isAbort, usePolling } from "../../hooks";
import {
  CHECK_LABELS,
  NotYetSigned,
  verdict,
  verifyMyGift,
  type TransparencyBlock,
} from "../../transparency/gift";
import type { GiftVerification } from "../../transparency/verify";
import type { Payment } from "../../types";

const LOGGED = new Set(["CAPTURED", "REFUNDED"]);
const BLOCK_POLL_MS = 2000;

/** The payment's transparency block, as its donor (or receipt token) reads it. */
export function transparencyOf(payment: Payment | null): TransparencyBlock | null {
  const block = (payment as (Payment & { transparency?: TransparencyBlock | null }) | null)
    ?.transparency;
  return block ?? null;
}

type Outcome =
  | { state: "idle" }
  | { state: "checking" }
  | { state: "done"; result: GiftVerification }
  | { state: "pending"; message: string }
  | { state: "error"; message: string };

/**
 * "Verify my gift": the gift's entry in its campaign's transparency log, and, on request, the
 * checks of verifyGift run in the browser, each shown with its result.
 */
export function VerifyGift({ payment, token }: { payment: Payment | null; token: string | null }) {
  const [block, setBlock] = useState<TransparencyBlock | null>(null);
  const [outcome, setOutcome] = useState<Outcome>({ state: "idle" });
  const known = block ?? transparencyOf(payment);
  const captured = payment !== null && LOGGED.has(payment.status);

  // The capture is logged a moment after it is made: ask again until the block comes.
  usePolling(
    async (signal) => {
      if (!captured || known || payment === null) return false;
      try {
        setBlock(transparencyOf(await paymentGet(payment.id, token, signal)));
      } catch (error) {
        if (isAbort(error)) return false;
      }
      return true;
    },
    BLOCK_POLL_MS,
    [payment?.id, captured, known === null, token],
  );

  if (!captured || payment === null) return null;
  if (!known) {
    return (
      <section className="verify-gift" aria-labelledby="verify-gift-title">
        <h2 id="verify-gift-title">Verify my gift</h2>
        <p data-testid="verify-waiting">
          Your gift is being added to the campaign’s public transparency log…
        </p>
      </section>
    );
  }

  const run = async () => {
    setOutcome({ state: "checking" });
    try {
      setOutcome({ state: "done", result: await verifyMyGift(known, payment.id) });
    } catch (error) {
      if (error instanceof NotYetSigned) setOutcome({ state: "pending", message: error.message });
      else setOutcome({ state: "error", message: describeError(error).detail });
    }
  };

  return (
    <section className="verify-gift" aria-labelledby="verify-gift-title">
      <h2 id="verify-gift-title">Verify my gift</h2>
      <p>
        Your gift is entry <strong data-testid="verify-index">#{known.index}</strong> of campaign{" "}
        {known.campaign_id}’s public log. Your salt (only you have it):{" "}
        <code className="salt">{known.salt}</code>
      </p>
      <button type="button" onClick={run} disabled={outcome.state === "checking"}>
        {outcome.state === "idle" ? "Verify my gift" : "Check again"}
      </button>
      <div aria-live="polite">
        {outcome.state === "checking" && <p>Checking in your browser…</p>}
        {outcome.state === "pending" && <p data-testid="verify-result">{outcome.message}</p>}
        {outcome.state === "error" && <p data-testid="verify-result">Could not check: {outcome.message}</p>}
        {outcome.state === "done" && <Checks result={outcome.result} />}
      </div>
    </section>
  );
}

export function Checks({ result }: { result: GiftVerification }) {
  return (
    <>
      <p data-testid="verify-result" className={result.ok ? "verified" : "not-verified"}>
        <strong>{verdict(result)}</strong>
      </p>
      <ul className="checks">
        {result.checks.map((check) => (
          <li key={check.name} data-check={check.name} data-ok={check.ok}>
            {check.ok ? "✓" : "✗"} {CHECK_LABELS[check.name]}: {check.detail}
          </li>
        ))}
      </ul>
    </>
  );
}
