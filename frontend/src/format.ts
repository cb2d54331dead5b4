import type { PaymentStatus, PledgeStatus } from "./types";

const dates = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });

export function formatDate(iso: string): string {
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : dates.format(date);
}

const STATUS_LABELS: Record<PledgeStatus | PaymentStatus, string> = {
  PENDING: "Pending",
  PROCESSING: "Pending",
  AUTHORIZED: "Authorized",
  CAPTURED: "Paid",
  REFUNDED: "Refunded",
  FAILED: "Failed",
};

export function statusLabel(status: string): string {
  return STATUS_LABELS[status as PledgeStatus] ?? status;
}

/** The first ~``length`` characters of ``text``, cut at a word. */
export function excerpt(text: string, length = 160): string {
  const characters = Array.from(text.replace(/\s+/g, " ").trim());
  if (characters.length <= length) return characters.join("");
  const cut = characters.slice(0, length).join("");
  const space = cut.lastIndexOf(" ");
  return `${(space > length / 2 ? cut.slice(0, space) : cut).trimEnd()}…`;
}

export function plural(count: number, one: string, many: string): string {
  return `${count.toLocaleString()} ${count === 1 ? one : many}`;
}
