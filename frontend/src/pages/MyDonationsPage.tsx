import { useEffect, useState } from "react";

import { campaignTitle } from "../campaignTitles";
import { ErrorNotice, Loading, Money, PageTitle, StatusBadge } from "../components";
import { myPledges } from "../endpoints";
import { formatDate } from "../format";
import { isAbort, useSession } from "../hooks";
import { RefundedNote } from "../refunds";
import { href } from "../router";
import type { Pledge } from "../types";

/** One donation of the history: amount, status (with a refunded part), campaign, receipt link. */
export function DonationItem({ pledge, title }: { pledge: Pledge; title: string | undefined }) {
  return (
    <li data-pledge-id={pledge.id}>
      <div className="history-main">
        <Money minor={pledge.amount} currency={pledge.currency} /> <StatusBadge status={pledge.status} />{" "}
        <RefundedNote
          amount={pledge.amount}
          refunded={pledge.refunded_amount}
          currency={pledge.currency}
          status={pledge.status}
        />
        {pledge.anonymous && <span className="tag">Anonymous</span>}
        {pledge.plan_id ? (
          <a className="tag" href={href.plan(pledge.plan_id)}>
            Recurring gift
          </a>
        ) : null}
      </div>
      <div>
        to <a href={href.campaign(pledge.campaign_id)}>{title ?? `Campaign #${pledge.campaign_id}`}</a>
      </div>
      <div className="muted small">
        <time dateTime={pledge.created_at}>{formatDate(pledge.created_at)}</time> ·{" "}
        <a href={href.receipt(pledge.id)}>Receipt #{pledge.id}</a>
      </div>
    </li>
  );
}

export function MyDonationsPage() {
  const session = useSession();
  const [pledges, setPledges] = useState<Pledge[] | null>(null);
  const [next, setNext] = useState<string | null>(null);
  const [names, setNames] = useState<Record<number, string>>({});
  const [failure, setFailure] = useState<unknown>(null);
  const [loading, setLoading] = useState(false);
  const [attempt, setAttempt] = useState(0);
  const userId = session?.user.id;

  useEffect(() => {
    if (userId === undefined) return;
    const controller = new AbortController();
    setFailure(null);
    myPledges(null, controller.signal).then(
      (page) => {
        setPledges(page.results);
        setNext(page.next);
      },
      (error) => {
        if (!isAbort(error)) setFailure(error);
      },
    );
    return () => controller.abort();
  }, [userId, attempt]);

  useEffect(() => {
    for (const id of new Set((pledges ?? []).map((pledge) => pledge.campaign_id))) {
      if (names[id] === undefined) {
        void campaignTitle(id).then((title) => setNames((known) => ({ ...known, [id]: title })));
      }
    }
  }, [pledges, names]);

  async function loadMore() {
    setLoading(true);
    setFailure(null);
    try {
      const page = await myPledges(next);
      setPledges((shown) => [...(shown ?? []), ...page.results]);
      setNext(page.next);
    } catch (error) {
      setFailure(error);
    } finally {
      setLoading(false);
    }
  }

  if (!session) {
    return (
      <section>
        <PageTitle title="My donations" />
        <p>
          <a href={href.signIn(href.mine())}>Sign in</a> to see your donations, or{" "}
          <a href={href.register(href.mine())}>create an account</a>.
        </p>
      </section>
    );
  }

  const staff = session.user.role === "staff";
  return (
    <section>
      <PageTitle title={staff ? "All donations" : "My donations"} />
      {staff && <p className="hint">As staff you see every donor’s pledges.</p>}
      {pledges === null && failure === null && <Loading label="Loading your donations…" />}
      {pledges !== null && pledges.length === 0 && (
        <p className="empty">
          No donations yet. <a href={href.campaigns()}>Find a campaign</a>.
        </p>
      )}
      {pledges !== null && pledges.length > 0 && (
        <ul className="history" data-testid="my-donations">
          {pledges.map((pledge) => (
            <DonationItem key={pledge.id} pledge={pledge} title={names[pledge.campaign_id]} />
          ))}
        </ul>
      )}
      {failure !== null && (
        <ErrorNotice
          error={failure}
          onRetry={() => (pledges === null ? setAttempt((n) => n + 1) : void loadMore())}
        />
      )}
      {next && (
        <button type="button" className="button-secondary" onClick={loadMore} disabled={loading}>
          {loading ? "Loading…" : "Load more"}
        </button>
      )}
    </section>
  );
}
