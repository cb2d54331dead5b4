import { ApiError } from "../api";
import { ErrorNotice, Loading, PageTitle } from "../components";
import { useSession } from "../hooks";
import { Receipt } from "./receipt/Receipt";
import { useReceipt } from "./receipt/useReceipt";

/** A pledge and its payment, for its donor or for a guest holding the link's receipt token. */
export function ReceiptPage({
  pledgeId,
  token,
  paymentId,
}: {
  pledgeId: number;
  token: string | null;
  paymentId: number | null;
}) {
  const session = useSession();
  const { pledge, payment, paymentFailure, campaign, refunds, failure, retry } = useReceipt(
    pledgeId,
    token,
    paymentId,
  );

  return (
    <section className="receipt">
      <PageTitle title="Receipt">Your receipt</PageTitle>
      {pledge === null ? (
        failure === null ? (
          <Loading label="Loading your receipt…" />
        ) : (
          <>
            <ErrorNotice error={failure} onRetry={retry} />
            <p>{explain(failure, token, Boolean(session))}</p>
          </>
        )
      ) : (
        <Receipt
          pledge={pledge}
          payment={payment}
          paymentId={paymentId}
          paymentFailure={paymentFailure}
          failure={failure}
          campaign={campaign}
          refunds={refunds}
          token={token}
        />
      )}
    </section>
  );
}

function explain(failure: unknown, token: string | null, signedIn: boolean): string {
  if (failure instanceof ApiError && failure.status === 401) {
    return "Sign in to see this donation, or open the receipt link you got when you donated.";
  }
  if (failure instanceof ApiError && failure.status === 404) {
    return token
      ? "Check that the receipt link is complete: it must include its token."
      : signedIn
        ? "This donation is not one of yours."
        : "Open the receipt link you got when you donated.";
  }
  return "";
}
