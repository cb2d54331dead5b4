import { useRef, useState } from "react";

import { ErrorNotice, Loading } from "../components";
import { TEST_CARDS, type ConfirmResult, type PaymentConfig } from "../stripe";
import { usePaymentElement, type MountedElement } from "./usePaymentElement";

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

interface FormProps<R> {
  config: PaymentConfig;
  publishableKey: string;
  clientSecret: string;
  /** The button's words. */
  label: string;
  /** Stripe.js's confirmation with the mounted elements: confirmPayment or confirmSetup. */
  confirm: (mounted: MountedElement) => Promise<R>;
  /** Stripe.js's answer. It is the browser's word only: the page still asks the platform. */
  onResult: (result: R) => void;
}

/**
 * The provider's Payment Element (usePaymentElement) and the button that confirms the intent
 * with it. The page only learns whether the form is complete, and the provider's answer.
 */
export function PaymentElementForm<R extends { error?: { type: string } }>(props: FormProps<R>) {
  const { config, label, confirm, onResult } = props;
  const element = usePaymentElement(config, props.publishableKey, props.clientSecret);
  const confirming = useRef(false);
  const [busy, setBusy] = useState(false);

  async function submit() {
    const current = element.mounted();
    if (!current || confirming.current) return; // a double click confirms once
    confirming.current = true;
    setBusy(true);
    try {
      const result = await confirm(current);
      // A card the form itself refused (incomplete, mistyped) stays here to be corrected.
      if (result.error?.type !== "validation_error") onResult(result);
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
      <button type="button" className="button-large" disabled={!ready || busy} aria-busy={busy} onClick={() => void submit()}>
        {busy ? "Processing…" : label}
      </button>
      <p className="hint">Your card details go straight to our payment provider; CareForAll never sees them.</p>
    </div>
  );
}

/** The card form of a PaymentIntent: "Donate …" confirms the payment. */
export function CardPayment({ config, clientSecret, publishableKey, amountLabel, onConfirmed }: Props) {
  return (
    <PaymentElementForm
      config={config}
      publishableKey={publishableKey}
      clientSecret={clientSecret}
      label={`Donate ${amountLabel}`}
      confirm={({ stripe, elements }) => stripe.confirmPayment({ elements, redirect: "if_required" })}
      onResult={onConfirmed}
    />
  );
}
