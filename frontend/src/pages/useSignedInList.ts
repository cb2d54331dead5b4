import { useEffect, useState } from "react";

import { campaignTitle } from "../campaignTitles";
import { isAbort, useSession } from "../hooks";
import type { Session } from "../session";
import type { Page } from "../types";

/** Reads one page of a list: the first (``next`` null) or the one ``next`` names. */
export type PageLoader<T> = (next: string | null, signal?: AbortSignal) => Promise<Page<T>>;

export interface SignedInList<T> {
  /** The signed-in user, or null: then nothing is read. */
  session: Session | null;
  /** The rows read so far; null until the first page has come. */
  items: T[] | null;
  /** The titles of the rows' campaigns, as they arrive. */
  names: Record<number, string>;
  /** The next page's address, if there is one. */
  next: string | null;
  failure: unknown;
  /** A further page is being read. */
  loading: boolean;
  loadMore: () => Promise<void>;
  /** "Try again": the first page again if it failed, else the page that failed. */
  retry: () => void;
}

/**
 * A signed-in user's paginated list (their donations, their plans): the first page once signed
 * in, "Load more" following ``next``, and the title of each row's campaign.
 */
export function useSignedInList<T extends { campaign_id: number }>(load: PageLoader<T>): SignedInList<T> {
  const session = useSession();
  const [items, setItems] = useState<T[] | null>(null);
  const [next, setNext] = useState<string | null>(null);
  const [names, setNames] = useState<Record<number, string>>({});
  const [failure, setFailure] = useState<unknown>(null);
  const [loading, setLoading] = useState(false);
  const [attempt, setAttempt] = useState(0);
  const userId = session?.user.id;

  useEffect(() => {
    if (userId === undefined) return;
    const controller = new AbortController();
    setFailure(null);
    load(null, controller.signal).then(
      (page) => {
        setItems(page.results);
        setNext(page.next);
      },
      (error) => {
        if (!isAbort(error)) setFailure(error);
      },
    );
    return () => controller.abort();
  }, [load, userId, attempt]);

  useEffect(() => {
    for (const id of new Set((items ?? []).map((item) => item.campaign_id))) {
      if (names[id] === undefined) {
        void campaignTitle(id).then((title) => setNames((known) => ({ ...known, [id]: title })));
      }
    }
  }, [items, names]);

  async function loadMore() {
    setLoading(true);
    setFailure(null);
    try {
      const page = await load(next);
      setItems((shown) => [...(shown ?? []), ...page.results]);
      setNext(page.next);
    } catch (error) {
      setFailure(error);
    } finally {
      setLoading(false);
    }
  }

  const retry = () => (items === null ? setAttempt((n) => n + 1) : void loadMore());
  return { session, items, names, next, failure, loading, loadMore, retry };
}
