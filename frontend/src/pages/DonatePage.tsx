import { useEffect, useState } from "react";

import { ErrorNotice, Loading, PageTitle } from "../components";
import { campaignGet } from "../endpoints";
import { isAbort } from "../hooks";
import { href } from "../router";
import { paymentConfig, type PaymentConfig } from "../stripe";
import type { Campaign } from "../types";
import { DonateForm } from "./donate/DonateForm";

/**
 * The donate page: the campaign and the platform's payment configuration, then the form
 * (src/pages/donate/: the amount, identity and payment parts, and the useDonationAttempt hook
 * that runs the payment attempt).
 */
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
