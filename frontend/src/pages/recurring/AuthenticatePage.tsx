import { ErrorNotice, Loading, PageTitle } from "../../components";
import { usePaymentConfig } from "../../hooks";
import { formatMoney } from "../../money";
import { intervalAdjective } from "../../planText";
import { href } from "../../router";
import { failureMessage } from "../../stripe";
import { CardPayment } from "../CardPayment";
import { ChallengeWidget } from "../ChallengeWidget";
import { PlanFacts } from "./PlanFacts";
import { useInstallmentAuth } from "./useInstallmentAuth";

interface Props {
  planId: number;
  pledgeId: number;
  manageToken: string | null;
}

/**
 * #/recurring/{plan id}/installments/{pledge id}/authenticate?manage_token=…: the link of the
 * email sent when the bank wanted an installment authenticated. "Confirm the payment" makes a new
 * attempt of that period, the donor completes the bank's check (3-D Secure) here, and the page
 * reads the new payment until the platform knows how it ended.
 */
export function AuthenticatePage({ planId, pledgeId, manageToken }: Props) {
  const config = usePaymentConfig();
  const auth = useInstallmentAuth(planId, pledgeId, manageToken);
  const { phase, plan, start, payment, cardError, challenge } = auth;
  const gift = plan ? `${intervalAdjective(plan.interval)} gift` : "gift";
  const other = plan?.pending_authentication?.pledge_id;
  const busy = phase === "starting" || phase === "authenticating";
  return (
    <section className="authenticate">
      <PageTitle title="Confirm your payment" />
      {phase === "loading" && auth.failure === null && <Loading label="Loading your plan…" />}
      {auth.failure !== null && (
        <ErrorNotice error={auth.failure} onRetry={phase === "loading" ? auth.reload : undefined}>
          {phase === "loading" && <p>Check that the link is complete: it is in the email about your payment.</p>}
        </ErrorNotice>
      )}
      {plan && <PlanFacts plan={plan} />}
      {(phase === "nothing" || phase === "gone") && (
        <p className="notice" data-testid="outcome">
          This payment needs nothing more from you: it has been completed, or it was retried since.
          {plan && other && other !== pledgeId && (
            <>
              {" "}A later payment of your {gift} waits for you:{" "}
              <a href={href.authenticate(plan.id, other, manageToken)}>confirm that one</a>.
            </>
          )}
        </p>
      )}
      {(phase === "ready" || phase === "challenge" || busy) && (
        <>
          <p>Your bank wants to confirm the installment of your {gift} before it is charged.</p>
          {challenge.shown && (
            <ChallengeWidget config={config?.challenge} resets={challenge.refused}
              onSolved={(token) => void auth.authenticate(token)} onExpired={() => undefined} />
          )}
          <button type="button" className="button-large" disabled={busy || phase === "challenge"} aria-busy={busy}
            onClick={() => void auth.authenticate()}>
            {busy ? "Processing…" : "Confirm the payment"}
          </button>
        </>
      )}
      {phase === "card" && start?.payment.client_secret && start.payment.publishable_key && plan && (
        <>
          <p>Your bank wants the card confirmed for this installment.</p>
          {config ? (
            <CardPayment config={config} clientSecret={start.payment.client_secret}
              publishableKey={start.payment.publishable_key}
              amountLabel={formatMoney(start.payment.amount, start.payment.currency)} onConfirmed={auth.confirmed} />
          ) : (
            <Loading label="Loading the secure card form…" />
          )}
        </>
      )}
      {cardError && (
        <p className="field-error" role="alert" data-testid="card-error">
          {cardError}
        </p>
      )}
      <div className="status" role="status" aria-live="polite" data-testid="authentication-status">
        {phase === "waiting" && <p>Pending: waiting for the bank&apos;s answer…</p>}
        {phase === "captured" && <p>Thank you: the payment is confirmed.</p>}
        {phase === "failed" && (
          <p>
            {failureMessage(payment?.failure_reason ?? null)} No money was taken.{" "}
            <button type="button" className="link" onClick={auth.reload}>
              Try again
            </button>
          </p>
        )}
        {phase === "stuck" && <p>Still pending: your plan shows the payment once the bank has answered.</p>}
      </div>
      {plan && (
        <p>
          <a href={href.plan(plan.id, manageToken)}>Manage your {gift}</a>
        </p>
      )}
    </section>
  );
}
