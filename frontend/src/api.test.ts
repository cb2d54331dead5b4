import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";

import {
  ApiError,
  NETWORK_ERROR_DETAIL,
  describeError,
  errorFromResponse,
  pagePath,
  request,
} from "./api";
import { getSession, setSession } from "./session";
import { newTrace } from "./trace";

type Handler = (url: string, init: RequestInit) => Response | Promise<Response>;

function mockFetch(...handlers: Handler[]) {
  const calls: { url: string; init: RequestInit }[] = [];
  const fetch = vi.fn(async (url: string, init: RequestInit) => {
    calls.push({ url, init });
    const handler = handlers[Math.min(calls.length, handlers.length) - 1]!;
    return handler(url, init);
  });
  vi.stubGlobal("fetch", fetch);
  return calls;
}

function json(status: number, body: unknown, type = "application/json") {
  return () => new Response(JSON.stringify(body), { status, headers: { "Content-Type": type } });
}

function header(init: RequestInit, name: string): string | undefined {
  return (init.headers as Record<string, string>)[name];
}

/** The ApiError ``promise`` rejects with (anything else fails the test). */
async function rejection(promise: Promise<unknown>): Promise<ApiError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof ApiError) return error;
    throw error;
  }
  throw new Error("expected the request to fail");
}

const user = { id: 7, email: "d@example.org", name: "D", role: "donor" as const, created_at: "" };

beforeEach(() => setSession(null));
afterEach(() => vi.unstubAllGlobals());

describe("request", () => {
  it("returns the JSON of a success", async () => {
    const calls = mockFetch(json(200, { id: 3 }));
    await expect(request("/api/campaigns/3")).resolves.toEqual({ id: 3 });
    expect(calls[0]!.url).toBe("/api/campaigns/3");
    expect(header(calls[0]!.init, "Authorization")).toBeUndefined();
  });

  it("sends a JSON body, the Idempotency-Key and the access token", async () => {
    setSession({ access: "A", refresh: "R", user });
    const calls = mockFetch(json(201, { id: 1 }));
    await request("/api/pledges", { method: "POST", body: { amount: 1250 }, idempotencyKey: "k-1" });
    const { init } = calls[0]!;
    expect(init.method).toBe("POST");
    expect(init.body).toBe('{"amount":1250}');
    expect(header(init, "Content-Type")).toBe("application/json");
    expect(header(init, "Idempotency-Key")).toBe("k-1");
    expect(header(init, "Authorization")).toBe("Bearer A");
  });

  it("turns problem+json into a readable message with the field errors", async () => {
    mockFetch(
      json(
        400,
        {
          type: "about:blank",
          title: "Bad Request",
          status: 400,
          detail: "The request body is invalid.",
          errors: [
            { field: "amount", message: "Ensure this value is greater than or equal to 1." },
            { field: "donor_email", message: "Enter a valid email address." },
          ],
        },
        "application/problem+json",
      ),
    );
    const error = await rejection(request("/api/pledges", { method: "POST", body: {} }));
    expect(error).toBeInstanceOf(ApiError);
    expect(error.status).toBe(400);
    expect(error.title).toBe("Bad Request");
    expect(error.errors).toHaveLength(2);
    expect(error.message).toBe(
      "The request body is invalid. Amount: Ensure this value is greater than or equal to 1. " +
        "Email: Enter a valid email address.",
    );
  });

  it("keeps a problem's extra members, e.g. the existing payment's id", async () => {
    mockFetch(
      json(409, { title: "Conflict", status: 409, detail: "Already paid.", payment_id: 42 }, "application/problem+json"),
    );
    const error = await rejection(request("/api/payments", { method: "POST", body: {} }));
    expect(error.status).toBe(409);
    expect(error.message).toBe("Already paid.");
    expect(error.body?.payment_id).toBe(42);
  });

  it("reports a network failure as status 0 with advice", async () => {
    mockFetch(() => {
      throw new TypeError("Failed to fetch");
    });
    const error = await rejection(request("/api/campaigns"));
    expect(error).toBeInstanceOf(ApiError);
    expect(error.status).toBe(0);
    expect(error.title).toBe("Network error");
    expect(error.message).toBe(NETWORK_ERROR_DETAIL);
  });

  it("reads a non-JSON 502 page as a readable error", async () => {
    mockFetch(
      () =>
        new Response("<html><body><h1>502 Bad Gateway</h1></body></html>", {
          status: 502,
          statusText: "Bad Gateway",
          headers: { "Content-Type": "text/html" },
        }),
    );
    const error = await rejection(request("/api/campaigns"));
    expect(error).toBeInstanceOf(ApiError);
    expect(error.status).toBe(502);
    expect(error.title).toBe("Bad Gateway");
    expect(error.message).toBe("The service is not answering right now. Please try again in a moment.");
    expect(error.message).not.toContain("<");
  });

  it("reads JSON mislabelled or truncated as no body", async () => {
    mockFetch(() => new Response("{not json", { status: 500, headers: { "Content-Type": "application/json" } }));
    const error = await rejection(request("/api/campaigns"));
    expect(error.status).toBe(500);
    expect(error.title).toBe("Internal Server Error");
  });

  it("refuses a 200 that is not JSON (e.g. the site's own index.html)", async () => {
    mockFetch(() => new Response("<!doctype html>", { status: 200, headers: { "Content-Type": "text/html" } }));
    const error = await rejection(request("/api/campaigns"));
    expect(error.title).toBe("Unexpected answer");
  });

  it("lets an abort through untouched", async () => {
    mockFetch(() => {
      throw new DOMException("aborted", "AbortError");
    });
    await expect(request("/api/campaigns")).rejects.toThrow(DOMException);
    await expect(request("/api/campaigns")).rejects.toMatchObject({ name: "AbortError" });
  });

  it("never sends the token when asked not to", async () => {
    setSession({ access: "A", refresh: "R", user });
    const calls = mockFetch(json(200, {}));
    await request("/api/campaigns", { auth: "none" });
    expect(header(calls[0]!.init, "Authorization")).toBeUndefined();
  });
});

describe("refresh on 401", () => {
  const unauthorized = json(401, { title: "Unauthorized", status: 401, detail: "Token expired." });

  it("refreshes the access token once and repeats the request", async () => {
    setSession({ access: "old", refresh: "R", user });
    const calls = mockFetch(unauthorized, json(200, { access: "new" }), json(200, { ok: true }));
    await expect(request("/api/pledges")).resolves.toEqual({ ok: true });
    expect(calls.map((call) => call.url)).toEqual([
      "/api/pledges",
      "/api/auth/token/refresh",
      "/api/pledges",
    ]);
    expect(calls[1]!.init.body).toBe('{"refresh":"R"}');
    expect(header(calls[2]!.init, "Authorization")).toBe("Bearer new");
    expect(getSession()?.access).toBe("new");
  });

  it("keeps the rotated refresh token for the next refresh", async () => {
    setSession({ access: "old", refresh: "R", user });
    mockFetch(unauthorized, json(200, { access: "new", refresh: "R2" }), json(200, { ok: true }));
    await request("/api/pledges");
    expect(getSession()?.refresh).toBe("R2");
  });

  it("signs out when the refresh token is refused", async () => {
    setSession({ access: "old", refresh: "R", user });
    mockFetch(unauthorized, json(401, { title: "Unauthorized", status: 401, detail: "Expired." }));
    const error = await rejection(request("/api/pledges"));
    expect(error.status).toBe(401);
    expect(error.message).toBe("Your session has expired. Please sign in again.");
    expect(getSession()).toBeNull();
  });

  it("does not retry a second time", async () => {
    setSession({ access: "old", refresh: "R", user });
    const calls = mockFetch(unauthorized, json(200, { access: "new" }), unauthorized);
    const error = await rejection(request("/api/pledges"));
    expect(error.status).toBe(401);
    expect(calls).toHaveLength(3);
  });

  it("shares one refresh between concurrent requests", async () => {
    setSession({ access: "old", refresh: "R", user });
    const calls = mockFetch((url, init) => {
      if (url === "/api/auth/token/refresh") return json(200, { access: "new" })();
      const auth = header(init, "Authorization");
      return auth === "Bearer new" ? json(200, { url })() : unauthorized();
    });
    await Promise.all([request("/api/pledges"), request("/api/auth/me")]);
    expect(calls.filter((call) => call.url === "/api/auth/token/refresh")).toHaveLength(1);
  });

  it("does not refresh for a guest", async () => {
    const calls = mockFetch(unauthorized);
    const error = await rejection(request("/api/pledges/1"));
    expect(error.status).toBe(401);
    expect(error.message).toBe("Token expired.");
    expect(calls).toHaveLength(1);
  });
});

const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-01$/;

/** The trace id and parent id of a request's traceparent (which must be well-formed). */
function traced(init: RequestInit): { traceId: string; parentId: string } {
  const value = header(init, "traceparent") ?? "";
  const match = TRACEPARENT.exec(value);
  expect(match, value).not.toBeNull();
  expect(match![1]).not.toMatch(/^0+$/);
  expect(match![2]).not.toMatch(/^0+$/);
  return { traceId: match![1]!, parentId: match![2]! };
}

describe("traceparent", () => {
  it("sends a well-formed version-00 traceparent, and never baggage", async () => {
    const calls = mockFetch(json(200, {}));
    await request("/api/campaigns");
    traced(calls[0]!.init);
    expect(header(calls[0]!.init, "baggage")).toBeUndefined();
    expect(Object.keys(calls[0]!.init.headers as object).map((name) => name.toLowerCase())).not.toContain("baggage");
  });

  it("starts a fresh trace for a request without a trace context", async () => {
    const calls = mockFetch(json(200, {}));
    await request("/api/campaigns");
    await request("/api/campaigns");
    expect(traced(calls[0]!.init).traceId).not.toBe(traced(calls[1]!.init).traceId);
  });

  it("keeps the given trace id, with a new parent id for each request", async () => {
    const trace = newTrace();
    const calls = mockFetch(json(201, { id: 1 }));
    await request("/api/pledges", { method: "POST", body: {}, idempotencyKey: "k", trace });
    await request("/api/payments", { method: "POST", body: {}, idempotencyKey: "k2", trace });
    await request("/api/payments/1", { trace });
    const seen = calls.map((call) => traced(call.init));
    expect(seen.map((one) => one.traceId)).toEqual([trace.traceId, trace.traceId, trace.traceId]);
    expect(new Set(seen.map((one) => one.parentId)).size).toBe(3);
  });

  it("sends the repeat after a token refresh in the same trace, as a new span", async () => {
    setSession({ access: "old", refresh: "R", user });
    const unauthorized = json(401, { title: "Unauthorized", status: 401, detail: "Token expired." });
    const calls = mockFetch(unauthorized, json(200, { access: "new" }), json(200, { ok: true }));
    await request("/api/pledges");
    const [first, refresh, again] = calls.map((call) => traced(call.init));
    expect(again!.traceId).toBe(first!.traceId);
    expect(again!.parentId).not.toBe(first!.parentId);
    expect(refresh!.traceId).not.toBe(first!.traceId);
  });
});

describe("helpers", () => {
  it("falls back to the status phrase without a title", () => {
    expect(errorFromResponse(429, "", { detail: "Slow down." }).title).toBe("Too Many Requests");
    expect(errorFromResponse(418, "I'm a teapot", undefined).title).toBe("I'm a teapot");
  });

  it("accepts DRF's plain {field: [messages]} errors too", () => {
    const error = errorFromResponse(400, "", { detail: "Invalid.", errors: { password: ["Too short."] } });
    expect(error.message).toBe("Invalid. Password: Too short.");
  });

  it("describes any thrown value", () => {
    expect(describeError(new Error("boom")).detail).toBe("boom");
    expect(describeError("weird").title).toBe("Something went wrong");
  });

  it("turns pagination links into relative API paths", () => {
    expect(pagePath("http://localhost:8080/api/campaigns?cursor=abc&page_size=20")).toBe(
      "/api/campaigns?cursor=abc&page_size=20",
    );
    expect(pagePath(null)).toBeNull();
    expect(pagePath("http://elsewhere.example/steal")).toBeNull();
  });
});
