import { useRef, useState } from "react";

import { isChallengeRequired } from "../api";
import { MAX_REFUSED_TOKENS } from "../challenge";

/** The card-testing challenge of one request (a card change, an installment's new attempt). */
export interface ChallengeAsk {
  /** The widget is shown: the platform asked for it, and the request has not gone through yet. */
  shown: boolean;
  /** Tokens the platform refused in a row: each resets the widget (a token is single use). */
  refused: number;
  /**
   * After a failed request (``sent``: it carried a token): true when the platform asked for the
   * challenge, so the widget shows (or resets); false for any other error, or after
   * MAX_REFUSED_TOKENS refused tokens, when the caller shows the problem instead.
   */
  asked: (error: unknown, sent: boolean) => boolean;
  /** The request went through (or the donor left it): hide the widget. */
  clear: () => void;
}

export function useChallenge(): ChallengeAsk {
  const [shown, setShown] = useState(false);
  const [refused, setRefused] = useState(0);
  const count = useRef(0);

  function clear() {
    count.current = 0;
    setRefused(0);
    setShown(false);
  }

  function asked(error: unknown, sent: boolean): boolean {
    if (!isChallengeRequired(error)) {
      clear();
      return false;
    }
    const next = count.current + (sent ? 1 : 0);
    if (next >= MAX_REFUSED_TOKENS) {
      clear();
      return false;
    }
    count.current = next;
    setRefused(next);
    setShown(true);
    return true;
  }

  return { shown, refused, asked, clear };
}
