import { useState, type FormEvent } from "react";

import { ErrorNotice, Field } from "../../components";
import { formatMoney, parseAmount, toDecimal } from "../../money";
import { formatDay, intervalAdjective, perInterval } from "../../planText";
import type { RecurringPlan } from "../../types";
import { ConfirmBox } from "./ConfirmBox";
import type { PlanAction, PlanState } from "./usePlan";

/** Today as YYYY-MM-DD (UTC, as the platform's dates are). */
export function today(now = new Date()): string {
  return now.toISOString().slice(0, 10);
}

/** What each action will do, for its confirmation. */
function question(action: PlanAction, plan: RecurringPlan): { title: string; text: string; yes: string } {
  const gift = `your ${intervalAdjective(plan.interval)} gift`;
  switch (action.type) {
    case "pause":
      return {
        title: `Pause ${gift}?`,
        text: action.until
          ? `Nothing is charged until ${formatDay(action.until)}; the gift then resumes by itself.`
          : "Nothing is charged until you resume it. Periods that fall due while paused are not charged later.",
        yes: "Yes, pause it",
      };
    case "resume":
      return { title: `Resume ${gift}?`, text: "Your card is charged again from the next period on.", yes: "Yes, resume it" };
    case "cancel":
      return {
        title: `Cancel ${gift}?`,
        text: "No further installments will be charged. Donations already made stay as they are. This cannot be undone.",
        yes: "Yes, cancel the gift",
      };
    case "amount":
      return {
        title: `Change ${gift} to ${perInterval(action.amount, plan.currency, plan.interval)}?`,
        text: `From the next installment on, instead of ${formatMoney(plan.amount, plan.currency)}.`,
        yes: "Yes, change the amount",
      };
  }
}

/** Pause (optionally until a date), resume, change amount and cancel, each confirmed in place first. */
export function PlanActions({ plan, state }: { plan: RecurringPlan; state: PlanState }) {
  const [editing, setEditing] = useState<"pause" | "amount" | null>(null);
  const [asking, setAsking] = useState<PlanAction | null>(null);
  const [until, setUntil] = useState("");
  const [amountText, setAmountText] = useState(() => toDecimal(plan.amount, plan.currency));
  const [error, setError] = useState("");
  const currency = plan.currency.toUpperCase();

  function review(event: FormEvent) {
    event.preventDefault();
    setError("");
    if (editing === "pause") {
      if (until && until <= today()) return setError("Choose a date after today, or leave it empty.");
      setAsking({ type: "pause", until: until || null });
    } else if (editing === "amount") {
      const parsed = parseAmount(amountText, plan.currency);
      if (!parsed.ok) return setError(parsed.error);
      if (parsed.minor === plan.amount) return setError("That is the amount you give now.");
      setAsking({ type: "amount", amount: parsed.minor });
    }
  }

  async function confirm() {
    if (!asking) return;
    if (await state.run(asking)) setEditing(null);
    setAsking(null);
  }

  const open = (form: "pause" | "amount" | null) => {
    setEditing(form);
    setAsking(null);
    setError("");
  };
  const canPause = plan.status === "active" || plan.status === "past_due";
  const busy = state.running !== null;
  const asked = asking && question(asking, plan);
  return (
    <section className="panel" aria-labelledby="manage-title">
      <h2 id="manage-title">Manage</h2>
      {!asking && (
        <p className="actions">
          {canPause && (
            <button type="button" className="button-secondary" onClick={() => open("pause")} aria-expanded={editing === "pause"}>
              Pause
            </button>
          )}
          {plan.status === "paused" && (
            <button type="button" className="button-secondary" onClick={() => setAsking({ type: "resume" })}>
              Resume
            </button>
          )}
          {plan.status !== "incomplete" && (
            <button type="button" className="button-secondary" onClick={() => open("amount")} aria-expanded={editing === "amount"}>
              Change amount
            </button>
          )}
          <button type="button" className="button-secondary" onClick={() => setAsking({ type: "cancel" })}>
            Cancel the gift
          </button>
        </p>
      )}
      {editing && !asking && (
        <form onSubmit={review} noValidate className="stack">
          {editing === "pause" ? (
            <Field id="pause-until" label="Resume on (optional)" type="date" min={today()} value={until}
              hint="Leave it empty to pause until you resume the gift yourself."
              onChange={(event) => setUntil(event.target.value)} error={error || undefined} />
          ) : (
            <Field id="plan-amount" label={`New amount in ${currency} (${intervalAdjective(plan.interval)})`}
              inputMode="decimal" autoComplete="off" value={amountText}
              onChange={(event) => setAmountText(event.target.value)} error={error || undefined} />
          )}
          <p className="actions">
            <button type="submit">{editing === "pause" ? "Pause…" : "Change…"}</button>
            <button type="button" className="button-secondary" onClick={() => open(null)}>
              Never mind
            </button>
          </p>
        </form>
      )}
      {asking && asked && (
        <ConfirmBox title={asked.title} yes={asked.yes} no="No, keep it as it is" busy={busy} onYes={() => void confirm()}
          onNo={() => setAsking(null)}>
          <p>{asked.text}</p>
        </ConfirmBox>
      )}
      {state.actionFailure !== null && <ErrorNotice error={state.actionFailure} />}
    </section>
  );
}
