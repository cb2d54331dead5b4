import type { MouseEvent } from "react";

import { ErrorBoundary, PageTitle } from "./components";
import { signOut } from "./endpoints";
import { usePaymentConfig, useSession } from "./hooks";
import { CampaignPage } from "./pages/CampaignPage";
import { CampaignsPage } from "./pages/CampaignsPage";
import { DonatePage } from "./pages/DonatePage";
import { MyDonationsPage } from "./pages/MyDonationsPage";
import { ReceiptPage } from "./pages/ReceiptPage";
import { AuthenticatePage } from "./pages/recurring/AuthenticatePage";
import { MyPlansPage } from "./pages/recurring/MyPlansPage";
import { PlanPage } from "./pages/recurring/PlanPage";
import { SignInPage } from "./pages/SignInPage";
import { href, navigate, useHash, useRoute, type Route } from "./router";

function Page({ route }: { route: Route }) {
  switch (route.name) {
    case "campaigns":
      return <CampaignsPage />;
    case "campaign":
      return <CampaignPage id={route.id} />;
    case "donate":
      return <DonatePage id={route.id} />;
    case "receipt":
      return <ReceiptPage pledgeId={route.pledgeId} token={route.token} paymentId={route.paymentId} />;
    case "signin":
    case "register":
      return <SignInPage mode={route.name} next={route.next} />;
    case "mine":
      return <MyDonationsPage />;
    case "plans":
      return <MyPlansPage />;
    case "plan":
      return <PlanPage id={route.id} manageToken={route.manageToken} />;
    case "authenticate":
      return <AuthenticatePage planId={route.planId} pledgeId={route.pledgeId} manageToken={route.manageToken} />;
    case "notfound":
      return (
        <section>
          <PageTitle title="Page not found" />
          <p>
            There is nothing at this address. <a href={href.campaigns()}>See the campaigns</a>.
          </p>
        </section>
      );
  }
}

export function App() {
  const hash = useHash();
  const route = useRoute();
  const session = useSession();
  const config = usePaymentConfig();
  const here = hash || "#/";
  return (
    <>
      <a className="skip" href="#main" onClick={skipToMain}>
        Skip to content
      </a>
      {config?.sandbox && (
        <p className="sandbox-banner" role="note" data-testid="sandbox-banner">
          Sandbox: this is a demonstration. Use test cards only; no real money moves.
        </p>
      )}
      <header className="site-header">
        <a className="brand" href={href.campaigns()}>
          CareForAll
        </a>
        <nav aria-label="Main">
          <ul>
            <li>
              <a href={href.campaigns()} aria-current={route.name === "campaigns" ? "page" : undefined}>
                Campaigns
              </a>
            </li>
            {session ? (
              <>
                <li>
                  <a href={href.mine()} aria-current={route.name === "mine" ? "page" : undefined}>
                    My donations
                  </a>
                </li>
                <li>
                  <a href={href.plans()} aria-current={route.name === "plans" ? "page" : undefined}>
                    My plans
                  </a>
                </li>
                <li>
                  <button
                    type="button"
                    className="link"
                    onClick={() => {
                      signOut();
                      if (signedInOnly(route)) navigate(href.campaigns());
                    }}
                  >
                    Sign out <span className="muted">({session.user.name})</span>
                  </button>
                </li>
              </>
            ) : (
              <li>
                <a
                  href={href.signIn(route.name === "signin" || route.name === "register" ? undefined : here)}
                  aria-current={route.name === "signin" ? "page" : undefined}
                >
                  Sign in
                </a>
              </li>
            )}
          </ul>
        </nav>
      </header>
      <main id="main">
        {/* A new boundary and page per address: one page failing never blanks the next. */}
        <ErrorBoundary key={hash}>
          <Page route={route} />
        </ErrorBoundary>
      </main>
      <footer className="site-footer">
        <p className="muted small">
          CareForAll{config?.sandbox && " · a sandbox: test cards only, no real money moves"}
        </p>
      </footer>
    </>
  );
}

/** A page that shows the donor's own data only while signed in (a manage link needs no account). */
function signedInOnly(route: Route): boolean {
  return route.name === "mine" || route.name === "plans" || (route.name === "plan" && !route.manageToken);
}

/** The skip link must not change the hash: routes live there. */
function skipToMain(event: MouseEvent) {
  event.preventDefault();
  document.querySelector<HTMLElement>("main h1")?.focus();
}
