import { useState, type FormEvent } from "react";

import { useSession } from "../../hooks";
import { formatMoney } from "../../money";
import { perInterval } from "../../planText";
import type { PaymentConfig } from "../../stripe";
import type { Campaign } from "../../types";
import { AmountPart } from "./AmountPart";
import { checkDraft, draftAmount, firstErrorTarget, newDraft, type Draft, type DraftErrors } from "./draft";
import { FrequencyPart } from "./FrequencyPart";
import { IdentityPart } from "./IdentityPart";
import { AttemptNotices, ThankYou } from "./OutcomePart";
import { PaymentPart } from "./PaymentPart";
import { useDonationAttempt } from "./useDonationAttempt";

/**
 * The donate form of a loaded campaign: the amount, who gives, and the payment. What the donor
 * types stays here, through every failure, until they start over; the payment attempt and its
 * state machine are useDonationAttempt's.
 */
export function DonateForm({ campaign, config }: { campaign: Campaign; config: PaymentConfig }) {
  const session = useSession();
  const user = session?.user ?? null;
  const currency = campaign.currency;
  const [draft, setDraft] = useState<Draft>(() => newDraft(currency));
  const [errors, setErrors] = useState<DraftErrors>({});
  const attempt = useDonationAttempt(user?.id ?? null);

  const update = (change: Partial<Draft>) => setDraft((current) => ({ ...current, ...change }));

  /** The pledge the form makes, or null after showing what to fix (the focus on the first). */
  function read() {
    const checked = checkDraft(draft, campaign, user);
    setErrors(checked.errors);
    const target = firstErrorTarget(checked.errors);
    if (target) document.getElementById(target)?.focus();
    return checked.input;
  }

  function submit(event?: FormEvent) {
    event?.preventDefault();
    void attempt.submit(read);
  }

  function startOver() {
    attempt.startOver();
    setTimeout(() => document.getElementById("donate-continue")?.focus());
  }

  const amount = draftAmount(draft, currency);
  const { frequency } = draft; // locked with the rest of the form once the attempt has a pledge
  const amountLabel = !amount.ok
    ? ""
    : frequency === "once"
      ? formatMoney(amount.minor, currency)
      : perInterval(amount.minor, currency, frequency);

  if (campaign.status !== "active") {
    return <p className="notice">This campaign is not taking donations ({campaign.status}).</p>;
  }
  if (attempt.phase === "captured") {
    return <ThankYou campaign={campaign} attempt={attempt} guest={!user} onStartOver={startOver} />;
  }
  return (
    <>
      <FrequencyPart draft={draft} update={update} locked={attempt.locked} />
      <AmountPart
        currency={currency}
        draft={draft}
        update={update}
        errors={errors}
        locked={attempt.locked}
        onSubmit={submit}
      />
      <IdentityPart
        user={user}
        draft={draft}
        update={update}
        errors={errors}
        locked={attempt.locked}
        onSignedIn={() => setErrors({})}
      />
      <PaymentPart
        config={config}
        attempt={attempt}
        amountLabel={amountLabel}
      />
      <AttemptNotices attempt={attempt} guest={!user} onRetry={() => submit()} onStartOver={startOver} />
    </>
  );
}
