import { describe, expect, it } from "vitest";

import { cardErrorMessage, cardLabel, failureMessage } from "./stripe";

describe("what a donor reads about a card", () => {
  it("explains the provider's refusals", () => {
    expect(cardErrorMessage({ type: "card_error", code: "card_declined", decline_code: "generic_decline", message: "Your card was declined." })).toBe(
      "Your card was declined.",
    );
    expect(cardErrorMessage({ type: "card_error", code: "card_declined", decline_code: "insufficient_funds" })).toBe(
      "Your card has insufficient funds.",
    );
    expect(cardErrorMessage({ type: "invalid_request_error", code: "payment_intent_authentication_failure" })).toContain("3-D Secure");
    expect(cardErrorMessage({ type: "api_error" })).toBe("The payment could not be completed.");
  });

  it("explains the platform's failure reasons", () => {
    expect(failureMessage("abandoned")).toBe("The payment was not completed in time, so it was canceled.");
    expect(failureMessage("card_declined: insufficient_funds")).toBe("Your card has insufficient funds.");
    expect(failureMessage("card_declined: generic_decline")).toBe("The bank declined the card (card_declined: generic_decline).");
    expect(failureMessage("payment_intent_authentication_failure")).toContain("3-D Secure");
    expect(failureMessage("amount_too_small")).toBe("The payment failed: amount_too_small.");
    expect(failureMessage(null)).toBe("The bank declined the card.");
  });

  it("shows a card by brand and last four digits only", () => {
    expect(cardLabel("visa", "4242")).toBe("Visa •••• 4242");
    expect(cardLabel("amex", "0005")).toBe("American Express •••• 0005");
    expect(cardLabel("unionpay", "0001")).toBe("Unionpay •••• 0001");
    expect(cardLabel(null, null)).toBeNull();
  });
});
