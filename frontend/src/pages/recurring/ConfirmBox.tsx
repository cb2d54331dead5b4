import { useEffect, useId, useRef, type ReactNode } from "react";

interface Props {
  title: string;
  children: ReactNode;
  /** The button that does it ("Yes, cancel the gift"). */
  yes: string;
  /** The button that leaves everything as it is. */
  no: string;
  busy: boolean;
  onYes: () => void;
  onNo: () => void;
}

/**
 * An inline confirmation: what the action will do, and two buttons. The focus goes to the one
 * that changes nothing, so a stray Enter is harmless.
 */
export function ConfirmBox({ title, children, yes, no, busy, onYes, onNo }: Props) {
  const id = useId();
  const safe = useRef<HTMLButtonElement>(null);
  useEffect(() => safe.current?.focus(), []);
  return (
    <div className="notice notice-warning confirm" role="alertdialog" aria-labelledby={`${id}-title`} aria-describedby={`${id}-text`}>
      <p className="notice-title" id={`${id}-title`}>
        {title}
      </p>
      <div id={`${id}-text`}>{children}</div>
      <p className="actions">
        <button type="button" onClick={onYes} disabled={busy} aria-busy={busy}>
          {busy ? "Processing…" : yes}
        </button>
        <button type="button" className="button-secondary" ref={safe} onClick={onNo} disabled={busy}>
          {no}
        </button>
      </p>
    </div>
  );
}
