import { useCallback, useEffect, useRef, useState } from "react";

import { ErrorNotice, Loading, Money, PageTitle, Progress } from "../components";
import { campaignsList } from "../endpoints";
import { excerpt, plural } from "../format";
import { isAbort } from "../hooks";
import { href } from "../router";
import type { Campaign } from "../types";

/** performance.mark name set when the list first shows (the browser tests read it). */
export const LIST_RENDERED_MARK = "cfa:campaign-list-rendered";

export function CampaignsPage() {
  const [campaigns, setCampaigns] = useState<Campaign[] | null>(null);
  const [next, setNext] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [loadingMore, setLoadingMore] = useState(false);
  const marked = useRef(false);

  const load = useCallback(async (signal?: AbortSignal) => {
    setError(null);
    try {
      const page = await campaignsList(null, signal);
      setCampaigns(page.results);
      setNext(page.next);
    } catch (failure) {
      if (!isAbort(failure)) setError(failure);
    }
  }, []);

  useEffect(() => {
    const controller = new AbortController();
    void load(controller.signal);
    return () => controller.abort();
  }, [load]);

  useEffect(() => {
    if (campaigns && !marked.current) {
      marked.current = true;
      // After the frame that shows the list: the time to first render of the list.
      requestAnimationFrame(() => performance.mark(LIST_RENDERED_MARK));
    }
  }, [campaigns]);

  async function loadMore() {
    setLoadingMore(true);
    setError(null);
    try {
      const page = await campaignsList(next);
      setCampaigns((shown) => {
        const ids = new Set((shown ?? []).map((campaign) => campaign.id));
        return [...(shown ?? []), ...page.results.filter((campaign) => !ids.has(campaign.id))];
      });
      setNext(page.next);
    } catch (failure) {
      setError(failure);
    } finally {
      setLoadingMore(false);
    }
  }

  return (
    <section>
      <PageTitle title="Campaigns">Give to a campaign</PageTitle>
      {campaigns === null && !error && <Loading label="Loading campaigns…" />}
      {error !== null && <ErrorNotice error={error} onRetry={() => void (campaigns ? loadMore() : load())} />}
      {campaigns !== null && campaigns.length === 0 && (
        <p className="empty">No campaigns are raising money right now. Please come back soon.</p>
      )}
      {campaigns !== null && campaigns.length > 0 && (
        <ul className="cards" aria-label="Active campaigns" data-testid="campaign-list">
          {campaigns.map((campaign) => (
            <li key={campaign.id} className="card" data-campaign-id={campaign.id}>
              <h2>
                <a href={href.campaign(campaign.id)}>{campaign.title}</a>
              </h2>
              {campaign.description && <p className="excerpt">{excerpt(campaign.description)}</p>}
              <Progress
                current={campaign.current_amount}
                goal={campaign.goal_amount}
                currency={campaign.currency}
              />
              <p className="raised">
                <Money minor={campaign.current_amount} currency={campaign.currency} /> raised of{" "}
                <Money minor={campaign.goal_amount} currency={campaign.currency} />
                <span className="muted">
                  {" · "}
                  {plural(campaign.total_pledges, "donation", "donations")}
                </span>
              </p>
              <a
                className="button"
                href={href.donate(campaign.id)}
                aria-label={`Donate to ${campaign.title}`}
              >
                Donate
              </a>
            </li>
          ))}
        </ul>
      )}
      {next && (
        <button type="button" className="button-secondary" onClick={loadMore} disabled={loadingMore}>
          {loadingMore ? "Loading…" : "Show more campaigns"}
        </button>
      )}
    </section>
  );
}
