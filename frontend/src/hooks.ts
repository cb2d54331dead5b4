import { useEffect, useRef, useState, useSyncExternalStore } from "react";

import { getSession, subscribe, type Session } from "./session";
import { paymentConfig, type PaymentConfig } from "./stripe";

export function useSession(): Session | null {
  return useSyncExternalStore(subscribe, getSession);
}

/**
 * Call ``tick`` now and then ``intervalMs`` after each call finishes (never two at once), until
 * it returns false or the component unmounts. Paused while the tab is hidden.
 */
export function usePolling(
  tick: (signal: AbortSignal) => Promise<boolean | void>,
  intervalMs: number,
  deps: readonly unknown[],
): void {
  const tickRef = useRef(tick);
  tickRef.current = tick;
  useEffect(() => {
    const controller = new AbortController();
    let timer: ReturnType<typeof setTimeout> | undefined;
    let running = false;
    let finished = false;
    const run = async () => {
      timer = undefined;
      if (finished || running || document.visibilityState === "hidden") return;
      running = true;
      let again: boolean | void = true;
      try {
        again = await tickRef.current(controller.signal);
      } catch {
        // the tick shows its own errors; an abort ends here too
      }
      running = false;
      if (controller.signal.aborted) return;
      if (again === false) finished = true;
      else timer = setTimeout(run, intervalMs);
    };
    const onVisible = () => {
      if (document.visibilityState === "visible" && timer === undefined) void run();
    };
    document.addEventListener("visibilitychange", onVisible);
    void run();
    return () => {
      finished = true;
      controller.abort();
      clearTimeout(timer);
      document.removeEventListener("visibilitychange", onVisible);
    };
    // The caller names the deps; the latest tick is read through tickRef.
  }, deps);
}

export function isAbort(error: unknown): boolean {
  return error instanceof DOMException && error.name === "AbortError";
}

/** The platform's payment configuration, or null until it arrives (or when it cannot). */
export function usePaymentConfig(): PaymentConfig | null {
  const [config, setConfig] = useState<PaymentConfig | null>(null);
  useEffect(() => {
    let live = true;
    paymentConfig().then(
      (found) => live && setConfig(found),
      () => undefined, // the donate page explains a failure; the banner waits for a reload
    );
    return () => {
      live = false;
    };
  }, []);
  return config;
}
