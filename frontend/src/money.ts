// Money is an integer of minor units beside a currency (SPEC §2). Nothing here does float
// arithmetic on money: amounts are split into major and minor parts with BigInt division, and the
// formatter is given the exact decimal string ("1234.50"), which Intl.NumberFormat formats
// without going through a binary float. Parsing goes the other way on the digits themselves.
//
// A currency's exponent (2 for usd, 0 for jpy, 3 for bhd) comes from Intl (CLDR data), so
// zero- and three-decimal currencies work without a table of our own.

/** The largest pledge amount, in minor units (SPEC §2). */
export const MAX_AMOUNT = 100_000_000;

const exponents = new Map<string, number>();
const formatters = new Map<string, Intl.NumberFormat>();

/** The number of minor-unit digits of ``currency`` (usd → 2, jpy → 0). */
export function currencyExponent(currency: string): number {
  const code = currency.toUpperCase();
  let exponent = exponents.get(code);
  if (exponent === undefined) {
    try {
      exponent =
        new Intl.NumberFormat("en", { style: "currency", currency: code }).resolvedOptions()
          .maximumFractionDigits ?? 2;
    } catch {
      exponent = 2; // not a well-formed code: the usual two decimals
    }
    exponents.set(code, exponent);
  }
  return exponent;
}

function formatter(currency: string, locale: string | undefined, compact: boolean) {
  const code = currency.toUpperCase();
  const key = `${locale ?? ""}|${code}|${compact}`;
  let result = formatters.get(key);
  if (!result) {
    const exponent = currencyExponent(code);
    result = new Intl.NumberFormat(locale, {
      style: "currency",
      currency: code,
      minimumFractionDigits: exponent,
      maximumFractionDigits: exponent,
      // "$10" for a preset button, "$10.50" when there are cents.
      trailingZeroDisplay: compact ? "stripIfInteger" : "auto",
    });
    formatters.set(key, result);
  }
  return result;
}

/** The exact decimal string of ``minor`` minor units: toDecimal(1250, "usd") → "12.50". */
export function toDecimal(minor: number | bigint, currency: string): string {
  if (typeof minor === "number" && !Number.isSafeInteger(minor)) {
    throw new RangeError(`An amount must be an integer of minor units, not ${minor}.`);
  }
  const exponent = currencyExponent(currency);
  const value = BigInt(minor);
  const magnitude = value < 0n ? -value : value;
  const scale = 10n ** BigInt(exponent);
  const major = (magnitude / scale).toString();
  const fraction = exponent ? "." + (magnitude % scale).toString().padStart(exponent, "0") : "";
  return `${value < 0n ? "-" : ""}${major}${fraction}`;
}

export interface FormatOptions {
  locale?: string;
  /** Drop ".00" from whole amounts (preset buttons). */
  compact?: boolean;
}

/** formatMoney(1250, "usd", {locale: "en-US"}) → "$12.50". */
export function formatMoney(
  minor: number | bigint,
  currency: string,
  { locale, compact = false }: FormatOptions = {},
): string {
  const decimal = toDecimal(minor, currency) as Intl.StringNumericLiteral;
  return formatter(currency, locale, compact).format(decimal);
}

export type ParseResult = { ok: true; minor: number } | { ok: false; error: string };

const DECIMAL = /^(?:(\d+)(?:\.(\d*))?|\.(\d+))$/;

/**
 * Read what a donor typed ("12.5") as minor units (1250) of ``currency``, exactly.
 *
 * Accepts digits with an optional decimal point; refuses more decimals than the currency has
 * (trailing zeros aside: "12.500" is 1250 cents), signs, exponents, thousands separators, zero
 * and anything above MAX_AMOUNT.
 */
export function parseAmount(input: string, currency: string): ParseResult {
  const text = input.trim();
  if (!text) return { ok: false, error: "Enter an amount." };
  if (text.includes(",")) {
    return { ok: false, error: "Use a point for decimals and no thousands separators, e.g. 1250.50." };
  }
  const match = DECIMAL.exec(text);
  if (!match) return { ok: false, error: "Enter the amount as a number, e.g. 25 or 12.50." };
  const whole = match[1] ?? "0";
  const fraction = (match[2] ?? match[3] ?? "").replace(/0+$/, "");
  const exponent = currencyExponent(currency);
  if (fraction.length > exponent) {
    return {
      ok: false,
      error:
        exponent === 0
          ? `${currency.toUpperCase()} has no minor unit: enter a whole amount.`
          : `Use at most ${exponent} decimal places.`,
    };
  }
  const minor = BigInt(whole) * 10n ** BigInt(exponent) + BigInt(fraction.padEnd(exponent, "0") || "0");
  if (minor < 1n) return { ok: false, error: "The amount must be more than zero." };
  if (minor > BigInt(MAX_AMOUNT)) {
    return { ok: false, error: `The amount can be at most ${formatMoney(MAX_AMOUNT, currency)}.` };
  }
  return { ok: true, minor: Number(minor) };
}

/** Whole percent of ``goal`` that ``current`` reaches, 0–100, by integer division. */
export function percentOf(current: number, goal: number): number {
  if (goal <= 0 || current <= 0) return 0;
  const percent = Number((BigInt(current) * 100n) / BigInt(goal));
  return Math.min(100, percent);
}

/** The preset amounts offered for ``currency``, in minor units: 10, 25, 50, 100 major units
 * (1,000 to 10,000 for a zero-decimal currency such as jpy). */
export function presetAmounts(currency: string): number[] {
  const scale = 10 ** Math.max(currencyExponent(currency), 2);
  return [10, 25, 50, 100].map((major) => major * scale);
}
