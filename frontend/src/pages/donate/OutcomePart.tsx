import { useEffect, useRef, type ReactNode } from "react";

import { ErrorNotice, Money, StatusBadge } from "../../components";
import { intervalAdjective, perInterval } from "../../planText";
import { href } from "../../router";
import { waitText } from "../../challenge";
import { cardLabel, failureMessage } from "../../stripe";
import type { Campaign } from "../../types";
import type { DonationAttempt } from "./useDonationAttempt";

/** The result of a payment: it takes the focus when it arrives, so a screen reader reads it. */
function Outcome({ className, children }: { className: string; children: ReactNode }) {
  const ref = useRef<HTMLDivElement>(null);
  useEffect(() => ref.current?.focus(), []);
  return (
    <div className={`${className} outcome`} ref={ref} tabIndex={-1} data-testid="outcome">
      {children}
    </div>
  );
}

/** The receipt's address for the attempt's pledge (and payment), or null before a pledge exists. */
export function receiptOf(attempt: DonationAttempt): string | null {
  const pledge = attempt.attempt?.pledge;
  return pledge ? href.receipt(pledge.id, attempt.attempt?.receiptToken, attempt.attempt?.payment?.id) : null;
}

interface Props {
  campaign: Campaign;
  attempt: DonationAttempt;
  guest: boolean;
  onStartOver: () => void;
}

/** A monthly or yearly gift, once its first installment is paid: what comes next, and where to manage it. */
function PlanSetUp({ attempt, guest }: Pick<Props, "attempt" | "guest">) {
  const plan = attempt.attempt?.plan;
  if (!plan) return null;
  const token = attempt.attempt?.manageToken;
  return (
    <>
      <p data-testid="plan-summary">
        Your {intervalAdjective(plan.interval)} gift of {perInterval(plan.amount, plan.currency, plan.interval)} is set
        up: the same card is charged each {plan.interval} until you pause or cancel it.
      </p>
      <p className="receipt-link">
        <a href={href.plan(plan.id, guest ? token : null)}>Manage your {intervalAdjective(plan.interval)} gift</a>
        {guest && " (keep this link: it is how you pause, change or cancel the gift without an account)"}
      </p>
    </>
  );
}

/** Paid: in place of the whole form, the thanks, the card, and the receipt's link. */
export function ThankYou({ campaign, attempt, guest, onStartOver }: Props) {
  const payment = attempt.attempt?.payment;
  const receipt = receiptOf(attempt);
  if (!payment) return null;
  const first = attempt.attempt?.plan ? "The first payment of your donation" : "Your donation";
  return (
    <Outcome className="notice notice-success">
      <h2>Thank you!</h2>
      <p>
        {first} of <Money minor={payment.amount} currency={payment.currency} /> to{" "}
        {campaign.title} is <StatusBadge status="CAPTURED" />.
        {payment.card_last4 && <> Paid with {cardLabel(payment.card_brand, payment.card_last4)}.</>}
      </p>
      <PlanSetUp attempt={attempt} guest={guest} />
      <p>
        {receipt && <a href={receipt}>View your receipt</a>}
        {guest && " (keep this link: it is the only way back to a guest receipt)"}
      </p>
      <p className="actions">
        <a className="button" href={href.campaign(campaign.id)}>
          Back to the campaign
        </a>
        <button type="button" className="button-secondary" onClick={onStartOver}>
          Give again
        </button>
      </p>
    </Outcome>
  );
}

/** Below the form: a failed or unfinished payment, a request that failed, and the receipt's link. */
export function AttemptNotices({
  attempt,
  guest,
  onRetry,
  onStartOver,
}: Omit<Props, "campaign"> & { onRetry: () => void }) {
  const { phase, failure } = attempt;
  const payment = attempt.attempt?.payment;
  const receipt = receiptOf(attempt);
  return (
    <>
      {phase === "failed" && (
        <Outcome className="notice notice-error">
          <h2>Payment failed</h2>
          <p>
            {failureMessage(payment?.failure_reason ?? null)} No money was taken. Your pledge is
            marked <StatusBadge status="FAILED" />.
            {attempt.attempt?.plan && ` The ${intervalAdjective(attempt.attempt.plan.interval)} gift was not set up.`}
          </p>
          <button type="button" onClick={onStartOver}>
            Try another card
          </button>
        </Outcome>
      )}
      {phase === "stuck" && (
        <Outcome className="notice">
          <h2>Still processing</h2>
          <p>
            The payment is taking longer than usual. It will complete or fail on its own; your
            receipt shows which.
          </p>
        </Outcome>
      )}
      {failure !== null && (
        <ErrorNotice error={failure} onRetry={phase === "error" ? onRetry : undefined}>
          {waitText(failure) && <p data-testid="retry-after">{waitText(failure)}</p>}
          {phase === "error" && attempt.attempt?.pledge && (
            <button type="button" className="button-secondary" onClick={onStartOver}>
              Start over with a new pledge
            </button>
          )}
        </ErrorNotice>
      )}
      {receipt && (
        <p className="receipt-link">
          <a href={receipt}>Your receipt</a>
          {guest && " — keep this link to check your donation later."}
        </p>
      )}
    </>
  );
}
