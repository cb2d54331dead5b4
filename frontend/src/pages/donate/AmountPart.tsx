import type { FormEvent } from "react";

import { Field } from "../../components";
import { formatMoney, presetAmounts } from "../../money";
import { currencyHint, type Draft, type DraftErrors } from "./draft";

interface Props {
  currency: string;
  draft: Draft;
  update: (change: Partial<Draft>) => void;
  errors: DraftErrors;
  locked: boolean;
  onSubmit: (event: FormEvent) => void;
}

/**
 * The donate form itself (`#donate-form`): the amount, as presets or "Other", and whether to give
 * anonymously. The guest's fields and the continue button belong to it through their `form`
 * attribute, so Enter in any of them submits it.
 */
export function AmountPart({ currency, draft, update, errors, locked, onSubmit }: Props) {
  const presets = presetAmounts(currency);
  return (
    <form id="donate-form" onSubmit={onSubmit} noValidate>
      <fieldset disabled={locked}>
        <legend>Amount ({currency.toUpperCase()})</legend>
        <div className="choices">
          {presets.map((minor) => (
            <label key={minor} className="choice">
              <input
                type="radio"
                name="amount"
                value={minor}
                checked={draft.amount === minor}
                onChange={() => update({ amount: minor })}
              />
              <span>{formatMoney(minor, currency, { compact: true })}</span>
            </label>
          ))}
          <label className="choice">
            <input
              type="radio"
              name="amount"
              value="custom"
              checked={draft.amount === "custom"}
              onChange={() => {
                update({ amount: "custom" });
                setTimeout(() => document.getElementById("custom-amount")?.focus());
              }}
            />
            <span>Other</span>
          </label>
        </div>
        <Field
          id="custom-amount"
          label={`Other amount in ${currency.toUpperCase()}`}
          hint={currencyHint(currency)}
          inputMode="decimal"
          autoComplete="off"
          value={draft.custom}
          onChange={(event) => update({ custom: event.target.value, amount: "custom" })}
          error={errors.amount}
        />
      </fieldset>
      <div className="check">
        <input
          id="anonymous"
          type="checkbox"
          checked={draft.anonymous}
          disabled={locked}
          onChange={(event) => update({ anonymous: event.target.checked })}
          aria-describedby="anonymous-hint"
        />
        <label htmlFor="anonymous">Give anonymously</label>
        <p id="anonymous-hint" className="hint">
          The donor wall shows “Anonymous” instead of your name. The amount still counts.
        </p>
      </div>
    </form>
  );
}
