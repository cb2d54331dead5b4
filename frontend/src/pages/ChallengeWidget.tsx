import { useEffect, useRef, useState } from "react";

import { loadTurnstile, type ChallengeConfig, type Turnstile } from "../challenge";
import { ErrorNotice, Loading } from "../components";

interface Props {
  config: ChallengeConfig | undefined;
  /** The platform refused a token: each change resets the widget for a new one (single use). */
  resets: number;
  /** The check is solved: the request goes again with this token. */
  onSolved: (token: string) => void;
  /** The token expired unused: the widget solves again by itself. */
  onExpired: () => void;
}

/**
 * The card-testing challenge (SPEC §3): the Turnstile-compatible widget of `config.script_url`,
 * rendered with `config.site_key` in its own frame. Shown only when the platform asked for it.
 */
export function ChallengeWidget({ config, resets, onSolved, onExpired }: Props) {
  const container = useRef<HTMLDivElement>(null);
  const widget = useRef<{ turnstile: Turnstile; id: string } | null>(null);
  const handlers = useRef({ onSolved, onExpired });
  handlers.current = { onSolved, onExpired };
  const [ready, setReady] = useState(false);
  const [loadFailure, setLoadFailure] = useState<unknown>(null);
  const [failed, setFailed] = useState(false);
  const [reloads, setReloads] = useState(0);
  const scriptUrl = config?.script_url ?? "";
  const siteKey = config?.site_key ?? "";

  useEffect(() => {
    if (!scriptUrl || !siteKey) return;
    let live = true;
    setLoadFailure(null);
    loadTurnstile(scriptUrl).then(
      (turnstile) => {
        if (!live || !container.current) return;
        const id = turnstile.render(container.current, {
          sitekey: siteKey,
          callback: (token) => {
            setFailed(false);
            handlers.current.onSolved(token);
          },
          "error-callback": () => {
            setFailed(true);
            return true; // handled: the donor is told, and may try the check again
          },
          "expired-callback": () => handlers.current.onExpired(),
        });
        if (id) widget.current = { turnstile, id };
        setReady(true);
      },
      (error: unknown) => live && setLoadFailure(error),
    );
    return () => {
      live = false;
      const rendered = widget.current;
      widget.current = null;
      setReady(false);
      if (rendered) rendered.turnstile.remove(rendered.id);
    };
  }, [scriptUrl, siteKey, reloads]);

  const firstReset = useRef(resets);
  useEffect(() => {
    if (resets === firstReset.current) return;
    setFailed(false);
    const rendered = widget.current;
    if (rendered) rendered.turnstile.reset(rendered.id);
  }, [resets]);

  function again() {
    setFailed(false);
    const rendered = widget.current;
    if (rendered) rendered.turnstile.reset(rendered.id);
  }

  if (!scriptUrl || !siteKey) {
    return (
      <p className="notice notice-error" role="alert" data-testid="challenge">
        The security check cannot be shown right now. Please try again later.
      </p>
    );
  }
  return (
    <div className="challenge" data-testid="challenge" role="group" aria-labelledby="challenge-title">
      <p id="challenge-title">
        One more step: please complete this security check. Your gift continues as soon as it is done.
      </p>
      {resets > 0 && <p className="hint">The check has to be done again.</p>}
      <div ref={container} className="challenge-widget" />
      {!ready && loadFailure === null && <Loading label="Loading the security check…" />}
      {loadFailure !== null && <ErrorNotice error={loadFailure} onRetry={() => setReloads((n) => n + 1)} />}
      {failed && (
        <p className="field-error" role="alert">
          The security check could not be completed.{" "}
          <button type="button" className="link" onClick={again}>
            Try the check again
          </button>
        </p>
      )}
    </div>
  );
}
