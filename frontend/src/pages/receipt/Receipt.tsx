import { ErrorNotice, Money, StatusBadge } from "../../components";
import { formatDate } from "../../format";
import { RefundList, RefundedNote, refundedPart } from "../../refunds";
import { href } from "../../router";
import { cardLabel, failureMessage } from "../../stripe";
import type { Campaign, Payment, Pledge, Refund } from "../../types";
import { VerifyGift } from "./VerifyGift";

/** The receipt of a loaded pledge: its payment, refunds and status, as the donor reads them. */
export function Receipt({
  pledge,
  payment,
  paymentId,
  paymentFailure,
  failure,
  campaign,
  refunds,
  token,
}: {
  pledge: Pledge;
  payment: Payment | null;
  paymentId: number | null;
  paymentFailure: unknown;
  failure: unknown;
  campaign: Campaign | null;
  refunds: Refund[];
  token: string | null;
}) {
  const refunded = Math.max(payment?.refunded_amount ?? 0, pledge.refunded_amount ?? 0);
  return (
    <>
      <dl className="facts" data-testid="receipt">
        <div>
          <dt>Campaign</dt>
          <dd>
            <a href={href.campaign(pledge.campaign_id)}>
              {campaign?.title ?? `Campaign #${pledge.campaign_id}`}
            </a>
          </dd>
        </div>
        <div>
          <dt>Amount</dt>
          <dd>
            <Money minor={pledge.amount} currency={pledge.currency} />{" "}
            <RefundedNote
              amount={pledge.amount}
              refunded={refunded}
              currency={pledge.currency}
              status={payment?.status === "REFUNDED" ? "REFUNDED" : pledge.status}
            />
          </dd>
        </div>
        <div>
          <dt>Pledge</dt>
          <dd>
            #{pledge.id} <StatusBadge status={pledge.status} />
          </dd>
        </div>
        <div>
          <dt>Donor</dt>
          <dd>
            {pledge.donor_name}
            {pledge.anonymous && " (shown as Anonymous on the donor wall)"}
          </dd>
        </div>
        <div>
          <dt>Made</dt>
          <dd>
            <time dateTime={pledge.created_at}>{formatDate(pledge.created_at)}</time>
          </dd>
        </div>
        {payment?.card_last4 && (
          <div>
            <dt>Card</dt>
            <dd data-testid="payment-card">{cardLabel(payment.card_brand, payment.card_last4)}</dd>
          </div>
        )}
        {paymentId !== null && (
          <div>
            <dt>Payment</dt>
            <dd data-testid="payment-status">
              {payment ? (
                <>
                  #{payment.id} <StatusBadge status={payment.status} />
                  {payment.failure_reason && <> — {failureMessage(payment.failure_reason)}</>}
                </>
              ) : paymentFailure !== null ? (
                <span>not available right now</span>
              ) : (
                "loading…"
              )}
            </dd>
          </div>
        )}
      </dl>
      <p className="status" role="status" aria-live="polite">
        {statusSentence(pledge, payment, refunded)}
      </p>
      <RefundList refunds={refunds} />
      <VerifyGift payment={payment} token={token} />
      {paymentFailure !== null && <ErrorNotice error={paymentFailure} />}
      {failure !== null && <ErrorNotice error={failure} />}
      {token && <p className="hint">Keep this page’s link: it is your receipt.</p>}
    </>
  );
}

export function statusSentence(pledge: Pledge, payment: Payment | null, refunded = 0): string {
  const status = payment?.status === "FAILED" ? "FAILED" : pledge.status;
  const part = refundedPart(pledge.amount, refunded, payment?.status === "REFUNDED" ? "REFUNDED" : status);
  if (part === "fully") return "Refunded: the whole donation went back to your card.";
  if (part === "partly") return "Paid, then partly refunded: the refunded part went back to your card.";
  if (status === "CAPTURED" || payment?.status === "CAPTURED") return "Paid. Thank you!";
  if (status === "FAILED") return "The payment failed; no money was taken.";
  if (status === "AUTHORIZED") return "Pending: authorized, completing the payment…";
  return "Pending: this pledge has not been paid yet.";
}
