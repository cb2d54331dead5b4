// "Verify my gift" on the receipt page (SPEC §3 "Transparency log"): fetch what the checks need
// from the public transparency API, then run them with verifyGift. Nothing here is trusted: every
// answer is checked by verify.ts against the signed checkpoint.
import { ApiError, request, withQuery } from "../api";
import type { Campaign } from "../types";
import {
  parseCheckpoint,
  verifyGift,
  type GiftVerification,
  type InclusionProof,
  type TransparencyEntry,
} from "./verify";

/** `GET /api/payments/{id}` → `transparency`, for the payment's donor: null until logged. */
export interface TransparencyBlock {
  campaign_id: number;
  index: number;
  salt: string;
}

export interface GiftEvidence {
  checkpointNote: string;
  verifierKey: string;
  proof: InclusionProof;
  entry: TransparencyEntry;
  campaignCurrentAmount: number;
}

/** Why the gift cannot be checked yet (no checkpoint holds its entry): a retry will tell. */
export class NotYetSigned extends Error {}

export const CHECK_LABELS: Record<string, string> = {
  signature: "The campaign's checkpoint is signed by the platform's key",
  entry: "Your entry is a capture of this campaign, in its currency",
  commitment: "Your entry's commitment is this payment's (with your salt)",
  inclusion: "The proof places your entry inside the signed checkpoint and its total",
  total: "The signed total is the total on the campaign page",
};

function logPath(campaignId: number, rest: string): string {
  return `/api/campaigns/${campaignId}/transparency/${rest}`;
}

async function checkpointText(campaignId: number, signal?: AbortSignal): Promise<string> {
  const response = await fetch(logPath(campaignId, "checkpoint"), {
    headers: { Accept: "text/plain, application/problem+json" },
    cache: "no-store",
    signal,
  });
  if (response.status === 404) {
    throw new NotYetSigned("The campaign's log has no signed checkpoint yet.");
  }
  if (!response.ok) {
    throw new ApiError({
      status: response.status,
      title: "Checkpoint not available",
      detail: "The campaign's signed checkpoint could not be read. Please try again.",
    });
  }
  return response.text();
}

/** The tree size a note claims (checked later, with its signature, by verifyGift). */
export function claimedTreeSize(note: string): number {
  const end = note.indexOf("\n\n");
  return parseCheckpoint(end < 0 ? note : note.slice(0, end + 1)).treeSize;
}

/** Everything the checks need, fetched from the gateway's public reads. */
export async function giftEvidence(
  block: TransparencyBlock,
  signal?: AbortSignal,
): Promise<GiftEvidence> {
  const campaignId = block.campaign_id;
  const [checkpointNote, key, campaign] = await Promise.all([
    checkpointText(campaignId, signal),
    request<{ name: string; key: string }>("/api/transparency/key", { signal, auth: "none" }),
    request<Campaign>(`/api/campaigns/${campaignId}`, { signal, auth: "none" }),
  ]);
  const treeSize = claimedTreeSize(checkpointNote);
  if (block.index >= treeSize) {
    throw new NotYetSigned("Your gift is logged; the next signed checkpoint will include it.");
  }
  const query = { index: block.index, tree_size: treeSize };
  const [proof, entries] = await Promise.all([
    request<InclusionProof>(withQuery(logPath(campaignId, "proof"), query), { signal, auth: "none" }),
    request<{ entries: TransparencyEntry[] }>(
      withQuery(logPath(campaignId, "entries"), { start: block.index, end: block.index + 1 }),
      { signal, auth: "none" },
    ),
  ]);
  const entry = entries.entries[0];
  if (!entry) throw new ApiError({ status: 0, title: "No entry", detail: "The log did not serve your entry." });
  return {
    checkpointNote,
    verifierKey: key.key,
    proof,
    entry,
    campaignCurrentAmount: campaign.current_amount,
  };
}

/** Fetch and check: the result of each check, or why there is nothing to check yet. */
export async function verifyMyGift(
  block: TransparencyBlock,
  paymentId: number,
  signal?: AbortSignal,
): Promise<GiftVerification> {
  const evidence = await giftEvidence(block, signal);
  return verifyGift({
    ...evidence,
    salt: block.salt,
    paymentId,
    campaignId: block.campaign_id,
    index: block.index,
  });
}

/** The sentence that sums a verification up: "verified", or the first check that failed. */
export function verdict(result: GiftVerification): string {
  if (result.ok) return "Verified: your gift is in the campaign's signed total.";
  const failed = result.checks.find((check) => !check.ok);
  return `Not verified: ${failed ? `${CHECK_LABELS[failed.name]} — no (${failed.detail})` : "a check failed"}.`;
}
