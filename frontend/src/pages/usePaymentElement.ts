import { useEffect, useRef, useState, type RefObject } from "react";

import { loadStripe, type PaymentConfig, type StripeElements, type StripeInstance } from "../stripe";

// The Payment Element's look follows the site's stylesheet.
const APPEARANCE = {
  theme: "stripe",
  variables: { colorPrimary: "#0b6e4f", colorText: "#1d2327", borderRadius: "6px", fontFamily: "system-ui, sans-serif" },
};

/** Stripe.js and the elements, once mounted: what confirmPayment / confirmSetup take. */
export interface MountedElement {
  stripe: StripeInstance;
  elements: StripeElements;
}

export interface PaymentElementState {
  /** Where the provider's frame is mounted. */
  container: RefObject<HTMLDivElement | null>;
  /** The frame has loaded: the donor can type the card. */
  ready: boolean;
  /** Why Stripe.js could not be loaded, if it could not. */
  loadFailure: unknown;
  reload: () => void;
  mounted: () => MountedElement | null;
}

/**
 * The provider's Payment Element for the intent of ``clientSecret`` (a PaymentIntent's or a
 * SetupIntent's), mounted in its own frame: the card number, expiry and security code are typed
 * there and go from there to the provider. This page never sees them (SPEC §5.9).
 */
export function usePaymentElement(config: PaymentConfig, publishableKey: string, clientSecret: string): PaymentElementState {
  const container = useRef<HTMLDivElement>(null);
  const stripe = useRef<MountedElement | null>(null);
  const [ready, setReady] = useState(false);
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

  return { container, ready, loadFailure, reload: () => setReloads((n) => n + 1), mounted: () => stripe.current };
}
