// Stripe.js, loaded from the address the platform's configuration gives (SPEC §3): Stripe's own
// script, or the sandbox's stand-in with the same surface. The site's code is the same for both;
// only the script URL and the publishable key differ, and neither is part of the build.

import { request } from "./api";
import type { ChallengeConfig } from "./challenge";

export interface PaymentConfig {
  publishable_key: string;
  js_url: string;
  /** The provider is the local sandbox: no real money moves, and test cards are shown. */
  sandbox: boolean;
  /** The card-testing challenge's widget: shown only when a payment attempt is answered 403. */
  challenge?: ChallengeConfig;
}

/** The part of Stripe.js this site uses. */
export interface StripeError {
  type: string;
  code?: string;
  decline_code?: string;
  message?: string;
}

export interface StripePaymentIntent {
  id: string;
  status: string;
}

export type ConfirmResult = { error: StripeError; paymentIntent?: undefined } | { paymentIntent: StripePaymentIntent; error?: undefined };

/** Stripe.js's answer to confirmSetup: the card is saved on the customer once it succeeded. */
export type SetupResult = { error: StripeError; setupIntent?: undefined } | { setupIntent: { id: string; status: string }; error?: undefined };

export interface StripeChangeEvent {
  complete: boolean;
  empty: boolean;
}

export interface StripePaymentElement {
  mount(target: HTMLElement | string): void;
  on(event: "ready" | "focus" | "blur", handler: () => void): StripePaymentElement;
  on(event: "change", handler: (event: StripeChangeEvent) => void): StripePaymentElement;
  destroy(): void;
}

export interface StripeElements {
  create(type: "payment", options?: Record<string, unknown>): StripePaymentElement;
}

export interface StripeInstance {
  elements(options: { clientSecret: string; appearance?: Record<string, unknown> }): StripeElements;
  confirmPayment(options: { elements: StripeElements; redirect: "if_required"; confirmParams?: Record<string, unknown> }): Promise<ConfirmResult>;
  confirmSetup(options: { elements: StripeElements; redirect: "if_required"; confirmParams?: Record<string, unknown> }): Promise<SetupResult>;
  /** 3-D Secure (or any next action) of a PaymentIntent in ``requires_action``. */
  handleNextAction(options: { clientSecret: string }): Promise<ConfirmResult>;
  retrievePaymentIntent(clientSecret: string): Promise<{ paymentIntent?: StripePaymentIntent; error?: StripeError }>;
}

type StripeFactory = (publishableKey: string) => StripeInstance;

declare global {
  interface Window {
    Stripe?: StripeFactory;
  }
}

let config: Promise<PaymentConfig> | null = null;

/** The platform's payment configuration, asked once per page load (a failure is asked again). */
export function paymentConfig(): Promise<PaymentConfig> {
  config ??= request<PaymentConfig>("/api/payments/config", { auth: "none" }).catch((error: unknown) => {
    config = null;
    throw error;
  });
  return config;
}

const scripts = new Map<string, Promise<StripeFactory>>();

/** Load Stripe.js from ``url`` once; resolves with its ``Stripe`` function. */
export function loadStripe(url: string): Promise<StripeFactory> {
  let loading = scripts.get(url);
  if (!loading) {
    loading = new Promise<StripeFactory>((resolve, reject) => {
      const script = document.createElement("script");
      script.src = url;
      script.async = true;
      script.onload = () => (window.Stripe ? resolve(window.Stripe) : reject(new Error("Stripe.js did not load.")));
      script.onerror = () => {
        scripts.delete(url);
        script.remove();
        reject(new Error("The payment form could not be loaded. Check your connection and try again."));
      };
      document.head.appendChild(script);
    });
    scripts.set(url, loading);
  }
  return loading;
}

/** What a donor reads when the provider refused the card (the page never decides it was paid). */
export function cardErrorMessage(error: StripeError): string {
  if (error.code === "payment_intent_authentication_failure") {
    return "Your bank's security check (3-D Secure) was not completed, so the card was not charged.";
  }
  if (error.decline_code === "insufficient_funds") return "Your card has insufficient funds.";
  if (error.type === "card_error") return error.message ?? "Your card was declined.";
  return error.message ?? "The payment could not be completed.";
}

/** The platform's ``failure_reason`` of a FAILED payment, in words. */
export function failureMessage(reason: string | null): string {
  if (!reason) return "The bank declined the card.";
  if (reason === "abandoned") return "The payment was not completed in time, so it was canceled.";
  if (reason === "payment_intent_authentication_failure") {
    return "Your bank's security check (3-D Secure) was not completed.";
  }
  if (reason.endsWith("insufficient_funds")) return "Your card has insufficient funds.";
  if (reason.startsWith("card_declined")) return `The bank declined the card (${reason}).`;
  return `The payment failed: ${reason}.`;
}

/** "Visa •••• 4242", or null when the provider reported no card. */
export function cardLabel(brand: string | null, last4: string | null): string | null {
  if (!last4) return null;
  const names: Record<string, string> = { visa: "Visa", mastercard: "Mastercard", amex: "American Express", discover: "Discover" };
  const name = brand ? (names[brand] ?? brand.charAt(0).toUpperCase() + brand.slice(1)) : "Card";
  return `${name} •••• ${last4}`;
}

/** The test cards, shown only while the provider is the sandbox. */
export const TEST_CARDS = [
  { number: "4242 4242 4242 4242", outcome: "succeeds" },
  { number: "4000 0000 0000 0002", outcome: "is declined" },
  { number: "4000 0000 0000 9995", outcome: "is declined: insufficient funds" },
  { number: "4000 0025 0000 3155", outcome: "asks for 3-D Secure" },
] as const;
