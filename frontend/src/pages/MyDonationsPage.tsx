import { Money, PageTitle, StatusBadge } from "../components";
import { myPledges } from "../endpoints";
import { formatDate } from "../format";
import { RefundedNote } from "../refunds";
import { href } from "../router";
import type { Pledge } from "../types";
import { ListStates, SignedOut } from "./ListStates";
import { useSignedInList } from "./useSignedInList";

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

/** #/my-donations: the signed-in donor's donations (staff: every donor's pledges). */
export function MyDonationsPage() {
  const list = useSignedInList(myPledges);
  const { session, names } = list;
  if (!session) {
    return (
      <SignedOut title="My donations">
        <a href={href.signIn(href.mine())}>Sign in</a> to see your donations, or{" "}
        <a href={href.register(href.mine())}>create an account</a>.
      </SignedOut>
    );
  }

  const staff = session.user.role === "staff";
  return (
    <section>
      <PageTitle title={staff ? "All donations" : "My donations"} />
      {staff && <p className="hint">As staff you see every donor’s pledges.</p>}
      <ListStates
        list={list}
        loadingLabel="Loading your donations…"
        empty={
          <>
            No donations yet. <a href={href.campaigns()}>Find a campaign</a>.
          </>
        }
        testId="my-donations"
        row={(pledge) => <DonationItem key={pledge.id} pledge={pledge} title={names[pledge.campaign_id]} />}
      />
    </section>
  );
}
