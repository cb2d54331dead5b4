import { StatusBadge } from "../../components";
import { formatMoney } from "../../money";
import type { PaymentConfig } from "../../stripe";
import { CardPayment } from "../CardPayment";
import { ChallengeWidget } from "../ChallengeWidget";
import type { DonationAttempt } from "./useDonationAttempt";

interface Props {
  config: PaymentConfig;
  attempt: DonationAttempt;
  /** The amount as the form reads it ("$12.34", "$12.34 a month"), or "" while it cannot be read. */
  amountLabel: string;
}

/**
 * "Payment": the continue button (it submits `#donate-form`), the card-testing challenge beside it
 * when the platform asks for one, then the provider's card form once the payment exists, the
 * provider's word on the card, and the attempt's live status region.
 */
export function PaymentPart({ config, attempt, amountLabel }: Props) {
  const { phase, busy, status, cardError } = attempt;
  const pledge = attempt.attempt?.pledge;
  const payment = attempt.attempt?.payment;
  return (
    <>
      <section aria-labelledby="pay-title" className="panel">
        <h2 id="pay-title">Payment</h2>
        {phase === "card" && payment?.client_secret && payment.publishable_key ? (
          <CardPayment
            config={config}
            clientSecret={payment.client_secret}
            publishableKey={payment.publishable_key}
            amountLabel={amountLabel || formatMoney(payment.amount, payment.currency)}
            onConfirmed={attempt.confirmed}
          />
        ) : (
          <>
            {!pledge && (
              <p className="hint">
                Next you enter your card in our payment provider&apos;s secure form.
                {config.sandbox && " This is a test environment: use a test card; no real money moves."}
              </p>
            )}
            {attempt.challenge && (
              <ChallengeWidget
                config={config.challenge}
                resets={attempt.challengeRefused}
                onSolved={attempt.solved}
                onExpired={attempt.expired}
              />
            )}
            {phase !== "failed" && phase !== "stuck" && !payment && (
              <button
                id="donate-continue"
                type="submit"
                form="donate-form"
                className="button-large"
                disabled={busy || (phase === "challenge" && !attempt.challengeToken)}
                aria-busy={busy}
              >
                {busy ? "Processing…" : amountLabel ? `Continue to pay ${amountLabel}` : "Continue to payment"}
              </button>
            )}
          </>
        )}
        {cardError && (
          <p className="field-error" role="alert" data-testid="card-error">
            {cardError}
          </p>
        )}
      </section>

      <div className="status" role="status" aria-live="polite" data-testid="donation-status">
        {status && (
          <p>
            {busy && <StatusBadge status="PENDING" />} {status}
          </p>
        )}
      </div>
    </>
  );
}
