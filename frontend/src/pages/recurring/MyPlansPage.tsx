import { useEffect, useState } from "react";

import { campaignTitle } from "../../campaignTitles";
import { ErrorNotice, Loading, PageTitle } from "../../components";
import { isAbort, useSession } from "../../hooks";
import { myPlans } from "../../recurring";
import { href } from "../../router";
import type { RecurringPlan } from "../../types";
import { PlanFacts } from "./PlanFacts";

/** One plan of the list: its campaign, its facts, and the way to manage it. */
export function PlanItem({ plan, title }: { plan: RecurringPlan; title: string | undefined }) {
  const campaign = title ?? `Campaign #${plan.campaign_id}`;
  return (
    <li data-plan-id={plan.id}>
      <div className="history-main">
        <a href={href.plan(plan.id)}>
          {plan.interval === "month" ? "Monthly" : "Yearly"} gift to {campaign}
        </a>
        {plan.anonymous && <span className="tag">Anonymous</span>}
      </div>
      <PlanFacts plan={plan} />
    </li>
  );
}

/** #/recurring: the signed-in donor's monthly and yearly gifts (staff: everyone's). */
export function MyPlansPage() {
  const session = useSession();
  const [plans, setPlans] = useState<RecurringPlan[] | null>(null);
  const [next, setNext] = useState<string | null>(null);
  const [names, setNames] = useState<Record<number, string>>({});
  const [failure, setFailure] = useState<unknown>(null);
  const [loading, setLoading] = useState(false);
  const [reloads, setReloads] = useState(0);
  const userId = session?.user.id;

  useEffect(() => {
    if (userId === undefined) return;
    const controller = new AbortController();
    setFailure(null);
    myPlans(null, controller.signal).then(
      (page) => {
        setPlans(page.results);
        setNext(page.next);
      },
      (error) => {
        if (!isAbort(error)) setFailure(error);
      },
    );
    return () => controller.abort();
  }, [userId, reloads]);

  useEffect(() => {
    for (const id of new Set((plans ?? []).map((plan) => plan.campaign_id))) {
      if (names[id] === undefined) {
        void campaignTitle(id).then((title) => setNames((known) => ({ ...known, [id]: title })));
      }
    }
  }, [plans, names]);

  async function loadMore() {
    setLoading(true);
    setFailure(null);
    try {
      const page = await myPlans(next);
      setPlans((shown) => [...(shown ?? []), ...page.results]);
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
        <PageTitle title="My plans" />
        <p>
          <a href={href.signIn(href.plans())}>Sign in</a> to see your monthly and yearly gifts. A gift
          made as a guest is managed from the link in its confirmation email.
        </p>
      </section>
    );
  }

  const staff = session.user.role === "staff";
  return (
    <section>
      <PageTitle title={staff ? "All plans" : "My plans"} />
      <p className="hint">Monthly and yearly gifts: each installment also shows in My donations.</p>
      {plans === null && failure === null && <Loading label="Loading your plans…" />}
      {plans !== null && plans.length === 0 && (
        <p className="empty">
          No monthly or yearly gifts yet. Choose “Give monthly” when you donate to{" "}
          <a href={href.campaigns()}>a campaign</a>.
        </p>
      )}
      {plans !== null && plans.length > 0 && (
        <ul className="history" data-testid="my-plans">
          {plans.map((plan) => (
            <PlanItem key={plan.id} plan={plan} title={names[plan.campaign_id]} />
          ))}
        </ul>
      )}
      {failure !== null && (
        <ErrorNotice error={failure} onRetry={() => (plans === null ? setReloads((n) => n + 1) : void loadMore())} />
      )}
      {next && (
        <button type="button" className="button-secondary" onClick={loadMore} disabled={loading}>
          {loading ? "Loading…" : "Load more"}
        </button>
      )}
    </section>
  );
}
