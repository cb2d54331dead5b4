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
  /** The recurring plan this pledge is an installment of, if any. */
  plan_id?: number | null;
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

export type PlanInterval = "month" | "year";
export type PlanStatus = "incomplete" | "active" | "paused" | "past_due" | "canceled";

/** A monthly or yearly gift (SPEC §3 "Recurring gifts"): each installment is an ordinary pledge. */
export interface RecurringPlan {
  id: number;
  campaign_id: number;
  user_id: number | null;
  donor_name: string;
  anonymous: boolean;
  amount: number;
  currency: string;
  interval: PlanInterval;
  status: PlanStatus;
  next_charge_at: string | null;
  paused_until: string | null;
  card_brand: string | null;
  card_last4: string | null;
  installments_charged: number;
  failed_attempts: number;
  cancel_reason: string | null;
  created_at: string;
  updated_at: string;
  /** The installment waiting for the donor's 3-D Secure, if any (its secrets are never in a read). */
  pending_authentication?: PendingAuthentication | null;
}

/** The installment of a plan that waits for the donor: POST …/installments/{pledge_id}/authenticate. */
export interface PendingAuthentication {
  pledge_id: number;
}

/** The answer to POST /api/recurring/{id}/installments/{pledge_id}/authenticate: a new attempt of
 * that period, its pledge (a guest's with its `receipt_token`) and its payment to confirm. */
export interface InstallmentAuthStart {
  pledge: Pledge;
  payment: PaymentStart;
}

/** The answer to POST /api/recurring: the plan, its first installment, and a guest's manage token. */
export interface PlanStart extends RecurringPlan {
  first_installment: { pledge: Pledge; payment: PaymentStart };
  /** Only for a guest: ``?manage_token=`` on every plan route. */
  manage_token?: string;
}

/** The answer to POST /api/recurring/{id}/payment-method: a SetupIntent for the Payment Element. */
export interface SetupStart {
  client_secret: string;
  publishable_key: string;
}
