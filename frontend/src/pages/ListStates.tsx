import type { ReactNode } from "react";

import { ErrorNotice, Loading, PageTitle } from "../components";
import type { SignedInList } from "./useSignedInList";

interface Props<T> {
  list: SignedInList<T>;
  /** What the spinner says while the first page is read. */
  loadingLabel: string;
  /** What an empty list says. */
  empty: ReactNode;
  /** The list's ``data-testid``. */
  testId: string;
  /** One row (an ``<li>`` with its key). */
  row: (item: T) => ReactNode;
}

/** A signed-in list's states: loading, empty, the rows, a failure with "Try again", "Load more". */
export function ListStates<T>({ list, loadingLabel, empty, testId, row }: Props<T>) {
  const { items, failure, next, loading } = list;
  return (
    <>
      {items === null && failure === null && <Loading label={loadingLabel} />}
      {items !== null && items.length === 0 && <p className="empty">{empty}</p>}
      {items !== null && items.length > 0 && (
        <ul className="history" data-testid={testId}>
          {items.map(row)}
        </ul>
      )}
      {failure !== null && <ErrorNotice error={failure} onRetry={list.retry} />}
      {next && (
        <button type="button" className="button-secondary" onClick={() => void list.loadMore()} disabled={loading}>
          {loading ? "Loading…" : "Load more"}
        </button>
      )}
    </>
  );
}

/** A signed-in list's page for a visitor who is not signed in: its title and how to sign in. */
export function SignedOut({ title, children }: { title: string; children: ReactNode }) {
  return (
    <section>
      <PageTitle title={title} />
      <p>{children}</p>
    </section>
  );
}
