import { campaignGet } from "./endpoints";

const titles = new Map<number, Promise<string>>();

/** A campaign's title, asked once per page load ("Campaign #3" when it cannot be read). */
export function campaignTitle(id: number): Promise<string> {
  let title = titles.get(id);
  if (!title) {
    title = campaignGet(id).then(
      (campaign) => campaign.title,
      () => `Campaign #${id}`,
    );
    titles.set(id, title);
  }
  return title;
}
