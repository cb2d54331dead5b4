import { describe, expect, it } from "vitest";

import {
  MAX_AMOUNT,
  currencyExponent,
  formatMoney,
  parseAmount,
  percentOf,
  presetAmounts,
  toDecimal,
} from "./money";

const en = { locale: "en-US" };

describe("parseAmount", () => {
  it.each([
    ["12.5", 1250],
    ["12.50", 1250],
    ["12", 1200],
    ["0.5", 50],
    [".5", 50],
    ["12.", 1200],
    [" 7.25 ", 725],
    ["12.500", 1250], // trailing zeros add no precision
    ["0.01", 1],
    ["0.29", 29], // 0.29 * 100 is 28.999999999999996 in floats
    ["1000000", MAX_AMOUNT],
  ])("reads %j as %i cents", (input, minor) => {
    expect(parseAmount(input, "usd")).toEqual({ ok: true, minor });
  });

  it.each([
    ["0.001", /at most 2 decimal places/],
    ["", /Enter an amount/],
    ["   ", /Enter an amount/],
    ["0", /more than zero/],
    ["0.00", /more than zero/],
    ["-5", /as a number/],
    ["+5", /as a number/],
    ["1e3", /as a number/],
    ["abc", /as a number/],
    [".", /as a number/],
    ["12.3.4", /as a number/],
    ["1,000", /thousands separators/],
    ["1000000.01", /at most \$1,000,000\.00/],
    ["99999999999999999999", /at most/],
  ])("refuses %j", (input, message) => {
    const result = parseAmount(input, "usd");
    expect(result.ok).toBe(false);
    expect(result.ok ? "" : result.error).toMatch(message);
  });

  it("reads yen, a zero-decimal currency, as whole units", () => {
    expect(parseAmount("1250", "jpy")).toEqual({ ok: true, minor: 1250 });
    expect(parseAmount("1250.0", "jpy")).toEqual({ ok: true, minor: 1250 });
    const refused = parseAmount("12.5", "jpy");
    expect(refused).toEqual({ ok: false, error: "JPY has no minor unit: enter a whole amount." });
  });

  it("reads a three-decimal currency", () => {
    expect(parseAmount("1.234", "bhd")).toEqual({ ok: true, minor: 1234 });
    expect(parseAmount("1.2345", "bhd").ok).toBe(false);
  });
});

describe("formatMoney", () => {
  it.each([
    [1250, "usd", "$12.50"],
    [5, "usd", "$0.05"],
    [0, "usd", "$0.00"],
    [MAX_AMOUNT, "usd", "$1,000,000.00"],
    [-1250, "usd", "-$12.50"],
    [1250, "jpy", "¥1,250"],
    [1250, "eur", "€12.50"],
    [1234, "bhd", "BHD 1.234"],
  ])("formats %i %s as %s", (minor, currency, text) => {
    expect(formatMoney(minor, currency, en).replace(/\u00a0/g, " ")).toBe(text);
  });

  it("is exact beyond the float range", () => {
    expect(formatMoney(9_007_199_254_740_993n, "usd", en)).toBe("$90,071,992,547,409.93");
  });

  it("drops the zeros of a whole amount when compact", () => {
    expect(formatMoney(1000, "usd", { ...en, compact: true })).toBe("$10");
    expect(formatMoney(1050, "usd", { ...en, compact: true })).toBe("$10.50");
  });

  it("refuses an amount that is not an integer of minor units", () => {
    expect(() => formatMoney(12.5, "usd")).toThrow(RangeError);
  });
});

describe("helpers", () => {
  it("knows the currency exponents", () => {
    expect([currencyExponent("usd"), currencyExponent("JPY"), currencyExponent("bhd")]).toEqual([
      2, 0, 3,
    ]);
  });

  it("writes exact decimals", () => {
    expect(toDecimal(5, "usd")).toBe("0.05");
    expect(toDecimal(1250, "jpy")).toBe("1250");
  });

  it("computes whole percentages with integers", () => {
    expect(percentOf(50, 200)).toBe(25);
    expect(percentOf(1, 3)).toBe(33);
    expect(percentOf(500, 200)).toBe(100);
    expect(percentOf(0, 200)).toBe(0);
    expect(percentOf(10, 0)).toBe(0);
  });

  it("offers presets in the currency's minor units", () => {
    expect(presetAmounts("usd")).toEqual([1000, 2500, 5000, 10000]);
    expect(presetAmounts("jpy")).toEqual([1000, 2500, 5000, 10000]);
    expect(presetAmounts("bhd")).toEqual([10000, 25000, 50000, 100000]);
  });
});
