// How a recurring plan reads to a donor: its interval, its status and why it ended.

import { formatDate } from "./format";
import { formatMoney } from "./money";
import type { PlanInterval, PlanStatus, RecurringPlan } from "./types";

const ADJECTIVES: Record<PlanInterval, string> = { month: "monthly", year: "yearly" };

/** "monthly" or "yearly". */
export function intervalAdjective(interval: PlanInterval): string {
  return ADJECTIVES[interval];
}

/** "$25.00 a month", "¥1,000 a year". */
export function perInterval(minor: number, currency: string, interval: PlanInterval): string {
  return `${formatMoney(minor, currency)} a ${interval}`;
}

const STATUS_LABELS: Record<PlanStatus, string> = {
  incomplete: "Setting up",
  active: "Active",
  paused: "Paused",
  past_due: "Payment overdue",
  canceled: "Canceled",
};

export function planStatusLabel(status: PlanStatus): string {
  return STATUS_LABELS[status] ?? status;
}

const CANCEL_REASONS: Record<string, string> = {
  payment_failed: "the card could not be charged",
  campaign_closed: "the campaign has closed",
  donor: "you canceled it",
  donor_canceled: "you canceled it",
  staff: "CareForAll canceled it",
};

/** Why a canceled plan ended, in words ("" when the platform gave no reason). */
export function cancelReason(reason: string | null): string {
  if (!reason) return "";
  return CANCEL_REASONS[reason] ?? reason.replace(/_/g, " ");
}

/** When the next installment is charged, in words. */
export function nextChargeText(plan: Pick<RecurringPlan, "status" | "next_charge_at" | "paused_until">): string {
  if (plan.status === "canceled") return "No more charges";
  if (plan.status === "paused") {
    return plan.paused_until ? `Paused until ${formatDate(plan.paused_until)}` : "Paused until you resume it";
  }
  if (plan.status === "incomplete") return "After the first payment";
  return plan.next_charge_at ? formatDate(plan.next_charge_at) : "Not scheduled";
}

const days = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeZone: "UTC" });

/** A calendar day (YYYY-MM-DD, as a date input gives it) in words: "Jan 31, 2027". */
export function formatDay(day: string): string {
  const date = new Date(`${day}T00:00:00Z`);
  return Number.isNaN(date.getTime()) ? day : days.format(date);
}
