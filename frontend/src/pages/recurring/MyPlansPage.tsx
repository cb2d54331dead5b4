import { PageTitle } from "../../components";
import { myPlans } from "../../recurring";
import { href } from "../../router";
import type { RecurringPlan } from "../../types";
import { ListStates, SignedOut } from "../ListStates";
import { useSignedInList } from "../useSignedInList";
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
  const list = useSignedInList(myPlans);
  const { session, names } = list;
  if (!session) {
    return (
      <SignedOut title="My plans">
        <a href={href.signIn(href.plans())}>Sign in</a> to see your monthly and yearly gifts. A gift
        made as a guest is managed from the link in its confirmation email.
      </SignedOut>
    );
  }

  const staff = session.user.role === "staff";
  return (
    <section>
      <PageTitle title={staff ? "All plans" : "My plans"} />
      <p className="hint">Monthly and yearly gifts: each installment also shows in My donations.</p>
      <ListStates
        list={list}
        loadingLabel="Loading your plans…"
        empty={
          <>
            No monthly or yearly gifts yet. Choose “Give monthly” when you donate to{" "}
            <a href={href.campaigns()}>a campaign</a>.
          </>
        }
        testId="my-plans"
        row={(plan) => <PlanItem key={plan.id} plan={plan} title={names[plan.campaign_id]} />}
      />
    </section>
  );
}
