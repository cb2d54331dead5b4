import { useRef, useState } from "react";

import { ErrorNotice, Loading, Money, PageTitle, Progress, StatusBadge } from "../components";
import { campaignGet, donationsList } from "../endpoints";
import { formatDate, plural } from "../format";
import { isAbort, usePolling } from "../hooks";
import { href } from "../router";
import type { Campaign, Donation } from "../types";

/** How often the totals and the newest donations refresh (no reload needed). */
export const LIVE_INTERVAL_MS = 1500;

/** Newest first by pledge id, each pledge once with its latest status. */
export function mergeDonations(shown: Donation[], fresh: Donation[]): Donation[] {
  const byId = new Map(shown.map((donation) => [donation.pledge_id, donation]));
  for (const donation of fresh) byId.set(donation.pledge_id, donation);
  return [...byId.values()].sort((a, b) => b.pledge_id - a.pledge_id);
}

export function CampaignPage({ id }: { id: number }) {
  const [campaign, setCampaign] = useState<Campaign | null>(null);
  const [failure, setFailure] = useState<unknown>(null);
  const [liveFailure, setLiveFailure] = useState<unknown>(null);
  const [donations, setDonations] = useState<Donation[] | null>(null);
  const [next, setNext] = useState<string | null>(null);
  const pagesLoaded = useRef(1);
  const [loadingMore, setLoadingMore] = useState(false);
  const [moreFailure, setMoreFailure] = useState<unknown>(null);
  const [attempt, setAttempt] = useState(0);

  usePolling(
    async (signal) => {
      try {
        const [fresh, page] = await Promise.all([
          campaignGet(id, signal),
          donationsList(id, null, signal),
        ]);
        setCampaign(fresh);
        setDonations((shown) => mergeDonations(shown ?? [], page.results));
        // Until "load more" is used, the first page's cursor is the one to follow.
        if (pagesLoaded.current === 1) setNext(page.next);
        setFailure(null);
        setLiveFailure(null);
        return true;
      } catch (error) {
        if (isAbort(error)) return false;
        if (campaign === null) {
          setFailure(error);
          return false; // nothing to keep fresh: the retry button starts again
        }
        setLiveFailure(error);
        return true;
      }
    },
    LIVE_INTERVAL_MS,
    [id, attempt],
  );

  async function loadMore() {
    setLoadingMore(true);
    setMoreFailure(null);
    try {
      const page = await donationsList(id, next);
      setDonations((shown) => mergeDonations(shown ?? [], page.results));
      setNext(page.next);
      pagesLoaded.current += 1;
    } catch (error) {
      setMoreFailure(error);
    } finally {
      setLoadingMore(false);
    }
  }

  const unavailable = failure !== null && campaign === null;
  return (
    <article>
      <p className="breadcrumb">
        <a href={href.campaigns()}>← All campaigns</a>
      </p>
      <PageTitle title={campaign?.title ?? "Campaign"}>
        {campaign?.title ?? (unavailable ? "Campaign not available" : "Loading campaign…")}
      </PageTitle>
      {campaign === null ? (
        unavailable ? (
          <ErrorNotice error={failure} onRetry={() => setAttempt((n) => n + 1)} />
        ) : (
          <Loading label="Loading the campaign…" />
        )
      ) : (
        <>
          <section className="totals" aria-label="Totals" data-testid="campaign-totals">
            <Progress
              current={campaign.current_amount}
              goal={campaign.goal_amount}
              currency={campaign.currency}
            />
            <p className="raised" aria-live="polite" aria-atomic="true">
              <Money minor={campaign.current_amount} currency={campaign.currency} /> raised of{" "}
              <Money minor={campaign.goal_amount} currency={campaign.currency} /> goal
            </p>
            <dl className="stats">
              <div>
                <dt>Donations</dt>
                <dd data-testid="total-pledges">{campaign.total_pledges.toLocaleString()}</dd>
              </div>
              <div>
                <dt>Pending</dt>
                <dd>
                  <Money
                    minor={campaign.pending_amount + campaign.authorized_amount}
                    currency={campaign.currency}
                  />
                </dd>
              </div>
              <div>
                <dt>Payments completed</dt>
                <dd>{campaign.total_payments.toLocaleString()}</dd>
              </div>
            </dl>
            {liveFailure !== null && (
              <p className="notice notice-warning" role="status">
                Live updates are paused ({describe(liveFailure)}); retrying…
              </p>
            )}
            {campaign.status === "active" ? (
              <a className="button button-large" href={href.donate(campaign.id)}>
                Donate
              </a>
            ) : (
              <p className="notice">This campaign is not taking donations ({campaign.status}).</p>
            )}
          </section>
          <section aria-label="About this campaign" className="description">
            {campaign.description || <span className="muted">No description.</span>}
          </section>
          <section aria-labelledby="wall-title" className="wall">
            <h2 id="wall-title">Donor wall</h2>
            {donations === null || donations.length === 0 ? (
              <p className="empty">No donations yet. Be the first!</p>
            ) : (
              <ol className="donations" data-testid="donor-wall">
                {donations.map((donation) => (
                  <li key={donation.pledge_id} data-pledge-id={donation.pledge_id}>
                    <span className="donor">{donation.donor_name}</span>
                    <Money minor={donation.amount} currency={donation.currency} />
                    <StatusBadge status={donation.status} />
                    <time className="muted" dateTime={donation.occurred_at}>
                      {formatDate(donation.occurred_at)}
                    </time>
                  </li>
                ))}
              </ol>
            )}
            {moreFailure !== null && <ErrorNotice error={moreFailure} onRetry={loadMore} />}
            {next && (
              <button
                type="button"
                className="button-secondary"
                onClick={loadMore}
                disabled={loadingMore}
              >
                {loadingMore ? "Loading…" : "Load more donations"}
              </button>
            )}
            {donations !== null && donations.length > 0 && (
              <p className="muted small">
                Showing {plural(donations.length, "donation", "donations")}, newest first.
              </p>
            )}
          </section>
        </>
      )}
    </article>
  );
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : "connection problem";
}
