import { ErrorNotice, Loading, PageTitle } from "../../components";
import { usePaymentConfig } from "../../hooks";
import { formatMoney } from "../../money";
import { intervalAdjective } from "../../planText";
import { href } from "../../router";
import { CardPayment } from "../CardPayment";
import { PlanFacts } from "./PlanFacts";
import { useInstallmentAuth } from "./useInstallmentAuth";

interface Props {
  planId: number;
  pledgeId: number;
  manageToken: string | null;
}

/**
 * #/recurring/{plan id}/installments/{pledge id}/authenticate?manage_token=…: the link of the
 * email sent when the bank wanted an installment authenticated. The donor completes the bank's
 * check (3-D Secure) here; whether it was paid is the platform's answer, read from the plan.
 */
export function AuthenticatePage({ planId, pledgeId, manageToken }: Props) {
  const config = usePaymentConfig();
  const auth = useInstallmentAuth(planId, pledgeId, manageToken);
  const { phase, plan, pending, cardError } = auth;
  const gift = plan ? `${intervalAdjective(plan.interval)} gift` : "gift";
  const paid = plan?.status === "active" && plan.failed_attempts === 0;
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
      {phase === "nothing" && (
        <p className="notice" data-testid="outcome">
          This payment needs nothing more from you: it has been completed, or it was retried since.
        </p>
      )}
      {(phase === "ready" || phase === "authenticating") && (
        <>
          <p>Your bank wants to confirm the installment of your {gift} before it is charged.</p>
          <button type="button" className="button-large" disabled={phase === "authenticating"} aria-busy={phase === "authenticating"}
            onClick={() => void auth.authenticate()}>
            {phase === "authenticating" ? "Processing…" : "Confirm the payment"}
          </button>
        </>
      )}
      {phase === "card" && pending && plan && (
        <>
          <p>Your bank wants the card confirmed for this installment.</p>
          {config ? (
            <CardPayment config={config} clientSecret={pending.client_secret} publishableKey={pending.publishable_key}
              amountLabel={formatMoney(plan.amount, plan.currency)} onConfirmed={auth.confirmed} />
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
        {phase === "done" && (paid ? <p>Thank you: the payment is confirmed.</p> : <p>The bank&apos;s answer is recorded.</p>)}
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
