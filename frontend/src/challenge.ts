// The card-testing challenge (SPEC §3 "Card-testing defence"): a widget compatible with
// Cloudflare Turnstile, loaded from the `script_url` of GET /api/payments/config only when the
// platform answers a payment attempt with a 403 `challenge-required`. Cloudflare's script in
// production, the sandbox's stand-in (the same surface) in development.

import { ApiError } from "./api";

/** `challenge` of GET /api/payments/config. The site only uses the key and the script. */
export interface ChallengeConfig {
  mode: "off" | "on" | "auto";
  active: boolean;
  site_key: string;
  script_url: string;
}

/** The part of Turnstile's script this site uses. */
export interface Turnstile {
  render(
    container: HTMLElement,
    params: {
      sitekey: string;
      callback: (token: string) => void;
      "error-callback": (code?: string) => boolean | void;
      "expired-callback": () => void;
    },
  ): string | undefined;
  reset(widgetId: string): void;
  remove(widgetId: string): void;
}

declare global {
  interface Window {
    turnstile?: Turnstile;
  }
}

const scripts = new Map<string, Promise<Turnstile>>();

/** Load the challenge script from ``url`` once; resolves with ``window.turnstile``. */
export function loadTurnstile(url: string): Promise<Turnstile> {
  let loading = scripts.get(url);
  if (!loading) {
    loading = new Promise<Turnstile>((resolve, reject) => {
      const fail = (script: HTMLScriptElement) => {
        scripts.delete(url);
        script.remove();
        reject(new Error("The security check could not be loaded. Check your connection and try again."));
      };
      const script = document.createElement("script");
      script.src = url;
      script.async = true;
      script.onload = () => (window.turnstile ? resolve(window.turnstile) : fail(script));
      script.onerror = () => fail(script);
      document.head.appendChild(script);
    });
    scripts.set(url, loading);
  }
  return loading;
}

/** "Try again in 5 minutes" for a 429's `Retry-After` (seconds, rounded up to whole minutes). */
export function retryAfterText(seconds: number | null): string {
  if (seconds === null) return "";
  const minutes = Math.max(1, Math.ceil(seconds / 60));
  return `Try again in ${minutes} ${minutes === 1 ? "minute" : "minutes"}.`;
}

/** The wait a 429 asks for, in words, or "" for any other error. */
export function waitText(error: unknown): string {
  return error instanceof ApiError && error.status === 429 ? retryAfterText(error.retryAfter) : "";
}

/** How many refused tokens in a row end the automatic retries (then the donor is told). */
export const MAX_REFUSED_TOKENS = 3;
