import { useEffect, useRef, useState } from "react";

import { ErrorNotice, Loading } from "../components";
import {
  TEST_CARDS,
  loadStripe,
  type ConfirmResult,
  type PaymentConfig,
  type StripeElements,
  type StripeInstance,
} from "../stripe";

interface Props {
  config: PaymentConfig;
  clientSecret: string;
  publishableKey: string;
  amountLabel: string;
  /** Called with Stripe.js's answer. It is the browser's word only: the page still asks the platform. */
  onConfirmed: (result: ConfirmResult) => void;
}

// The Payment Element's look follows the site's stylesheet.
const APPEARANCE = {
  theme: "stripe",
  variables: { colorPrimary: "#0b6e4f", colorText: "#1d2327", borderRadius: "6px", fontFamily: "system-ui, sans-serif" },
};

/**
 * The provider's Payment Element, mounted in its own frame: the card number, expiry and security
 * code are typed there and go from there to the provider. This page never sees them (SPEC §5.9);
 * it only learns whether the form is complete, and the provider's answer to the confirmation.
 */
export function CardPayment({ config, clientSecret, publishableKey, amountLabel, onConfirmed }: Props) {
  const container = useRef<HTMLDivElement>(null);
  const stripe = useRef<{ stripe: StripeInstance; elements: StripeElements } | null>(null);
  const confirming = useRef(false);
  const [ready, setReady] = useState(false);
  const [busy, setBusy] = useState(false);
  const [loadFailure, setLoadFailure] = useState<unknown>(null);
  const [reloads, setReloads] = useState(0);

  useEffect(() => {
    let live = true;
    let destroy = () => {};
    setLoadFailure(null);
    loadStripe(config.js_url).then(
      (Stripe) => {
        if (!live || !container.current) return;
        const instance = Stripe(publishableKey);
        const elements = instance.elements({ clientSecret, appearance: APPEARANCE });
        const element = elements.create("payment");
        element.on("ready", () => live && setReady(true));
        element.mount(container.current);
        stripe.current = { stripe: instance, elements };
        destroy = () => element.destroy();
      },
      (error: unknown) => live && setLoadFailure(error),
    );
    return () => {
      live = false;
      stripe.current = null;
      destroy();
    };
  }, [config.js_url, publishableKey, clientSecret, reloads]);

  async function confirm() {
    const current = stripe.current;
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

  return (
    <div className="card-payment">
      {config.sandbox && (
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
      )}
      <div ref={container} className="payment-element" data-testid="payment-element" />
      {!ready && loadFailure === null && <Loading label="Loading the secure card form…" />}
      {loadFailure !== null && <ErrorNotice error={loadFailure} onRetry={() => setReloads((n) => n + 1)} />}
      <button type="button" className="button-large" disabled={!ready || busy} aria-busy={busy} onClick={() => void confirm()}>
        {busy ? "Processing…" : `Donate ${amountLabel}`}
      </button>
      <p className="hint">Your card details go straight to our payment provider; CareForAll never sees them.</p>
    </div>
  );
}
