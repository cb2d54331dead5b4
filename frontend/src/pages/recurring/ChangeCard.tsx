import { ErrorNotice, Loading } from "../../components";
import { cardLabel, type PaymentConfig, type SetupResult } from "../../stripe";
import type { RecurringPlan, SetupStart } from "../../types";
import { PaymentElementForm } from "../CardPayment";
import { ChallengeWidget } from "../ChallengeWidget";
import type { CardChange } from "./useCardChange";

/** The provider's Payment Element on the SetupIntent, and the button that saves the card with it. */
function CardSetup({ config, setup, onSaved }: { config: PaymentConfig; setup: SetupStart; onSaved: (result: SetupResult) => void }) {
  return (
    <PaymentElementForm
      config={config}
      publishableKey={setup.publishable_key}
      clientSecret={setup.client_secret}
      label="Save the new card"
      confirm={({ stripe, elements }) => stripe.confirmSetup({ elements, redirect: "if_required" })}
      onResult={onSaved}
    />
  );
}

interface Props {
  plan: RecurringPlan;
  config: PaymentConfig | null;
  change: CardChange;
}

/**
 * "Change card": the new card in the provider's frame, then the plan's card once the platform has
 * it. Its confirmation step is the form itself: nothing changes until "Save the new card", and
 * "Keep the current card" leaves it.
 */
export function ChangeCard({ plan, config, change }: Props) {
  const { phase, setup, failure, cardError } = change;
  const current = cardLabel(plan.card_brand, plan.card_last4);
  return (
    <section className="panel" aria-labelledby="card-title">
      <h2 id="card-title">Card</h2>
      <p>
        {current ? <>Each installment is charged to {current}.</> : "No card is saved yet."}
      </p>
      {phase === "idle" && (
        <button type="button" className="button-secondary" onClick={() => void change.start()}>
          Change card
        </button>
      )}
      {change.challenge.shown && (
        <>
          <ChallengeWidget config={config?.challenge} resets={change.challenge.refused}
            onSolved={(token) => void change.start(token)} onExpired={() => undefined} />
          {phase === "challenge" && (
            <button type="button" className="link" onClick={change.close}>
              Keep the current card
            </button>
          )}
        </>
      )}
      {phase === "starting" && <Loading label="Preparing the secure card form…" />}
      {phase === "form" && setup && (
        <>
          {config ? (
            <CardSetup config={config} setup={setup} onSaved={change.saved} />
          ) : (
            <Loading label="Loading the secure card form…" />
          )}
          <button type="button" className="link" onClick={change.close}>
            Keep the current card
          </button>
        </>
      )}
      {cardError && (
        <p className="field-error" role="alert" data-testid="card-error">
          {cardError}
        </p>
      )}
      <div role="status" aria-live="polite" data-testid="card-status">
        {phase === "waiting" && <p>Saving your new card: waiting for the payment provider…</p>}
        {phase === "done" && <p>Your new card is saved: the next installment is charged to {current}.</p>}
        {phase === "slow" && <p>Your new card was accepted. It will show here once the payment provider confirms it.</p>}
      </div>
      {failure !== null && <ErrorNotice error={failure} onRetry={() => void change.start()} />}
    </section>
  );
}
