import type { Draft, Frequency } from "./draft";

const CHOICES: readonly (readonly [Frequency, string])[] = [
  ["once", "Give once"],
  ["month", "Give monthly"],
  ["year", "Give yearly"],
];

interface Props {
  draft: Draft;
  update: (change: Partial<Draft>) => void;
  locked: boolean;
}

/**
 * "How often": once (a pledge), or monthly or yearly (a plan that charges the same card each
 * period). A native radio group of `#donate-form`, so the arrow keys move within it and Enter
 * submits the form. It comes first, before the amount: what kind of gift, then how much.
 */
export function FrequencyPart({ draft, update, locked }: Props) {
  return (
    <fieldset className="frequency" disabled={locked} aria-describedby="frequency-hint">
      <legend>How often?</legend>
      <div className="choices">
        {CHOICES.map(([value, label]) => (
          <label key={value} className="choice">
            <input
              id={`frequency-${value}`}
              type="radio"
              name="frequency"
              form="donate-form"
              value={value}
              checked={draft.frequency === value}
              onChange={() => update({ frequency: value })}
            />
            <span>{label}</span>
          </label>
        ))}
      </div>
      <p id="frequency-hint" className="hint">
        A monthly or yearly gift charges the same card each {draft.frequency === "year" ? "year" : "month"} until
        you pause or cancel it, which you can do at any time.
      </p>
    </fieldset>
  );
}
