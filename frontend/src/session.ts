// The signed-in donor's tokens (SPEC §3: POST /api/auth/token → {access, refresh, user}).
//
// Kept in memory and mirrored to sessionStorage: a reload or a new page in the same tab keeps
// the donor signed in, closing the tab signs them out, and nothing reaches localStorage or a
// cookie, so other tabs and later visitors of a shared computer do not inherit the session, and no
// cookie means no CSRF surface on the API. sessionStorage is readable by scripts of this origin,
// as any JS-held token is; the site renders every string as text (React escapes it, SPEC §5.7)
// and loads no third-party script.

import type { Tokens, User } from "./types";

const STORAGE_KEY = "careforall.session";

export type Session = Tokens;

function storage(): Storage | null {
  try {
    return typeof sessionStorage === "undefined" ? null : sessionStorage;
  } catch {
    return null; // storage disabled: memory only
  }
}

function load(): Session | null {
  try {
    const raw = storage()?.getItem(STORAGE_KEY);
    if (!raw) return null;
    const value = JSON.parse(raw) as Partial<Session>;
    if (typeof value.access === "string" && typeof value.refresh === "string" && value.user) {
      return value as Session;
    }
  } catch {
    // unreadable: start signed out
  }
  return null;
}

let current: Session | null = load();
const listeners = new Set<() => void>();

export function getSession(): Session | null {
  return current;
}

export function currentUser(): User | null {
  return current?.user ?? null;
}

export function setSession(session: Session | null): void {
  current = session;
  try {
    if (session) storage()?.setItem(STORAGE_KEY, JSON.stringify(session));
    else storage()?.removeItem(STORAGE_KEY);
  } catch {
    // quota or privacy mode: memory only
  }
  listeners.forEach((listener) => listener());
}

/** Keep a refreshed access token, and the rotated refresh token when one came with it. */
export function setAccessToken(access: string, refresh?: string): void {
  if (current) setSession({ ...current, access, ...(refresh ? { refresh } : {}) });
}

export function subscribe(listener: () => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}
