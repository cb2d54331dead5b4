import { afterEach, describe, expect, it, vi } from "vitest";

import { ApiError, isChallengeRequired, request, retryAfterSeconds } from "./api";
import { retryAfterText, waitText } from "./challenge";

afterEach(() => vi.unstubAllGlobals());

function answer(status: number, body: unknown, headers: Record<string, string> = {}) {
  vi.stubGlobal(
    "fetch",
    vi.fn(async () => new Response(JSON.stringify(body), { status, headers: { "Content-Type": "application/problem+json", ...headers } })),
  );
}

async function failure(): Promise<ApiError> {
  try {
    await request("/api/payments", { method: "POST", body: {}, idempotencyKey: "k", auth: "none" });
  } catch (error) {
    return error as ApiError;
  }
  throw new Error("no error");
}

describe("Retry-After and the challenge problem", () => {
  it("reads Retry-After as seconds or as an HTTP date", () => {
    const now = Date.parse("2026-12-07T10:00:00Z");
    expect(retryAfterSeconds("120", now)).toBe(120);
    expect(retryAfterSeconds("Mon, 07 Dec 2026 10:05:00 GMT", now)).toBe(300);
    expect(retryAfterSeconds("Mon, 07 Dec 2026 09:00:00 GMT", now)).toBe(0);
    expect(retryAfterSeconds("soon", now)).toBeNull();
    expect(retryAfterSeconds(null, now)).toBeNull();
  });

  it("exposes a 429's Retry-After on the error, or the problem's retry_after", async () => {
    answer(429, { title: "Too Many Requests", status: 429, detail: "Slow down." }, { "Retry-After": "61" });
    const limited = await failure();
    expect(limited).toMatchObject({ status: 429, detail: "Slow down.", retryAfter: 61 });
    expect(waitText(limited)).toBe("Try again in 2 minutes.");
    answer(429, { title: "Too Many Requests", status: 429, retry_after: 30 });
    expect(await failure()).toMatchObject({ retryAfter: 30 });
    answer(400, { title: "Bad Request", status: 400 });
    expect(await failure()).toMatchObject({ retryAfter: null });
    expect(retryAfterText(59)).toBe("Try again in 1 minute.");
    expect(waitText(new Error("x"))).toBe("");
  });

  it("knows a 403 challenge-required from any other 403", async () => {
    answer(403, { type: "https://careforall.example/problems/challenge-required", title: "Challenge required", status: 403 });
    expect(isChallengeRequired(await failure())).toBe(true);
    answer(403, { type: "about:blank", title: "Forbidden", status: 403 });
    expect(isChallengeRequired(await failure())).toBe(false);
    answer(400, { type: "/problems/challenge-required", title: "Bad Request", status: 400 });
    expect(isChallengeRequired(await failure())).toBe(false);
  });
});
