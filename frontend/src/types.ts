// The public API shapes of SPEC §3. Money is always an integer of minor units beside a lowercase
// ISO-4217 currency (SPEC §2).

export interface User {
  id: number;
  email: string;
  name: string;
  role: "donor" | "staff";
  created_at: string;
}

export interface Tokens {
  access: string;
  refresh: string;
  user: User;
}

export interface Page<T> {
  next: string | null;
  previous: string | null;
  results: T[];
}

export type CampaignStatus = "draft" | "active" | "closed";

export interface Campaign {
  id: number;
  title: string;
  description: string;
  goal_amount: number;
  currency: string;
  status: CampaignStatus;
  created_at: string;
  updated_at: string;
  pending_amount: number;
  authorized_amount: number;
  captured_amount: number;
  failed_amount: number;
  refunded_amount: number;
  current_amount: number;
  total_pledges: number;
  total_payments: number;
}

export type PledgeStatus = "PENDING" | "AUTHORIZED" | "CAPTURED" | "REFUNDED" | "FAILED";

export interface Donation {
  pledge_id: number;
  amount: number;
  currency: string;
  status: PledgeStatus;
  donor_name: string;
  occurred_at: string;
}

export interface Pledge {
  id: number;
  campaign_id: number;
  user_id: number | null;
  donor_name: string;
  anonymous: boolean;
  amount: number;
  currency: string;
  status: PledgeStatus;
  /** What went back to the donor: REFUNDED when it is the whole amount (SPEC §3). */
  refunded_amount: number;
  created_at: string;
  updated_at: string;
  /** Only on a guest's 201: lets the guest read the pledge and pay it later. */
  receipt_token?: string;
}

export type PaymentStatus = "PROCESSING" | "AUTHORIZED" | "CAPTURED" | "REFUNDED" | "FAILED";

export interface Payment {
  id: number;
  pledge_id: number;
  campaign_id: number;
  amount: number;
  currency: string;
  status: PaymentStatus;
  provider_payment_id: string | null;
  failure_reason: string | null;
  refunded_amount: number;
  /** What the provider reports about the card: never more than its brand and last four digits. */
  card_brand: string | null;
  card_last4: string | null;
  created_at: string;
  updated_at: string;
}

/** The answer to a browser-confirmed POST /api/payments: what Stripe.js confirms it with. */
export interface PaymentStart extends Payment {
  client_secret?: string;
  publishable_key?: string;
}

/** One refund of a payment (SPEC §3): counted once the provider says it succeeded. */
export interface Refund {
  id: number;
  payment_id: number;
  amount: number;
  currency: string;
  status: "pending" | "succeeded" | "failed";
  source?: "staff" | "provider" | "dispute";
  reason: string;
  created_at: string;
}
