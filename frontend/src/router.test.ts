import { describe, expect, it } from "vitest";

import { href, parseHash, safeNext } from "./router";

describe("parseHash", () => {
  it.each([
    ["", { name: "campaigns" }],
    ["#/", { name: "campaigns" }],
    ["#/campaigns", { name: "campaigns" }],
    ["#/campaigns/3", { name: "campaign", id: 3 }],
    ["#/campaigns/3/donate", { name: "donate", id: 3 }],
    ["#/my-donations", { name: "mine" }],
    ["#/receipt/12?token=abc.def&payment=5", { name: "receipt", pledgeId: 12, token: "abc.def", paymentId: 5 }],
    ["#/receipt/12", { name: "receipt", pledgeId: 12, token: null, paymentId: null }],
    ["#/signin?next=%23%2Fcampaigns%2F3", { name: "signin", next: "#/campaigns/3" }],
    ["#/signin?next=https%3A%2F%2Fevil.example", { name: "signin", next: "#/" }],
    ["#/recurring", { name: "plans" }],
    ["#/recurring/4", { name: "plan", id: 4, manageToken: null }],
    ["#/recurring/4?manage_token=m.t", { name: "plan", id: 4, manageToken: "m.t" }],
    [
      "#/recurring/4/installments/19/authenticate?manage_token=m.t",
      { name: "authenticate", planId: 4, pledgeId: 19, manageToken: "m.t" },
    ],
    ["#/recurring/4/installments/19", { name: "notfound" }],
    ["#/recurring/x", { name: "notfound" }],
    ["#/campaigns/0", { name: "notfound" }],
    ["#/campaigns/abc", { name: "notfound" }],
    ["#/nowhere", { name: "notfound" }],
  ])("reads %j", (hash, route) => {
    expect(parseHash(hash)).toEqual(route);
  });

  it("round-trips a receipt link", () => {
    const link = href.receipt(12, "t/o+k=en", 5);
    expect(parseHash(link)).toEqual({ name: "receipt", pledgeId: 12, token: "t/o+k=en", paymentId: 5 });
  });

  it("round-trips a plan's manage links", () => {
    expect(parseHash(href.plan(4, "a+b/c="))).toEqual({ name: "plan", id: 4, manageToken: "a+b/c=" });
    expect(parseHash(href.authenticate(4, 19, "a+b/c="))).toEqual({
      name: "authenticate",
      planId: 4,
      pledgeId: 19,
      manageToken: "a+b/c=",
    });
    expect(href.plan(4)).toBe("#/recurring/4");
  });

  it("only follows the site's own routes after signing in", () => {
    expect(safeNext("#/my-donations")).toBe("#/my-donations");
    expect(safeNext("//evil.example")).toBe("#/");
    expect(safeNext(null)).toBe("#/");
  });
});
