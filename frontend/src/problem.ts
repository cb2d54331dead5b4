// The problems of SPEC §2 (problem+json `{type, title, status, detail, errors?: [{field, message}]}`)
// as ApiErrors with a message a donor can read. api.ts makes them from the gateway's answers.

export interface FieldError {
  field: string;
  message: string;
}

interface ApiErrorInit {
  status: number;
  title: string;
  detail?: string;
  errors?: FieldError[];
  body?: Record<string, unknown> | null;
  retryAfter?: number | null;
}

/** A request that did not succeed. ``status`` is 0 when no answer arrived at all. */
export class ApiError extends Error {
  readonly status: number;
  readonly title: string;
  readonly detail: string;
  readonly errors: FieldError[];
  /** The problem document as received (extra members such as ``payment_id``), if any. */
  readonly body: Record<string, unknown> | null;
  /** Seconds to wait before asking again (a 429's `Retry-After`), or null when not said. */
  readonly retryAfter: number | null;

  constructor({ status, title, detail = "", errors = [], body = null, retryAfter = null }: ApiErrorInit) {
    super(readableMessage({ title, detail, errors }));
    this.name = "ApiError";
    this.status = status;
    this.title = title;
    this.detail = detail;
    this.errors = errors;
    this.body = body;
    this.retryAfter = retryAfter;
  }
}

const FIELD_LABELS: Record<string, string> = {
  amount: "Amount",
  anonymous: "Give anonymously",
  campaign_id: "Campaign",
  currency: "Currency",
  donor_email: "Email",
  donor_name: "Name",
  email: "Email",
  name: "Name",
  password: "Password",
  payment_method: "Card",
  pledge_id: "Pledge",
  refresh: "Session",
  body: "",
};

/** A field name of an ``errors`` entry as a donor would call it ("donor_email" → "Email"). */
export function fieldLabel(field: string): string {
  if (field in FIELD_LABELS) return FIELD_LABELS[field]!;
  const words = field.replace(/[_.]+/g, " ").trim();
  return words.charAt(0).toUpperCase() + words.slice(1);
}

/** One sentence or a few: the detail (or title), then each field error. */
export function readableMessage({
  title,
  detail = "",
  errors = [],
}: Pick<ApiErrorInit, "title" | "detail" | "errors">): string {
  const parts = [detail || title];
  for (const { field, message } of errors) {
    const label = fieldLabel(field);
    parts.push(label ? `${label}: ${message}` : message);
  }
  return parts.filter(Boolean).join(" ");
}

const PHRASES: Record<number, string> = {
  400: "Bad Request",
  401: "Unauthorized",
  403: "Forbidden",
  404: "Not Found",
  409: "Conflict",
  413: "Content Too Large",
  422: "Unprocessable Content",
  429: "Too Many Requests",
  500: "Internal Server Error",
  502: "Bad Gateway",
  503: "Service Unavailable",
  504: "Gateway Timeout",
};

function phrase(status: number, statusText: string): string {
  return PHRASES[status] ?? (statusText || `Error ${status}`);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function fieldErrors(value: unknown): FieldError[] {
  if (Array.isArray(value)) {
    return value
      .filter(isObject)
      .map((item) => ({ field: String(item.field ?? "body"), message: String(item.message ?? "") }))
      .filter((item) => item.message);
  }
  if (isObject(value)) {
    // Tolerate DRF's own {"field": ["message", …]} shape as well.
    return Object.entries(value).flatMap(([field, messages]) =>
      (Array.isArray(messages) ? messages : [messages]).map((message) => ({
        field,
        message: String(message),
      })),
    );
  }
  return [];
}

/** A `Retry-After` value in seconds: a number of seconds or an HTTP date; null when absent or unreadable. */
export function retryAfterSeconds(value: string | null | undefined, now = Date.now()): number | null {
  const text = value?.trim();
  if (!text) return null;
  if (/^\d+$/.test(text)) return Number(text);
  const when = Date.parse(text);
  return Number.isNaN(when) ? null : Math.max(0, Math.ceil((when - now) / 1000));
}

/** The ApiError for a non-2xx answer; ``body`` is its parsed JSON, or undefined if it had none.
 * ``retryAfter`` is the answer's `Retry-After` in seconds (else a problem member `retry_after`). */
export function errorFromResponse(
  status: number,
  statusText: string,
  body: unknown,
  retryAfter: number | null = null,
): ApiError {
  if (isObject(body)) {
    const inBody = typeof body.retry_after === "number" && body.retry_after >= 0 ? body.retry_after : null;
    return new ApiError({
      status,
      title: typeof body.title === "string" && body.title ? body.title : phrase(status, statusText),
      detail: typeof body.detail === "string" ? body.detail : "",
      errors: fieldErrors(body.errors),
      body,
      retryAfter: retryAfter ?? inBody,
    });
  }
  // Not JSON: an HTML page or an empty body from something between the site and the services.
  return new ApiError({
    status,
    title: phrase(status, statusText),
    detail:
      status >= 500
        ? "The service is not answering right now. Please try again in a moment."
        : "The request could not be completed.",
    retryAfter,
  });
}

/** The platform wants a challenge answered first (SPEC §3 "Card-testing defence"): a 403 whose
 * problem `type` ends with `challenge-required`. */
export function isChallengeRequired(error: unknown): boolean {
  const type = error instanceof ApiError ? error.body?.type : undefined;
  return error instanceof ApiError && error.status === 403 && typeof type === "string" && type.endsWith("challenge-required");
}
