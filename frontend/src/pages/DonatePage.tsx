import { useEffect, useRef, useState, type FormEvent } from "react";

import { ApiError } from "../api";
import { ErrorNotice, Field, Loading, Money, PageTitle, StatusBadge } from "../components";
import { campaignGet, paymentCreate, paymentGet, pledgeCreate, signOut, type PledgeInput } from "../endpoints";
import { isAbort, useSession } from "../hooks";
import { newIdempotencyKey } from "../keys";
import { formatMoney, parseAmount, presetAmounts, toDecimal } from "../money";
import { href } from "../router";
import { cardErrorMessage, cardLabel, failureMessage, paymentConfig, type ConfirmResult, type PaymentConfig } from "../stripe";
import type { Campaign, Payment, PaymentStart, Pledge } from "../types";
import { AuthForm } from "./AuthForm";
import { CardPayment } from "./CardPayment";

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const PAYMENT_POLL_MS = 700;
const PAYMENT_WAIT_MS = 90_000;

/**
 * One donation attempt: the pledge and payment it makes, and the Idempotency-Keys it makes them
 * with. The keys are drawn once, when the attempt starts, and every retry of the attempt (a
 * "Try again" after a lost answer, a refreshed token) sends the same ones, so the platform makes
 * at most one pledge and one payment for it (SPEC §3). "Try another card" starts a new attempt.
 *
 * The payment is confirmed in the browser: its answer carries the client secret the provider's
 * Payment Element confirms it with. Whether it was paid is always the platform's answer
 * (GET /api/payments/{id}), which follows the provider's webhooks, never the browser's word.
 */
interface Attempt {
  fingerprint: string;
  input: PledgeInput;
  pledgeKey: string;
  paymentKey: string;
  pledge?: Pledge;
  receiptToken?: string;
  payment?: PaymentStart;
  /** Stripe.js has sent the card to the provider: from now on, only the platform's answer counts. */
  confirmed?: boolean;
}

type Phase = "form" | "working" | "card" | "paid" | "failed" | "stuck" | "error";
type Identity = "guest" | "signin" | "register";

/** Worth sending again unchanged: no answer, a repeat still running, or a server-side failure. */
function retryable(error: unknown): boolean {
  return !(error instanceof ApiError) || [0, 409, 429].includes(error.status) || error.status >= 500;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export function DonatePage({ id }: { id: number }) {
  const [campaign, setCampaign] = useState<Campaign | null>(null);
  const [config, setConfig] = useState<PaymentConfig | null>(null);
  const [loadFailure, setLoadFailure] = useState<unknown>(null);
  const [reloads, setReloads] = useState(0);

  useEffect(() => {
    const controller = new AbortController();
    setLoadFailure(null);
    Promise.all([campaignGet(id, controller.signal), paymentConfig()]).then(
      ([found, payments]) => {
        setCampaign(found);
        setConfig(payments);
      },
      (error) => {
        if (!isAbort(error)) setLoadFailure(error);
      },
    );
    return () => controller.abort();
  }, [id, reloads]);

  // One h1 for the loading and the loaded page: it keeps the focus it took when the page opened.
  return (
    <section className="donate">
      <p className="breadcrumb">
        <a href={href.campaign(id)}>← {campaign?.title ?? "Back to the campaign"}</a>
      </p>
      <PageTitle title={campaign ? `Donate to ${campaign.title}` : "Donate"} />
      {campaign !== null && config !== null ? (
        <DonateForm campaign={campaign} config={config} />
      ) : loadFailure === null ? (
        <Loading label="Loading the campaign…" />
      ) : (
        <ErrorNotice error={loadFailure} onRetry={() => setReloads((n) => n + 1)} />
      )}
    </section>
  );
}

function DonateForm({ campaign, config }: { campaign: Campaign; config: PaymentConfig }) {
  const session = useSession();
  const user = session?.user ?? null;
  const currency = campaign.currency;
  const presets = presetAmounts(currency);

  const [amountChoice, setAmountChoice] = useState<number | "custom">(presets[1] ?? "custom");
  const [custom, setCustom] = useState("");
  const [anonymous, setAnonymous] = useState(false);
  const [identity, setIdentity] = useState<Identity>("guest");
  const [guestName, setGuestName] = useState("");
  const [guestEmail, setGuestEmail] = useState("");
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [phase, setPhase] = useState<Phase>("form");
  const [status, setStatus] = useState("");
  const [failure, setFailure] = useState<unknown>(null);
  const [cardError, setCardError] = useState("");
  const [busy, setBusy] = useState(false);
  const [attempt, setAttempt] = useState<Attempt | null>(null);
  const attemptRef = useRef<Attempt | null>(null);
  const busyRef = useRef(false);
  const mounted = useRef(true);
  const outcomeRef = useRef<HTMLDivElement>(null);

  useEffect(() => {
    mounted.current = true;
    return () => {
      mounted.current = false;
    };
  }, []);

  useEffect(() => {
    if (phase === "paid" || phase === "failed" || phase === "stuck") outcomeRef.current?.focus();
  }, [phase]);

  function keep(next: Attempt) {
    attemptRef.current = next;
    if (mounted.current) setAttempt(next);
  }

  const parsed =
    amountChoice === "custom" ? parseAmount(custom, currency) : { ok: true as const, minor: amountChoice };
  const pledged = attempt?.pledge;
  const locked = busy || Boolean(pledged);
  const terminal = phase === "paid" || phase === "failed" || phase === "stuck";

  function validate(): PledgeInput | null {
    const found: Record<string, string> = {};
    if (!parsed.ok) found.amount = parsed.error;
    if (!user) {
      if (identity !== "guest") {
        found.identity = "Sign in or create your account first, or choose to give as a guest.";
      } else {
        if (!guestName.trim()) found.donor_name = "Enter your name.";
        if (!EMAIL.test(guestEmail.trim())) {
          found.donor_email = "Enter a valid email address, e.g. name@example.org.";
        }
      }
    }
    setErrors(found);
    const first = Object.keys(found)[0];
    if (first) {
      const target = { amount: "custom-amount", identity: "identity-guest" }[first] ?? first;
      document.getElementById(target)?.focus();
      return null;
    }
    return {
      campaign_id: campaign.id,
      amount: parsed.ok ? parsed.minor : 0,
      currency,
      anonymous,
      ...(user ? {} : { donor_name: guestName.trim(), donor_email: guestEmail.trim() }),
    };
  }

  async function pay(current: Attempt): Promise<PaymentStart> {
    const pledge = current.pledge!;
    try {
      return await paymentCreate(
        { pledge_id: pledge.id, ...(current.receiptToken ? { receipt_token: current.receiptToken } : {}) },
        current.paymentKey,
      );
    } catch (error) {
      // One payment per pledge (SPEC §3): if it exists already, follow that one.
      const existing = error instanceof ApiError ? Number(error.body?.payment_id) : NaN;
      if (error instanceof ApiError && error.status === 409 && existing > 0) {
        return paymentGet(existing, current.receiptToken);
      }
      throw error;
    }
  }

  function show(payment: Payment) {
    if (payment.status === "AUTHORIZED") {
      setStatus("Pending: the bank authorized the payment, completing it…");
    } else if (payment.status === "PROCESSING") {
      setStatus("Pending: waiting for the bank's answer…");
    }
  }

  /** Stripe.js answered the confirmation: now ask the platform, which hears it from the provider. */
  function confirmed(result: ConfirmResult) {
    let current = attemptRef.current;
    if (!current?.payment) return;
    setCardError(result.error ? cardErrorMessage(result.error) : "");
    if (result.error?.type === "api_connection_error") return; // the card never reached the provider
    current = { ...current, confirmed: true };
    keep(current);
    setPhase("working");
    setBusy(true);
    busyRef.current = true;
    void follow(current).finally(() => {
      busyRef.current = false;
      if (mounted.current) setBusy(false);
    });
  }

  /** Poll the payment until it is paid or failed (or give up waiting, leaving the receipt). */
  async function follow(current: Attempt) {
    let payment = current.payment!;
    const deadline = Date.now() + PAYMENT_WAIT_MS;
    while (mounted.current) {
      if (payment.status === "CAPTURED") {
        setStatus("Paid. Thank you!");
        setPhase("paid");
        return;
      }
      if (payment.status === "FAILED") {
        setStatus("The payment failed.");
        setPhase("failed");
        return;
      }
      if (payment.status === "PROCESSING" && payment.client_secret && !current.confirmed) {
        setStatus("");
        setPhase("card"); // waiting for the donor's card
        return;
      }
      if (Date.now() > deadline) {
        setStatus("Still pending.");
        setPhase("stuck");
        return;
      }
      show(payment);
      await sleep(PAYMENT_POLL_MS);
      try {
        payment = await paymentGet(payment.id, current.receiptToken);
        current = { ...current, payment };
        keep(current);
      } catch {
        setStatus("Pending: checking the payment again (connection problem)…");
      }
    }
  }

  async function submit(event?: FormEvent) {
    event?.preventDefault();
    if (busyRef.current || terminal) return; // a double click or a second Enter: one attempt
    let current = attemptRef.current;
    if (!current?.pledge) {
      const input = validate();
      if (!input) return;
      const fingerprint = JSON.stringify([input, user?.id ?? null]);
      if (!current || current.fingerprint !== fingerprint) {
        current = {
          fingerprint,
          input,
          pledgeKey: newIdempotencyKey(),
          paymentKey: newIdempotencyKey(),
        };
      }
      keep(current);
    }
    busyRef.current = true;
    setBusy(true);
    setFailure(null);
    setPhase("working");
    try {
      if (!current.pledge) {
        setStatus("Pending: recording your pledge…");
        const pledge = await pledgeCreate(current.input, current.pledgeKey, Boolean(user));
        current = { ...current, pledge, receiptToken: pledge.receipt_token };
        keep(current);
      }
      if (!current.payment) {
        setStatus("Pending: preparing the payment…");
        current = { ...current, payment: await pay(current) };
        keep(current);
      }
      await follow(current);
    } catch (error) {
      if (!mounted.current) return;
      setFailure(error);
      setStatus("");
      setPhase(current.pledge || retryable(error) ? "error" : "form");
    } finally {
      busyRef.current = false;
      if (mounted.current) setBusy(false);
    }
  }

  function startOver() {
    attemptRef.current = null;
    setAttempt(null);
    setFailure(null);
    setCardError("");
    setStatus("");
    setPhase("form");
    setTimeout(() => document.getElementById("donate-continue")?.focus());
  }

  const pledge = attempt?.pledge;
  const payment = attempt?.payment;
  const receipt = pledge ? href.receipt(pledge.id, attempt?.receiptToken, payment?.id) : null;
  const amountLabel = parsed.ok ? formatMoney(parsed.minor, currency) : "";

  if (campaign.status !== "active") {
    return <p className="notice">This campaign is not taking donations ({campaign.status}).</p>;
  }

  return (
    <>
      {phase === "paid" && pledge && payment ? (
        <div className="notice notice-success outcome" ref={outcomeRef} tabIndex={-1} data-testid="outcome">
          <h2>Thank you!</h2>
          <p>
            Your donation of <Money minor={payment.amount} currency={payment.currency} /> to{" "}
            {campaign.title} is <StatusBadge status="CAPTURED" />.
            {payment.card_last4 && <> Paid with {cardLabel(payment.card_brand, payment.card_last4)}.</>}
          </p>
          <p>
            {receipt && <a href={receipt}>View your receipt</a>}
            {!user && " (keep this link: it is the only way back to a guest receipt)"}
          </p>
          <p className="actions">
            <a className="button" href={href.campaign(campaign.id)}>
              Back to the campaign
            </a>
            <button type="button" className="button-secondary" onClick={startOver}>
              Give again
            </button>
          </p>
        </div>
      ) : (
        <>
          <form id="donate-form" onSubmit={submit} noValidate>
            <fieldset disabled={locked}>
              <legend>Amount ({currency.toUpperCase()})</legend>
              <div className="choices">
                {presets.map((minor) => (
                  <label key={minor} className="choice">
                    <input
                      type="radio"
                      name="amount"
                      value={minor}
                      checked={amountChoice === minor}
                      onChange={() => setAmountChoice(minor)}
                    />
                    <span>{formatMoney(minor, currency, { compact: true })}</span>
                  </label>
                ))}
                <label className="choice">
                  <input
                    type="radio"
                    name="amount"
                    value="custom"
                    checked={amountChoice === "custom"}
                    onChange={() => {
                      setAmountChoice("custom");
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
                value={custom}
                onChange={(event) => {
                  setCustom(event.target.value);
                  setAmountChoice("custom");
                }}
                error={errors.amount}
              />
            </fieldset>
            <div className="check">
              <input
                id="anonymous"
                type="checkbox"
                checked={anonymous}
                disabled={locked}
                onChange={(event) => setAnonymous(event.target.checked)}
                aria-describedby="anonymous-hint"
              />
              <label htmlFor="anonymous">Give anonymously</label>
              <p id="anonymous-hint" className="hint">
                The donor wall shows “Anonymous” instead of your name. The amount still counts.
              </p>
            </div>
          </form>

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
                    {(
                      [
                        ["guest", "As a guest"],
                        ["signin", "Sign in"],
                        ["register", "Create an account"],
                      ] as const
                    ).map(([value, label]) => (
                      <label key={value} className="choice">
                        <input
                          id={`identity-${value}`}
                          type="radio"
                          name="identity"
                          value={value}
                          checked={identity === value}
                          onChange={() => setIdentity(value)}
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
                  {identity === "guest" && (
                    <>
                      <Field
                        id="donor_name"
                        form="donate-form"
                        label="Your name"
                        autoComplete="name"
                        maxLength={150}
                        value={guestName}
                        onChange={(event) => setGuestName(event.target.value)}
                        error={errors.donor_name}
                      />
                      <Field
                        id="donor_email"
                        form="donate-form"
                        label="Your email"
                        type="email"
                        autoComplete="email"
                        hint="For your receipt. Never shown publicly."
                        value={guestEmail}
                        onChange={(event) => setGuestEmail(event.target.value)}
                        error={errors.donor_email}
                      />
                    </>
                  )}
                </fieldset>
                {identity !== "guest" && !locked && (
                  <AuthForm
                    mode={identity}
                    idPrefix={`donate-${identity}`}
                    onDone={() => setErrors({})}
                  />
                )}
              </>
            )}
          </section>

          <section aria-labelledby="pay-title" className="panel">
            <h2 id="pay-title">Payment</h2>
            {phase === "card" && payment?.client_secret && payment.publishable_key ? (
              <CardPayment
                config={config}
                clientSecret={payment.client_secret}
                publishableKey={payment.publishable_key}
                amountLabel={amountLabel || formatMoney(payment.amount, payment.currency)}
                onConfirmed={confirmed}
              />
            ) : (
              <>
                {!pledge && (
                  <p className="hint">
                    Next you enter your card in our payment provider&apos;s secure form.
                    {config.sandbox && " This is a test environment: use a test card; no real money moves."}
                  </p>
                )}
                {phase !== "failed" && phase !== "stuck" && !payment && (
                  <button
                    id="donate-continue"
                    type="submit"
                    form="donate-form"
                    className="button-large"
                    disabled={busy}
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
                {phase === "working" && <StatusBadge status="PENDING" />} {status}
              </p>
            )}
          </div>

          {phase === "failed" && (
            <div className="notice notice-error outcome" ref={outcomeRef} tabIndex={-1} data-testid="outcome">
              <h2>Payment failed</h2>
              <p>
                {failureMessage(payment?.failure_reason ?? null)} No money was taken. Your pledge is
                marked <StatusBadge status="FAILED" />.
              </p>
              <button type="button" onClick={startOver}>
                Try another card
              </button>
            </div>
          )}
          {phase === "stuck" && (
            <div className="notice outcome" ref={outcomeRef} tabIndex={-1} data-testid="outcome">
              <h2>Still processing</h2>
              <p>
                The payment is taking longer than usual. It will complete or fail on its own; your
                receipt shows which.
              </p>
            </div>
          )}
          {failure !== null && (
            <ErrorNotice
              error={failure}
              onRetry={phase === "error" ? () => void submit() : undefined}
            >
              {phase === "error" && pledge && (
                <button type="button" className="button-secondary" onClick={startOver}>
                  Start over with a new pledge
                </button>
              )}
            </ErrorNotice>
          )}
          {receipt && phase !== "paid" && (
            <p className="receipt-link">
              <a href={receipt}>Your receipt</a>
              {!user && " — keep this link to check your donation later."}
            </p>
          )}
        </>
      )}
    </>
  );
}

/** "For example 10.50" (usd), "For example 1050" (jpy): the format parseAmount reads. */
function currencyHint(currency: string): string {
  const first = presetAmounts(currency)[0] ?? 1000;
  return `For example ${toDecimal(first + first / 20, currency)}.`;
}
