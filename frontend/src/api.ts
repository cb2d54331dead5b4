// The one way the site talks to the gateway: relative /api/ URLs at the same origin, JSON in and
// out, every failure turned into an ApiError with a message a donor can read (SPEC §2: errors are
// problem+json `{type, title, status, detail, errors?: [{field, message}]}`).

import { getSession, setAccessToken, setSession, type Session } from "./session";
import { ApiError, errorFromResponse, retryAfterSeconds } from "./problem";
import { newTrace, traceparent, type TraceContext } from "./trace";

export {
  ApiError,
  errorFromResponse,
  fieldLabel,
  isChallengeRequired,
  readableMessage,
  retryAfterSeconds,
  type FieldError,
} from "./problem";

export const NETWORK_ERROR_DETAIL =
  "Could not reach CareForAll. Check your connection and try again.";

function isAbort(error: unknown): boolean {
  return error instanceof DOMException && error.name === "AbortError";
}

export interface RequestOptions {
  method?: "GET" | "POST" | "PATCH" | "DELETE";
  body?: unknown;
  idempotencyKey?: string;
  /** "auto" sends the signed-in donor's token when there is one; "none" never does. */
  auth?: "auto" | "none";
  signal?: AbortSignal;
  /** The trace the request joins (a donation attempt's); without one, it starts its own. */
  trace?: TraceContext;
}

async function send(path: string, options: RequestOptions, access?: string): Promise<Response> {
  const headers: Record<string, string> = { Accept: "application/json, application/problem+json" };
  if (options.body !== undefined) headers["Content-Type"] = "application/json";
  if (options.idempotencyKey) headers["Idempotency-Key"] = options.idempotencyKey;
  if (access) headers.Authorization = `Bearer ${access}`;
  // Each send is a new span (a new parent id) of the request's trace. Never `baggage`.
  headers.traceparent = traceparent(options.trace ?? newTrace());
  try {
    return await fetch(path, {
      method: options.method ?? "GET",
      headers,
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
      signal: options.signal,
      cache: "no-store", // totals and statuses change every second
    });
  } catch (error) {
    if (isAbort(error)) throw error;
    throw new ApiError({ status: 0, title: "Network error", detail: NETWORK_ERROR_DETAIL });
  }
}

async function read<T>(response: Response): Promise<T> {
  if (response.status === 204) return undefined as T;
  const type = response.headers.get("Content-Type") ?? "";
  let body: unknown;
  let parsed = false;
  if (/\bjson\b/i.test(type)) {
    try {
      body = await response.json();
      parsed = true;
    } catch {
      // a truncated or mislabelled body: treated as no body below
    }
  }
  if (!response.ok) {
    const retryAfter = retryAfterSeconds(response.headers.get("Retry-After"));
    throw errorFromResponse(response.status, response.statusText, body, retryAfter);
  }
  if (!parsed) {
    throw new ApiError({
      status: response.status,
      title: "Unexpected answer",
      detail: "The server sent an answer the site cannot read. Please try again.",
    });
  }
  return body as T;
}

let refreshing: Promise<string | null> | null = null;

/** A new access token from the refresh token, or null when the refresh token is refused. Concurrent
 * 401s share one refresh. */
function refreshAccess(session: Session): Promise<string | null> {
  refreshing ??= (async () => {
    try {
      const response = await send("/api/auth/token/refresh", {
        method: "POST",
        body: { refresh: session.refresh },
      });
      if (response.status === 400 || response.status === 401) return null;
      // The refresh token rotates: the one just used is spent (SPEC §3).
      const { access, refresh } = await read<{ access: string; refresh?: string }>(response);
      setAccessToken(access, refresh);
      return access;
    } finally {
      refreshing = null;
    }
  })();
  return refreshing;
}

/**
 * Call the API at ``path`` (relative, e.g. "/api/campaigns/3") and return its JSON.
 *
 * A 401 on a request that carried the donor's access token is retried once after refreshing the
 * token; if the refresh token is refused too, the donor is signed out. A retried POST is safe
 * because every POST of the site carries an Idempotency-Key.
 *
 * Every request carries a W3C `traceparent`: in ``options.trace`` when given (all the calls of one
 * donation attempt share it), else in a trace of its own, which its repeat after a refresh joins.
 */
export async function request<T>(path: string, given: RequestOptions = {}): Promise<T> {
  const options = given.trace ? given : { ...given, trace: newTrace() };
  const session = options.auth === "none" ? null : getSession();
  let response = await send(path, options, session?.access);
  if (response.status === 401 && session) {
    const access = await refreshAccess(session);
    if (!access) {
      setSession(null);
      throw new ApiError({
        status: 401,
        title: "Signed out",
        detail: "Your session has expired. Please sign in again.",
      });
    }
    response = await send(path, options, access);
  }
  return read<T>(response);
}

/** What to show for any error: an ApiError as is, anything else as a generic problem. */
export function describeError(error: unknown): ApiError {
  if (error instanceof ApiError) return error;
  return new ApiError({
    status: 0,
    title: "Something went wrong",
    detail: error instanceof Error && error.message ? error.message : "An unexpected error happened.",
  });
}

/** The relative path of a pagination link (``next`` is absolute: http://host/api/…?cursor=…). */
export function pagePath(link: string | null): string | null {
  if (!link) return null;
  try {
    const url = new URL(link, "http://relative.invalid");
    return url.pathname.startsWith("/api/") ? url.pathname + url.search : null;
  } catch {
    return null;
  }
}

export function withQuery(path: string, query: Record<string, string | number | undefined | null>) {
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(query)) {
    if (value !== undefined && value !== null && value !== "") params.set(name, String(value));
  }
  const text = params.toString();
  return text ? `${path}?${text}` : path;
}
