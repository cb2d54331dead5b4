import { cancelReason, nextChargeText, perInterval, planStatusLabel } from "../../planText";
import { cardLabel } from "../../stripe";
import type { RecurringPlan } from "../../types";

/** A plan's status as a badge ("Active", "Paused", "Payment overdue", …). */
export function PlanBadge({ plan }: { plan: Pick<RecurringPlan, "status"> }) {
  return (
    <span className={`badge badge-plan-${plan.status}`} data-plan-status={plan.status}>
      {planStatusLabel(plan.status)}
    </span>
  );
}

/**
 * What a donor wants to know about a plan: its status, the amount each period, the next charge,
 * the card it charges, and how many installments have been charged.
 */
export function PlanFacts({ plan }: { plan: RecurringPlan }) {
  const reason = plan.status === "canceled" ? cancelReason(plan.cancel_reason) : "";
  return (
    <dl className="facts" data-testid="plan-facts">
      <div>
        <dt>Status</dt>
        <dd data-testid="plan-status">
          <PlanBadge plan={plan} />
          {reason && <> ({reason})</>}
        </dd>
      </div>
      <div>
        <dt>Amount</dt>
        <dd data-testid="plan-amount">{perInterval(plan.amount, plan.currency, plan.interval)}</dd>
      </div>
      <div>
        <dt>Next charge</dt>
        <dd data-testid="plan-next-charge">{nextChargeText(plan)}</dd>
      </div>
      <div>
        <dt>Card</dt>
        <dd data-testid="plan-card">{cardLabel(plan.card_brand, plan.card_last4) ?? "Not saved yet"}</dd>
      </div>
      <div>
        <dt>Installments charged</dt>
        <dd data-testid="plan-installments">{plan.installments_charged.toLocaleString()}</dd>
      </div>
      {plan.failed_attempts > 0 && plan.status !== "canceled" && (
        <div>
          <dt>Failed attempts</dt>
          <dd data-testid="plan-failed-attempts">{plan.failed_attempts.toLocaleString()}</dd>
        </div>
      )}
    </dl>
  );
}
