import { useEffect, useState } from "react";

import { campaignTitle } from "../../campaignTitles";
import { ErrorNotice, Loading, PageTitle } from "../../components";
import { usePaymentConfig, useSession } from "../../hooks";
import { cancelReason, intervalAdjective } from "../../planText";
import { href } from "../../router";
import { ChangeCard } from "./ChangeCard";
import { PlanActions } from "./PlanActions";
import { PlanFacts } from "./PlanFacts";
import { useCardChange } from "./useCardChange";
import { usePlan } from "./usePlan";

/**
 * #/recurring/{id}: one plan, for its donor or anyone with its manage link (?manage_token=): its
 * facts, then pause, resume, change amount, change card and cancel.
 */
export function PlanPage({ id, manageToken }: { id: number; manageToken: string | null }) {
  const session = useSession();
  const config = usePaymentConfig();
  const state = usePlan(id, manageToken);
  const change = useCardChange(state.plan, manageToken, state.setPlan);
  const [title, setTitle] = useState<string | null>(null);
  const { plan } = state;
  const campaignId = plan?.campaign_id;

  useEffect(() => {
    if (campaignId !== undefined) void campaignTitle(campaignId).then(setTitle);
  }, [campaignId]);

  if (!manageToken && !session) {
    return (
      <section>
        <PageTitle title="Your plan" />
        <p>
          <a href={href.signIn(href.plan(id))}>Sign in</a> to manage this gift, or open the link in the
          email you received when you set it up.
        </p>
      </section>
    );
  }

  const heading = plan
    ? `${plan.interval === "month" ? "Monthly" : "Yearly"} gift${title ? ` to ${title}` : ""}`
    : "Your plan";
  return (
    <section className="plan">
      {session && !manageToken && (
        <p className="breadcrumb">
          <a href={href.plans()}>← My plans</a>
        </p>
      )}
      <PageTitle title={heading} />
      {plan === null && state.failure === null && <Loading label="Loading your plan…" />}
      {state.failure !== null && (
        <ErrorNotice error={state.failure} onRetry={state.reload}>
          {manageToken && <p>Check that the link is complete: it is in the email about your gift.</p>}
        </ErrorNotice>
      )}
      {plan && (
        <>
          <PlanFacts plan={plan} />
          {plan.status === "past_due" && (
            <p className="notice notice-warning">
              The last installment could not be charged. It is tried again in a few days; changing
              the card below makes the next try use the new one.
            </p>
          )}
          {plan.pending_authentication?.pledge_id && plan.status !== "canceled" && (
            <p className="notice notice-warning">
              Your bank asks you to confirm a payment.{" "}
              <a href={href.authenticate(plan.id, plan.pending_authentication.pledge_id, manageToken)}>
                Confirm it now
              </a>
            </p>
          )}
          <div className="status" role="status" aria-live="polite" data-testid="plan-action-status">
            {state.done && <p>{state.done}</p>}
          </div>
          {plan.status === "canceled" ? (
            <p className="notice">
              This {intervalAdjective(plan.interval)} gift has ended
              {cancelReason(plan.cancel_reason) ? `: ${cancelReason(plan.cancel_reason)}` : ""}. Nothing more
              is charged. <a href={href.donate(plan.campaign_id)}>Give again</a>
            </p>
          ) : (
            <>
              <PlanActions key={`${plan.status}-${plan.amount}`} plan={plan} state={state} />
              {plan.status !== "incomplete" && <ChangeCard plan={plan} config={config} change={change} />}
            </>
          )}
        </>
      )}
    </section>
  );
}
