import { useState } from "react";

import { ApiError } from "../api";
import { ErrorNotice, Loading, Money, PageTitle, StatusBadge } from "../components";
import { campaignGet, paymentGet, paymentRefunds, pledgeGet } from "../endpoints";
import { formatDate } from "../format";
import { isAbort, useSession, usePolling } from "../hooks";
import { href } from "../router";
import { RefundList, RefundedNote, refundedPart } from "../refunds";
import { cardLabel, failureMessage } from "../stripe";
import type { Campaign, Payment, Pledge, Refund } from "../types";

const FINAL = new Set(["CAPTURED", "REFUNDED", "FAILED"]);
const REFUNDABLE = new Set(["CAPTURED", "REFUNDED"]);

/** A pledge and its payment, for its donor or for a guest holding the link's receipt token. */
export function ReceiptPage({
  pledgeId,
  token,
  paymentId,
}: {
  pledgeId: number;
  token: string | null;
  paymentId: number | null;
}) {
  const session = useSession();
  const [pledge, setPledge] = useState<Pledge | null>(null);
  const [payment, setPayment] = useState<Payment | null>(null);
  const [paymentFailure, setPaymentFailure] = useState<unknown>(null);
  const [campaign, setCampaign] = useState<Campaign | null>(null);
  const [refunds, setRefunds] = useState<Refund[]>([]);
  const [failure, setFailure] = useState<unknown>(null);
  const [attempt, setAttempt] = useState(0);

  usePolling(
    async (signal) => {
      try {
        const fresh = await pledgeGet(pledgeId, token, signal);
        setPledge(fresh);
        setFailure(null);
        if (campaign === null) {
          campaignGet(fresh.campaign_id, signal).then(setCampaign, () => undefined);
        }
        let paid: Payment | null = payment;
        if (paymentId !== null) {
          try {
            paid = await paymentGet(paymentId, token, signal);
            setPayment(paid);
            setPaymentFailure(null);
            if (REFUNDABLE.has(paid.status)) {
              paymentRefunds(paymentId, token, signal).then(
                (page) => setRefunds(page.results),
                () => undefined, // the payment's own status and refunded amount still say it
              );
            }
          } catch (error) {
            if (isAbort(error)) throw error;
            setPaymentFailure(error);
          }
        }
        // Keep refreshing until both have reached a final status.
        return !(FINAL.has(fresh.status) && (paymentId === null || (paid && FINAL.has(paid.status))));
      } catch (error) {
        if (isAbort(error)) return false;
        setFailure(error);
        return pledge !== null; // a first failure waits for the retry button
      }
    },
    2000,
    [pledgeId, token, paymentId, attempt, session?.user.id],
  );

  return (
    <section className="receipt">
      <PageTitle title="Receipt">Your receipt</PageTitle>
      {pledge === null ? (
        failure === null ? (
          <Loading label="Loading your receipt…" />
        ) : (
          <>
            <ErrorNotice error={failure} onRetry={() => setAttempt((n) => n + 1)} />
            <p>{explain(failure, token, Boolean(session))}</p>
          </>
        )
      ) : (
        <Receipt
          pledge={pledge}
          payment={payment}
          paymentId={paymentId}
          paymentFailure={paymentFailure}
          failure={failure}
          campaign={campaign}
          refunds={refunds}
          token={token}
        />
      )}
    </section>
  );
}

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

function explain(failure: unknown, token: string | null, signedIn: boolean): string {
  if (failure instanceof ApiError && failure.status === 401) {
    return "Sign in to see this donation, or open the receipt link you got when you donated.";
  }
  if (failure instanceof ApiError && failure.status === 404) {
    return token
      ? "Check that the receipt link is complete: it must include its token."
      : signedIn
        ? "This donation is not one of yours."
        : "Open the receipt link you got when you donated.";
  }
  return "";
}
