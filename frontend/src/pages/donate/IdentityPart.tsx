import { Field } from "../../components";
import { signOut } from "../../endpoints";
import type { User } from "../../types";
import { AuthForm } from "../AuthForm";
import type { Draft, DraftErrors, Identity } from "./draft";

const WAYS: readonly (readonly [Identity, string])[] = [
  ["guest", "As a guest"],
  ["signin", "Sign in"],
  ["register", "Create an account"],
];

interface Props {
  user: User | null;
  draft: Draft;
  update: (change: Partial<Draft>) => void;
  errors: DraftErrors;
  locked: boolean;
  /** The donor signed in or created an account here: the identity error no longer holds. */
  onSignedIn: () => void;
}

/**
 * "Your details": a signed-in donor gives as themselves; anyone else gives as a guest (name and
 * email), or signs in or creates an account right here, the amount already chosen staying put.
 */
export function IdentityPart({ user, draft, update, errors, locked, onSignedIn }: Props) {
  return (
    <section aria-labelledby="you-title" className="panel">
      <h2 id="you-title">Your details</h2>
      {user ? (
        <p>
          Giving as <strong>{user.name}</strong> ({user.email}).{" "}
          {!locked && (
            <button type="button" className="link" onClick={signOut}>
              Not you? Sign out
            </button>
          )}
        </p>
      ) : (
        <>
          <fieldset disabled={locked}>
            <legend>How would you like to give?</legend>
            <div className="choices">
              {WAYS.map(([value, label]) => (
                <label key={value} className="choice">
                  <input
                    id={`identity-${value}`}
                    type="radio"
                    name="identity"
                    value={value}
                    checked={draft.identity === value}
                    onChange={() => update({ identity: value })}
                    aria-describedby={errors.identity ? "identity-error" : undefined}
                  />
                  <span>{label}</span>
                </label>
              ))}
            </div>
            {errors.identity && (
              <p id="identity-error" className="field-error">
                {errors.identity}
              </p>
            )}
            {draft.identity === "guest" && (
              <>
                <Field
                  id="donor_name"
                  form="donate-form"
                  label="Your name"
                  autoComplete="name"
                  maxLength={150}
                  value={draft.name}
                  onChange={(event) => update({ name: event.target.value })}
                  error={errors.donor_name}
                />
                <Field
                  id="donor_email"
                  form="donate-form"
                  label="Your email"
                  type="email"
                  autoComplete="email"
                  hint="For your receipt. Never shown publicly."
                  value={draft.email}
                  onChange={(event) => update({ email: event.target.value })}
                  error={errors.donor_email}
                />
              </>
            )}
          </fieldset>
          {draft.identity !== "guest" && !locked && (
            <AuthForm mode={draft.identity} idPrefix={`donate-${draft.identity}`} onDone={onSignedIn} />
          )}
        </>
      )}
    </section>
  );
}
