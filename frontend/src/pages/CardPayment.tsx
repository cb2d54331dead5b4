import { useRef, useState } from "react";

import { ErrorNotice, Loading } from "../components";
import { TEST_CARDS, type ConfirmResult, type PaymentConfig } from "../stripe";
import { usePaymentElement } from "./usePaymentElement";

interface Props {
  config: PaymentConfig;
  clientSecret: string;
  publishableKey: string;
  amountLabel: string;
  /** Called with Stripe.js's answer. It is the browser's word only: the page still asks the platform. */
  onConfirmed: (result: ConfirmResult) => void;
}

/** The sandbox's test cards, above the card form while the provider is the sandbox. */
export function TestCards({ config }: { config: PaymentConfig }) {
  if (!config.sandbox) return null;
  return (
    <div className="hint test-cards" id="test-cards">
      <p>Test cards (any future expiry date, any security code):</p>
      <ul>
        {TEST_CARDS.map((card) => (
          <li key={card.number}>
            <code>{card.number}</code> {card.outcome}
          </li>
        ))}
      </ul>
    </div>
  );
}

/**
 * The provider's Payment Element (usePaymentElement) and the button that confirms the payment
 * with it. The page only learns whether the form is complete, and the provider's answer.
 */
export function CardPayment({ config, clientSecret, publishableKey, amountLabel, onConfirmed }: Props) {
  const element = usePaymentElement(config, publishableKey, clientSecret);
  const confirming = useRef(false);
  const [busy, setBusy] = useState(false);

  async function confirm() {
    const current = element.mounted();
    if (!current || confirming.current) return; // a double click confirms once
    confirming.current = true;
    setBusy(true);
    try {
      const result = await current.stripe.confirmPayment({ elements: current.elements, redirect: "if_required" });
      // A card the form itself refused (incomplete, mistyped) stays here to be corrected.
      if (result.error?.type !== "validation_error") onConfirmed(result);
    } finally {
      confirming.current = false;
      setBusy(false);
    }
  }

  const { ready, loadFailure } = element;
  return (
    <div className="card-payment">
      <TestCards config={config} />
      <div ref={element.container} className="payment-element" data-testid="payment-element" />
      {!ready && loadFailure === null && <Loading label="Loading the secure card form…" />}
      {loadFailure !== null && <ErrorNotice error={loadFailure} onRetry={element.reload} />}
      <button type="button" className="button-large" disabled={!ready || busy} aria-busy={busy} onClick={() => void confirm()}>
        {busy ? "Processing…" : `Donate ${amountLabel}`}
      </button>
      <p className="hint">Your card details go straight to our payment provider; CareForAll never sees them.</p>
    </div>
  );
}
