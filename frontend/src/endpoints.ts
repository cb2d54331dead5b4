// The calls of SPEC §3 the donor site makes.

import { pagePath, request, withQuery, type RequestOptions } from "./api";
import { setSession } from "./session";
import type { TraceContext } from "./trace";
import type { Campaign, Donation, Page, Payment, PaymentStart, Pledge, Refund, Tokens, User } from "./types";

/** Follow ``next`` when given, else load the first page at ``first``. */
function page<T>(first: string, next: string | null | undefined, options: RequestOptions) {
  return request<Page<T>>(next ? (pagePath(next) ?? first) : first, options);
}

// Public reads never send a token: an expired one would be a 401 there (SPEC §2), not a guest.

export function campaignsList(next?: string | null, signal?: AbortSignal) {
  return page<Campaign>("/api/campaigns?status=active&page_size=20", next, { signal, auth: "none" });
}

export function campaignGet(id: number, signal?: AbortSignal) {
  return request<Campaign>(`/api/campaigns/${id}`, { signal, auth: "none" });
}

export function donationsList(campaignId: number, next?: string | null, signal?: AbortSignal) {
  return page<Donation>(`/api/campaigns/${campaignId}/donations?page_size=20`, next, {
    signal,
    auth: "none",
  });
}

export interface PledgeInput {
  campaign_id: number;
  amount: number;
  currency: string;
  anonymous: boolean;
  donor_name?: string;
  donor_email?: string;
}

// A donation attempt passes its trace to the three calls below, so that its pledge, its payment
// and the polling of that payment are one trace (src/trace.ts).

export function pledgeCreate(input: PledgeInput, key: string, signedIn: boolean, trace?: TraceContext) {
  return request<Pledge>("/api/pledges", {
    method: "POST",
    body: input,
    idempotencyKey: key,
    auth: signedIn ? "auto" : "none",
    trace,
  });
}

export function pledgeGet(id: number, receiptToken?: string | null, signal?: AbortSignal) {
  return request<Pledge>(withQuery(`/api/pledges/${id}`, { receipt_token: receiptToken }), {
    signal,
    auth: receiptToken ? "none" : "auto",
  });
}

export function myPledges(next?: string | null, signal?: AbortSignal) {
  return page<Pledge>("/api/pledges?page_size=20", next, { signal });
}

/** A browser-confirmed payment: no payment method; the card goes to the provider only. */
export interface PaymentInput {
  pledge_id: number;
  receipt_token?: string;
  /** The card-testing challenge's answer, after a 403 `challenge-required` (SPEC §3). */
  challenge_token?: string;
}

export function paymentCreate(input: PaymentInput, key: string, trace?: TraceContext) {
  return request<PaymentStart>("/api/payments", {
    method: "POST",
    body: input,
    idempotencyKey: key,
    auth: input.receipt_token ? "none" : "auto",
    trace,
  });
}

export function paymentGet(
  id: number,
  receiptToken?: string | null,
  signal?: AbortSignal,
  trace?: TraceContext,
) {
  return request<Payment>(withQuery(`/api/payments/${id}`, { receipt_token: receiptToken }), {
    signal,
    auth: receiptToken ? "none" : "auto",
    trace,
  });
}

/** A payment's refunds, oldest first: its donor's, staff's, or with the pledge's receipt token. */
export function paymentRefunds(id: number, receiptToken?: string | null, signal?: AbortSignal) {
  return request<{ results: Refund[] }>(
    withQuery(`/api/payments/${id}/refunds`, { receipt_token: receiptToken }),
    { signal, auth: receiptToken ? "none" : "auto" },
  );
}

export async function signIn(email: string, password: string): Promise<User> {
  const tokens = await request<Tokens>("/api/auth/token", {
    method: "POST",
    body: { email, password },
    auth: "none",
  });
  setSession(tokens);
  return tokens.user;
}

export async function register(email: string, password: string, name: string): Promise<User> {
  await request<User>("/api/auth/register", {
    method: "POST",
    body: { email, password, name },
    auth: "none",
  });
  return signIn(email, password);
}

export function signOut(): void {
  setSession(null);
}
