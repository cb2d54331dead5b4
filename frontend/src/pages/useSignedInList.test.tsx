// @vitest-environment happy-dom
import { act } from "react";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";

import { setSession } from "../session";
import { gateway, json, renderHook, settle, unmountAll } from "../testkit";
import type { Page } from "../types";
import { useSignedInList } from "./useSignedInList";

interface Row {
  id: number;
  campaign_id: number;
}

const answers: (Page<Row> | Error)[] = [];
const load = vi.fn(async (_next: string | null) => {
  const answer = answers.shift();
  if (!answer || answer instanceof Error) throw answer ?? new Error("no answer");
  return answer;
});

function page(ids: number[], next: string | null = null): Page<Row> {
  return { next, previous: null, results: ids.map((id) => ({ id, campaign_id: 3 })) };
}

function signIn() {
  setSession({ access: "A", refresh: "R", user: { id: 7, email: "d@example.org", name: "D", role: "donor", created_at: "" } });
}

beforeEach(() => {
  globalThis.IS_REACT_ACT_ENVIRONMENT = true;
  setSession(null);
  load.mockClear();
  answers.length = 0;
  gateway({ "GET /api/campaigns/3": [json(200, { id: 3, title: "Clean water" })] });
});

afterEach(() => {
  unmountAll();
  vi.unstubAllGlobals();
});

describe("useSignedInList", () => {
  it("reads nothing for a visitor who is not signed in", async () => {
    const list = renderHook(() => useSignedInList(load));
    await settle();
    expect(list.current.session).toBeNull();
    expect(load).not.toHaveBeenCalled();
  });

  it("reads the first page, the campaigns' titles, then the next page", async () => {
    signIn();
    answers.push(page([1, 2], "/api/x?page=2"), page([3]));
    const list = renderHook(() => useSignedInList(load));
    await settle();
    expect(list.current.items?.map((row) => row.id)).toEqual([1, 2]);
    expect(list.current.names[3]).toBe("Clean water");
    expect(list.current.next).toBe("/api/x?page=2");
    await act(() => list.current.loadMore());
    expect(load).toHaveBeenLastCalledWith("/api/x?page=2");
    expect(list.current.items?.map((row) => row.id)).toEqual([1, 2, 3]);
    expect(list.current.next).toBeNull();
  });

  it("retries the first page when it failed, and the further page when that failed", async () => {
    signIn();
    answers.push(new Error("down"), page([1], "/api/x?page=2"), new Error("down"), page([2]));
    const list = renderHook(() => useSignedInList(load));
    await settle();
    expect(list.current.failure).toBeInstanceOf(Error);
    expect(list.current.items).toBeNull();
    act(() => list.current.retry());
    await settle();
    expect(list.current.failure).toBeNull();
    expect(list.current.items?.map((row) => row.id)).toEqual([1]);
    await act(() => list.current.loadMore());
    expect(list.current.failure).toBeInstanceOf(Error);
    act(() => list.current.retry());
    await settle();
    expect(list.current.items?.map((row) => row.id)).toEqual([1, 2]);
    expect(load.mock.calls.map((call) => call[0])).toEqual([null, null, "/api/x?page=2", "/api/x?page=2"]);
  });
});
