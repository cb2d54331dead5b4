import { useEffect, useRef, useState } from "react";

import { formatDate } from "../../format";
import { isAbort, usePolling, useSession } from "../../hooks";
import { perInterval } from "../../planText";
import { planCancel, planChangeAmount, planGet, planPause, planResume } from "../../recurring";
import type { RecurringPlan } from "../../types";

/** How long a plan still being set up is read again, once a second. */
const SETTING_UP_POLL_MS = 120_000;

/** What the donor can do to a plan; each is confirmed on the page before it is sent. */
export type PlanAction =
  | { type: "pause"; until: string | null } // until: a date (YYYY-MM-DD), the plan resumes by itself then
  | { type: "resume" }
  | { type: "cancel" }
  | { type: "amount"; amount: number };

export interface PlanState {
  plan: RecurringPlan | null;
  /** Why the plan could not be read. */
  failure: unknown;
  reload: () => void;
  /** A newer plan than the last answer (the card change's polling). */
  setPlan: (plan: RecurringPlan) => void;
  /** The action on its way, if any. */
  running: PlanAction | null;
  /** Why the last action was refused (a 409 when the plan's state does not allow it, …). */
  actionFailure: unknown;
  /** What the last action did, in words, for the page's status region. */
  done: string;
  run: (action: PlanAction) => Promise<boolean>;
}

/** The ISO-8601 timestamp of the start of ``date`` (YYYY-MM-DD) in UTC. */
export function untilTimestamp(date: string): string {
  return `${date}T00:00:00Z`;
}

function send(id: number, token: string | null, action: PlanAction): Promise<RecurringPlan> {
  switch (action.type) {
    case "pause":
      return planPause(id, action.until ? untilTimestamp(action.until) : null, token);
    case "resume":
      return planResume(id, token);
    case "cancel":
      return planCancel(id, token);
    case "amount":
      return planChangeAmount(id, action.amount, token);
  }
}

/** What the platform's answer to ``action`` means for the donor. */
export function doneText(action: PlanAction, plan: RecurringPlan): string {
  switch (action.type) {
    case "pause":
      return plan.paused_until
        ? `Paused until ${formatDate(plan.paused_until)}: nothing is charged until then.`
        : "Paused: nothing is charged until you resume the gift.";
    case "resume":
      return plan.next_charge_at ? `Resumed. The next charge is on ${formatDate(plan.next_charge_at)}.` : "Resumed.";
    case "cancel":
      return "Canceled. No further installments will be charged.";
    case "amount":
      return `Changed: from the next installment on, you give ${perInterval(plan.amount, plan.currency, plan.interval)}.`;
  }
}

/**
 * The plan ``id`` for its donor (signed in) or anyone with its ``manageToken``, and the actions on
 * it: one at a time, each answered by the plan as it now is.
 */
export function usePlan(id: number, manageToken: string | null): PlanState {
  const session = useSession();
  const [plan, setPlan] = useState<RecurringPlan | null>(null);
  const [failure, setFailure] = useState<unknown>(null);
  const [reloads, setReloads] = useState(0);
  const [running, setRunning] = useState<PlanAction | null>(null);
  const [actionFailure, setActionFailure] = useState<unknown>(null);
  const [done, setDone] = useState("");
  const inFlight = useRef(false);
  const userId = session?.user.id;
  const canRead = Boolean(manageToken) || userId !== undefined;

  useEffect(() => {
    if (!canRead) return;
    const controller = new AbortController();
    setFailure(null);
    planGet(id, manageToken, controller.signal).then(setPlan, (error) => {
      if (!isAbort(error)) setFailure(error);
    });
    return () => controller.abort();
  }, [id, manageToken, userId, canRead, reloads]);

  // A plan being set up becomes active (or canceled) once its first payment's outcome reaches
  // the platform, moments after the donor's card was accepted: read it again until then.
  const settingUp = plan?.status === "incomplete";
  const settingUpSince = useRef(0);
  usePolling(
    async (signal) => {
      if (!settingUp) return false;
      settingUpSince.current ||= Date.now();
      if (Date.now() - settingUpSince.current > SETTING_UP_POLL_MS) return false;
      const fresh = await planGet(id, manageToken, signal);
      setPlan(fresh);
      return fresh.status === "incomplete";
    },
    1000,
    [id, manageToken, settingUp],
  );

  async function run(action: PlanAction): Promise<boolean> {
    if (inFlight.current) return false; // a second click while the first is on its way
    inFlight.current = true;
    setRunning(action);
    setActionFailure(null);
    setDone("");
    try {
      const fresh = await send(id, manageToken, action);
      setPlan(fresh);
      setDone(doneText(action, fresh));
      return true;
    } catch (error) {
      setActionFailure(error);
      return false;
    } finally {
      inFlight.current = false;
      setRunning(null);
    }
  }

  return {
    plan,
    failure,
    reload: () => setReloads((n) => n + 1),
    setPlan,
    running,
    actionFailure,
    done,
    run,
  };
}
