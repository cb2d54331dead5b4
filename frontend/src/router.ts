// Hash routing (#/campaigns/3): the gateway serves one index.html at `/` and answers 404 for any
// other unknown path, so every page of the site lives in the fragment.

import { useMemo, useSyncExternalStore } from "react";

export type Route =
  | { name: "campaigns" }
  | { name: "campaign"; id: number }
  | { name: "donate"; id: number }
  | { name: "receipt"; pledgeId: number; token: string | null; paymentId: number | null }
  | { name: "signin"; next: string }
  | { name: "register"; next: string }
  | { name: "mine" }
  | { name: "plans" }
  | { name: "plan"; id: number; manageToken: string | null }
  | { name: "authenticate"; planId: number; pledgeId: number; manageToken: string | null }
  | { name: "notfound" };

const ID = /^[1-9]\d{0,15}$/;

function id(text: string | null | undefined): number | null {
  return text && ID.test(text) ? Number(text) : null;
}

/** Only a route of this site may follow a sign-in: "#/…", nothing else. */
export function safeNext(next: string | null | undefined, fallback = "#/"): string {
  return next && next.startsWith("#/") ? next : fallback;
}

export function parseHash(hash: string): Route {
  const raw = hash.replace(/^#/, "");
  const mark = raw.indexOf("?");
  const path = mark === -1 ? raw : raw.slice(0, mark);
  const params = new URLSearchParams(mark === -1 ? "" : raw.slice(mark + 1));
  const parts = path.split("/").filter(Boolean);
  const [first, second, third] = parts;
  if (parts.length === 0) return { name: "campaigns" };
  if (first === "campaigns" && parts.length === 1) return { name: "campaigns" };
  if (first === "campaigns" && parts.length <= 3) {
    const campaignId = id(second);
    if (campaignId !== null && parts.length === 2) return { name: "campaign", id: campaignId };
    if (campaignId !== null && third === "donate") return { name: "donate", id: campaignId };
  }
  if (first === "receipt" && parts.length === 2) {
    const pledgeId = id(second);
    if (pledgeId !== null) {
      return {
        name: "receipt",
        pledgeId,
        token: params.get("token") || null,
        paymentId: id(params.get("payment")),
      };
    }
  }
  if (first === "signin" && parts.length === 1) {
    return { name: "signin", next: safeNext(params.get("next")) };
  }
  if (first === "register" && parts.length === 1) {
    return { name: "register", next: safeNext(params.get("next")) };
  }
  if (first === "my-donations" && parts.length === 1) return { name: "mine" };
  if (first === "recurring") return planRoute(parts, params.get("manage_token") || null);
  return { name: "notfound" };
}

/** #/recurring, #/recurring/{id}, #/recurring/{id}/installments/{pledge id}/authenticate. */
function planRoute(parts: string[], manageToken: string | null): Route {
  if (parts.length === 1) return { name: "plans" };
  const planId = id(parts[1]);
  if (planId === null) return { name: "notfound" };
  if (parts.length === 2) return { name: "plan", id: planId, manageToken };
  const pledgeId = id(parts[3]);
  if (parts.length === 5 && parts[2] === "installments" && pledgeId !== null && parts[4] === "authenticate") {
    return { name: "authenticate", planId, pledgeId, manageToken };
  }
  return { name: "notfound" };
}

export const href = {
  campaigns: () => "#/",
  campaign: (campaignId: number) => `#/campaigns/${campaignId}`,
  donate: (campaignId: number) => `#/campaigns/${campaignId}/donate`,
  receipt: (pledgeId: number, token?: string | null, paymentId?: number | null) => {
    const params = new URLSearchParams();
    if (token) params.set("token", token);
    if (paymentId) params.set("payment", String(paymentId));
    const query = params.toString();
    return `#/receipt/${pledgeId}${query ? `?${query}` : ""}`;
  },
  signIn: (next?: string) => (next ? `#/signin?next=${encodeURIComponent(next)}` : "#/signin"),
  register: (next?: string) => (next ? `#/register?next=${encodeURIComponent(next)}` : "#/register"),
  mine: () => "#/my-donations",
  plans: () => "#/recurring",
  plan: (planId: number, manageToken?: string | null) =>
    `#/recurring/${planId}${manageToken ? `?manage_token=${encodeURIComponent(manageToken)}` : ""}`,
  authenticate: (planId: number, pledgeId: number, manageToken?: string | null) =>
    `#/recurring/${planId}/installments/${pledgeId}/authenticate${
      manageToken ? `?manage_token=${encodeURIComponent(manageToken)}` : ""
    }`,
};

export function navigate(hash: string): void {
  if (window.location.hash === hash) return;
  window.location.hash = hash;
}

function subscribe(listener: () => void): () => void {
  window.addEventListener("hashchange", listener);
  return () => window.removeEventListener("hashchange", listener);
}

export function useHash(): string {
  return useSyncExternalStore(subscribe, () => window.location.hash);
}

export function useRoute(): Route {
  const hash = useHash();
  return useMemo(() => parseHash(hash), [hash]);
}
