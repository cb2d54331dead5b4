// What the donor has typed on the donate page, and the pledge it makes once it is valid.

import { parseAmount, presetAmounts, toDecimal, type ParseResult } from "../../money";
import type { Campaign, PlanInterval, User } from "../../types";
import type { GiftInput } from "./attempt";

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

export type Identity = "guest" | "signin" | "register";
export type Frequency = "once" | PlanInterval;

export interface Draft {
  /** A preset amount in minor units, or "custom" for the "Other" field. */
  amount: number | "custom";
  custom: string;
  /** Give once (a pledge), or monthly or yearly (a plan). */
  frequency: Frequency;
  anonymous: boolean;
  identity: Identity;
  name: string;
  email: string;
}

/** The fields that can be refused, each with the id of the element that takes the focus. */
export type DraftErrors = Partial<Record<"amount" | "identity" | "donor_name" | "donor_email", string>>;

const FOCUS: Record<keyof DraftErrors, string> = {
  amount: "custom-amount",
  identity: "identity-guest",
  donor_name: "donor_name",
  donor_email: "donor_email",
};

/** A new donate form: the second preset chosen, giving as a guest. */
export function newDraft(currency: string): Draft {
  const presets = presetAmounts(currency);
  return {
    amount: presets[1] ?? "custom",
    custom: "",
    frequency: "once",
    anonymous: false,
    identity: "guest",
    name: "",
    email: "",
  };
}

/** The amount chosen, in minor units, or why it cannot be read. */
export function draftAmount(draft: Draft, currency: string): ParseResult {
  return draft.amount === "custom" ? parseAmount(draft.custom, currency) : { ok: true, minor: draft.amount };
}

/** The pledge ``draft`` makes for ``campaign``, or the errors to fix first (in the page's order). */
export function checkDraft(
  draft: Draft,
  campaign: Pick<Campaign, "id" | "currency">,
  user: User | null,
): { input: GiftInput | null; errors: DraftErrors } {
  const errors: DraftErrors = {};
  const amount = draftAmount(draft, campaign.currency);
  if (!amount.ok) errors.amount = amount.error;
  if (!user) {
    if (draft.identity !== "guest") {
      errors.identity = "Sign in or create your account first, or choose to give as a guest.";
    } else {
      if (!draft.name.trim()) errors.donor_name = "Enter your name.";
      if (!EMAIL.test(draft.email.trim())) {
        errors.donor_email = "Enter a valid email address, e.g. name@example.org.";
      }
    }
  }
  if (!amount.ok || Object.keys(errors).length > 0) return { input: null, errors };
  return {
    input: {
      campaign_id: campaign.id,
      amount: amount.minor,
      currency: campaign.currency,
      anonymous: draft.anonymous,
      ...(user ? {} : { donor_name: draft.name.trim(), donor_email: draft.email.trim() }),
      ...(draft.frequency === "once" ? {} : { interval: draft.frequency }),
    },
    errors,
  };
}

/** The id of the element to focus for the first of ``errors``, if any. */
export function firstErrorTarget(errors: DraftErrors): string | null {
  const first = Object.keys(errors)[0] as keyof DraftErrors | undefined;
  return first ? FOCUS[first] : null;
}

/** "For example 10.50" (usd), "For example 1050" (jpy): the format parseAmount reads. */
export function currencyHint(currency: string): string {
  const first = presetAmounts(currency)[0] ?? 1000;
  return `For example ${toDecimal(first + first / 20, currency)}.`;
}
