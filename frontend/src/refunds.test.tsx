import { renderToStaticMarkup } from "react-dom/server";
import { describe, expect, it } from "vitest";

import { DonationItem } from "./pages/MyDonationsPage";
import { Receipt, statusSentence } from "./pages/receipt/Receipt";
import { RefundList, RefundedNote, refundedPart } from "./refunds";
import type { Payment, Pledge, Refund } from "./types";

const pledge: Pledge = {
  id: 12,
  campaign_id: 3,
  user_id: 2,
  donor_name: "Ada",
  anonymous: false,
  amount: 2500,
  currency: "usd",
  status: "CAPTURED",
  refunded_amount: 0,
  created_at: "2026-12-01T10:00:00Z",
  updated_at: "2026-12-01T10:00:00Z",
};

const payment: Payment = {
  id: 5,
  pledge_id: 12,
  campaign_id: 3,
  amount: 2500,
  currency: "usd",
  status: "CAPTURED",
  provider_payment_id: "pi_1",
  failure_reason: null,
  refunded_amount: 0,
  card_brand: "visa",
  card_last4: "4242",
  created_at: "2026-12-01T10:00:00Z",
  updated_at: "2026-12-01T10:00:00Z",
};

function refund(fields: Partial<Refund>): Refund {
  return {
    id: 1,
    payment_id: 5,
    amount: 1000,
    currency: "usd",
    status: "succeeded",
    source: "staff",
    reason: "",
    created_at: "2026-12-01T11:00:00Z",
    ...fields,
  };
}

function receipt(props: { pledge?: Pledge; payment?: Payment | null; refunds?: Refund[] }): string {
  return renderToStaticMarkup(
    <Receipt
      pledge={props.pledge ?? pledge}
      payment={props.payment === undefined ? payment : props.payment}
      paymentId={props.payment === null ? null : 5}
      paymentFailure={null}
      failure={null}
      campaign={null}
      refunds={props.refunds ?? []}
      token={null}
    />,
  );
}

/** The text a reader sees: markup and entities out, spaces as one. */
function text(html: string): string {
  return html
    .replace(/<[^>]+>/g, " ")
    .replace(/&#x27;|&#39;/g, "'")
    .replace(/\s+/g, " ")
    .trim();
}

describe("refundedPart", () => {
  it.each([
    [2500, 0, "CAPTURED", "none"],
    [2500, undefined, "CAPTURED", "none"],
    [2500, 1000, "CAPTURED", "partly"],
    [2500, 2500, "CAPTURED", "fully"],
    [2500, 2500, "REFUNDED", "fully"],
    [2500, 0, "REFUNDED", "fully"], // the status is the provider's word; the sum may lag
  ] as const)("%i with %s refunded, %s → %s", (amount, refunded, status, expected) => {
    expect(refundedPart(amount, refunded, status)).toBe(expected);
  });
});

describe("RefundedNote", () => {
  it("shows the refunded part of a partly refunded donation", () => {
    const html = renderToStaticMarkup(<RefundedNote amount={2500} refunded={1050} currency="usd" status="CAPTURED" />);
    expect(html).toContain('data-testid="refunded-amount"');
    expect(text(html)).toBe("$10.50 refunded");
  });

  it("shows nothing when none, or all, went back (the badge says Refunded)", () => {
    expect(renderToStaticMarkup(<RefundedNote amount={2500} refunded={0} currency="usd" status="CAPTURED" />)).toBe("");
    expect(renderToStaticMarkup(<RefundedNote amount={2500} refunded={2500} currency="usd" status="REFUNDED" />)).toBe(
      "",
    );
  });

  it("formats currencies without minor units", () => {
    const html = renderToStaticMarkup(<RefundedNote amount={5000} refunded={1200} currency="jpy" status="CAPTURED" />);
    expect(text(html)).toContain("1,200");
    expect(text(html)).not.toContain("12.00");
  });
});

describe("RefundList", () => {
  it("lists each refund with its amount and what became of it", () => {
    const html = renderToStaticMarkup(
      <RefundList
        refunds={[refund({ id: 1 }), refund({ id: 2, amount: 500, status: "pending" }), refund({ id: 3, status: "failed" })]}
      />,
    );
    expect(html).toContain('data-testid="refunds"');
    const items = html.split("<li").slice(1).map(text);
    expect(items).toHaveLength(3);
    expect(items[0]).toMatch(/^[^$]*\$10\.00 · Refunded ·/);
    expect(items[1]).toMatch(/\$5\.00 · Being refunded ·/);
    expect(items[2]).toMatch(/\$10\.00 · Not refunded ·/);
  });

  it("renders nothing without refunds", () => {
    expect(renderToStaticMarkup(<RefundList refunds={[]} />)).toBe("");
  });
});

describe("the receipt", () => {
  it("labels a refunded donation Refunded and says so", () => {
    const html = receipt({
      pledge: { ...pledge, status: "REFUNDED", refunded_amount: 2500 },
      payment: { ...payment, status: "REFUNDED", refunded_amount: 2500 },
      refunds: [refund({ amount: 2500 })],
    });
    expect(html).toContain('data-status="REFUNDED"');
    expect(text(html)).toContain("#12 Refunded");
    expect(text(html)).toContain("#5 Refunded");
    expect(text(html)).toContain("Refunded: the whole donation went back to your card.");
    expect(text(html)).toContain("Refunds");
    expect(text(html)).not.toContain("Paid. Thank you!");
    expect(html).not.toContain('data-testid="refunded-amount"');
  });

  it("shows a partial refund from the payment's refunded amount, the pledge's lagging", () => {
    const html = receipt({ payment: { ...payment, refunded_amount: 1000 }, refunds: [refund({})] });
    expect(text(html)).toContain("$25.00 $10.00 refunded");
    expect(text(html)).toContain("#5 Paid");
    expect(text(html)).toContain("partly refunded");
  });

  it("shows a partial refund from the pledge's refunded amount without a payment", () => {
    const html = receipt({ pledge: { ...pledge, refunded_amount: 700 }, payment: null });
    expect(text(html)).toContain("$7.00 refunded");
    expect(html).not.toContain('data-testid="refunds"');
  });

  it("shows no refund on a paid donation", () => {
    const html = receipt({});
    expect(text(html)).toContain("Paid. Thank you!");
    expect(html).not.toContain("refunded");
    expect(html).not.toContain('data-testid="refunds"');
  });
});

describe("statusSentence", () => {
  it("says refunded for a REFUNDED pledge before its payment is loaded", () => {
    expect(statusSentence({ ...pledge, status: "REFUNDED", refunded_amount: 2500 }, null)).toMatch(/^Refunded/);
  });

  it("keeps the failed and pending sentences", () => {
    expect(statusSentence({ ...pledge, status: "FAILED" }, null)).toMatch(/failed/);
    expect(statusSentence({ ...pledge, status: "PENDING" }, null)).toMatch(/^Pending/);
  });
});

describe("My donations", () => {
  it("labels a refunded donation Refunded", () => {
    const html = renderToStaticMarkup(
      <DonationItem pledge={{ ...pledge, status: "REFUNDED", refunded_amount: 2500 }} title="Clean water" />,
    );
    expect(text(html)).toMatch(/^\$25\.00 Refunded to Clean water/);
    expect(html).not.toContain('data-testid="refunded-amount"');
  });

  it("shows the refunded part of a partly refunded donation", () => {
    const html = renderToStaticMarkup(<DonationItem pledge={{ ...pledge, refunded_amount: 1000 }} title={undefined} />);
    expect(text(html)).toMatch(/^\$25\.00 Paid \$10\.00 refunded to Campaign #3/);
  });
});
