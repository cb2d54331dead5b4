// How a donation's refunds read on the receipt page and in My donations (SPEC §3): a donation
// refunded in full is REFUNDED; a partial refund keeps it paid, with the refunded part shown.
import { Money } from "./components";
import { formatDate } from "./format";
import type { Refund } from "./types";

export type Refunded = "none" | "partly" | "fully";

/** Whether ``refunded`` of ``amount`` went back: a REFUNDED status says fully, whatever the sum. */
export function refundedPart(amount: number, refunded: number | undefined, status: string): Refunded {
  if (status === "REFUNDED" || (refunded !== undefined && refunded >= amount && amount > 0)) return "fully";
  return refunded !== undefined && refunded > 0 ? "partly" : "none";
}

/** The refunded part of a partly refunded donation; nothing otherwise (its badge says the rest). */
export function RefundedNote({
  amount,
  refunded,
  currency,
  status,
}: {
  amount: number;
  refunded: number | undefined;
  currency: string;
  status: string;
}) {
  if (refundedPart(amount, refunded, status) !== "partly") return null;
  return (
    <span className="tag tag-refunded" data-testid="refunded-amount">
      <Money minor={refunded ?? 0} currency={currency} /> refunded
    </span>
  );
}

const REFUND_LABELS: Record<Refund["status"], string> = {
  succeeded: "Refunded",
  pending: "Being refunded",
  failed: "Not refunded",
};

/** A payment's refunds, oldest first, as the donor reads them. */
export function RefundList({ refunds }: { refunds: Refund[] }) {
  if (refunds.length === 0) return null;
  return (
    <section className="refunds" aria-labelledby="refunds-title">
      <h2 id="refunds-title">Refunds</h2>
      <ul className="history" data-testid="refunds">
        {refunds.map((refund) => (
          <li key={refund.id} data-refund-id={refund.id} data-status={refund.status}>
            <Money minor={refund.amount} currency={refund.currency} /> ·{" "}
            <span className={`badge badge-refund-${refund.status}`}>{REFUND_LABELS[refund.status]}</span> ·{" "}
            <time className="muted small" dateTime={refund.created_at}>
              {formatDate(refund.created_at)}
            </time>
          </li>
        ))}
      </ul>
    </section>
  );
}
