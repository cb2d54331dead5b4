import { afterEach, describe, expect, it, vi } from "vitest";

import { claimedTreeSize, NotYetSigned, verdict, verifyMyGift, type TransparencyBlock } from "./gift";
import type { TransparencyEntry } from "./verify";

type PathItem = { hash: string; sum: number };

// The worked example of docs/transparency.md: campaign 12, payment 1042 is entry 1 (later refunded
// by entry 2); the checkpoint of 3 entries has the total 2500 usd.
const VERIFIER_KEY =
  "localhost:8080/campaigns+e5d196d3+AQOhB7/zzhC+HXDdGOdLwJln5NYwm6UNXx3chmQSVTG4";
const NOTE =
  "localhost:8080/campaigns/12\n3\naeYGWZlQsuknWMbIat7Bl3m3+7Buh1gT6vYaO1yCe3E=\ntotal 2500 usd\n" +
  "\n\u2014 localhost:8080/campaigns 5dGW036I34n3kpeoSkx693IGXkFKvS2/UBGMVJ2/XbRmmF" +
  "NP+U3TQsyqdyibP65Z/pdFQg4HmGeAzr1Vw40ZJ9B6hQk=\n";
const ENTRY: TransparencyEntry = {
  index: 1,
  campaign_id: 12,
  kind: "capture",
  amount: 1000,
  currency: "usd",
  occurred_at: "2025-03-01T09:31:12.345678Z",
  commitment: "da546bacbf7bfe8e1628e5cbd4d56ecdd42553aaca871dc423ef807048cc3789",
  refers_to: null,
};
const PATH: [PathItem, PathItem] = [
  { hash: "9f7121182e233149ff36dbe0ed60ff9b86b606efef4e400750879d95392cc81c", sum: 2500 },
  { hash: "af11408197f9e924aa4775dfaf6a40e99b191974b759c8a82a2dd4525d896c33", sum: -1000 },
];
const BLOCK: TransparencyBlock = {
  campaign_id: 12,
  index: 1,
  salt: "0202950283521680fe1d625833aeefba97735656e380b3182fc6141e3f82b601",
};

interface Log {
  note?: string;
  path?: PathItem[];
  currentAmount?: number;
}

function serve(log: Log = {}): string[] {
  const asked: string[] = [];
  const json = (body: unknown) =>
    new Response(JSON.stringify(body), { headers: { "Content-Type": "application/json" } });
  vi.stubGlobal("fetch", async (input: string) => {
    asked.push(input);
    const url = new URL(input, "http://localhost:8080");
    const base = "/api/campaigns/12/transparency/";
    if (url.pathname === "/api/transparency/key") {
      return json({ name: "localhost:8080/campaigns", key: VERIFIER_KEY });
    }
    if (url.pathname === "/api/campaigns/12") return json({ id: 12, current_amount: log.currentAmount ?? 2500 });
    if (url.pathname === `${base}checkpoint`) {
      return log.note === ""
        ? new Response("{}", { status: 404, headers: { "Content-Type": "application/problem+json" } })
        : new Response(log.note ?? NOTE, { headers: { "Content-Type": "text/plain" } });
    }
    if (url.pathname === `${base}proof`) {
      expect(url.searchParams.get("tree_size")).toBe("3");
      return json({ entry: ENTRY, tree_size: 3, path: log.path ?? PATH });
    }
    if (url.pathname === `${base}entries`) return json({ entries: [ENTRY] });
    return new Response("{}", { status: 404 });
  });
  return asked;
}

afterEach(() => {
  vi.unstubAllGlobals();
});

describe("verify my gift", () => {
  it("verifies a real gift against the signed checkpoint and the campaign page", async () => {
    const asked = serve();
    const result = await verifyMyGift(BLOCK, 1042);
    expect(result.checks.map((check) => [check.name, check.ok])).toEqual([
      ["signature", true],
      ["entry", true],
      ["commitment", true],
      ["inclusion", true],
      ["total", true],
    ]);
    expect(verdict(result)).toMatch(/^Verified/);
    expect(asked).toContain("/api/campaigns/12/transparency/proof?index=1&tree_size=3");
  });

  it("says which check failed: a tampered proof, another payment, a total off the page", async () => {
    serve({ path: [{ ...PATH[0], sum: 2400 }, PATH[1]] });
    const tampered = await verifyMyGift(BLOCK, 1042);
    expect(tampered.ok).toBe(false);
    expect(tampered.checks.find((check) => !check.ok)?.name).toBe("inclusion");
    expect(verdict(tampered)).toMatch(/^Not verified: The proof places your entry/);

    serve();
    const other = await verifyMyGift(BLOCK, 1041);
    expect(other.checks.filter((check) => !check.ok).map((check) => check.name)).toEqual(["commitment"]);

    serve({ currentAmount: 3000 });
    const total = await verifyMyGift(BLOCK, 1042);
    expect(total.checks.filter((check) => !check.ok).map((check) => check.name)).toEqual(["total"]);
  });

  it("waits for a checkpoint that holds the entry", async () => {
    serve({ note: "" });
    await expect(verifyMyGift(BLOCK, 1042)).rejects.toBeInstanceOf(NotYetSigned);
    serve();
    await expect(verifyMyGift({ ...BLOCK, index: 3 }, 1042)).rejects.toBeInstanceOf(NotYetSigned);
  });

  it("reads the tree size a note claims", () => {
    expect(claimedTreeSize(NOTE)).toBe(3);
  });
});

describe("the receipt's section", async () => {
  const { renderToStaticMarkup } = await import("react-dom/server");
  const { createElement } = await import("react");
  const { Checks, VerifyGift } = await import("../pages/receipt/VerifyGift");
  const payment = {
    id: 1042,
    pledge_id: 9,
    campaign_id: 12,
    amount: 1000,
    currency: "usd",
    status: "CAPTURED" as const,
    provider_payment_id: null,
    failure_reason: null,
    refunded_amount: 0,
    card_brand: null,
    card_last4: null,
    created_at: "2025-03-01T09:31:12Z",
    updated_at: "2025-03-01T09:31:12Z",
  };

  it("shows the entry and the salt once logged, and waits before", () => {
    const logged = renderToStaticMarkup(
      createElement(VerifyGift, { payment: { ...payment, transparency: BLOCK } as never, token: null }),
    );
    expect(logged).toContain("#1");
    expect(logged).toContain(BLOCK.salt);
    expect(logged).toContain("Verify my gift");
    const waiting = renderToStaticMarkup(createElement(VerifyGift, { payment, token: null }));
    expect(waiting).toContain("being added to the campaign’s public transparency log");
    const pending = renderToStaticMarkup(
      createElement(VerifyGift, { payment: { ...payment, status: "AUTHORIZED" }, token: null }),
    );
    expect(pending).toBe("");
  });

  it("lists every check with its result", async () => {
    serve({ path: [PATH[1], PATH[0]] });
    const result = await verifyMyGift(BLOCK, 1042);
    const markup = renderToStaticMarkup(createElement(Checks, { result }));
    expect(markup).toContain("Not verified");
    expect(markup).toContain('data-check="inclusion" data-ok="false"');
    expect(markup).toContain('data-check="signature" data-ok="true"');
  });
});
