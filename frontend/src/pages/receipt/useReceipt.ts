import { useState } from "react";

import { campaignGet, paymentGet, paymentRefunds, pledgeGet } from "../../endpoints";
import { isAbort, useSession, usePolling } from "../../hooks";
import type { Campaign, Payment, Pledge, Refund } from "../../types";

const FINAL = new Set(["CAPTURED", "REFUNDED", "FAILED"]);
const REFUNDABLE = new Set(["CAPTURED", "REFUNDED"]);
const RECEIPT_POLL_MS = 2000;

export interface ReceiptState {
  pledge: Pledge | null;
  payment: Payment | null;
  /** Why the payment could not be read (the pledge could). */
  paymentFailure: unknown;
  campaign: Campaign | null;
  refunds: Refund[];
  /** Why the pledge could not be read. */
  failure: unknown;
  /** Ask again after a first failure (the "Try again" button). */
  retry: () => void;
}

/**
 * A pledge and its payment (with the payment's refunds and the campaign's title), for its donor
 * or with the receipt token, refreshed until both have reached a final status.
 */
export function useReceipt(pledgeId: number, token: string | null, paymentId: number | null): ReceiptState {
  const session = useSession();
  const [pledge, setPledge] = useState<Pledge | null>(null);
  const [payment, setPayment] = useState<Payment | null>(null);
  const [paymentFailure, setPaymentFailure] = useState<unknown>(null);
  const [campaign, setCampaign] = useState<Campaign | null>(null);
  const [refunds, setRefunds] = useState<Refund[]>([]);
  const [failure, setFailure] = useState<unknown>(null);
  const [attempt, setAttempt] = useState(0);

  usePolling(
    async (signal) => {
      try {
        const fresh = await pledgeGet(pledgeId, token, signal);
        setPledge(fresh);
        setFailure(null);
        if (campaign === null) {
          campaignGet(fresh.campaign_id, signal).then(setCampaign, () => undefined);
        }
        let paid: Payment | null = payment;
        if (paymentId !== null) {
          try {
            paid = await paymentGet(paymentId, token, signal);
            setPayment(paid);
            setPaymentFailure(null);
            if (REFUNDABLE.has(paid.status)) {
              paymentRefunds(paymentId, token, signal).then(
                (page) => setRefunds(page.results),
                () => undefined, // the payment's own status and refunded amount still say it
              );
            }
          } catch (error) {
            if (isAbort(error)) throw error;
            setPaymentFailure(error);
          }
        }
        // Keep refreshing until both have reached a final status.
        return !(FINAL.has(fresh.status) && (paymentId === null || (paid && FINAL.has(paid.status))));
      } catch (error) {
        if (isAbort(error)) return false;
        setFailure(error);
        return pledge !== null; // a first failure waits for the retry button
      }
    },
    RECEIPT_POLL_MS,
    [pledgeId, token, paymentId, attempt, session?.user.id],
  );

  return { pledge, payment, paymentFailure, campaign, refunds, failure, retry: () => setAttempt((n) => n + 1) };
}
