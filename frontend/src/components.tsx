import {
  Component,
  useEffect,
  useRef,
  type ErrorInfo,
  type InputHTMLAttributes,
  type ReactNode,
} from "react";

import { describeError, fieldLabel, type ApiError } from "./api";
import { statusLabel } from "./format";
import { formatMoney, percentOf } from "./money";
import { href } from "./router";

/** The page's one h1: it takes the focus when the page opens, so a screen reader starts there
 * and Tab continues from the top of the page. */
export function PageTitle({ title, children }: { title: string; children?: ReactNode }) {
  const ref = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    document.title = `${title} · CareForAll`;
  }, [title]);
  useEffect(() => {
    ref.current?.focus({ preventScroll: false });
  }, []);
  return (
    <h1 ref={ref} tabIndex={-1}>
      {children ?? title}
    </h1>
  );
}

export function Money({ minor, currency }: { minor: number; currency: string }) {
  return (
    <span className="money" data-amount={minor} data-currency={currency}>
      {formatMoney(minor, currency)}
    </span>
  );
}

export function StatusBadge({ status }: { status: string }) {
  return (
    <span className={`badge badge-${status.toLowerCase()}`} data-status={status}>
      {statusLabel(status)}
    </span>
  );
}

export function Progress({
  current,
  goal,
  currency,
}: {
  current: number;
  goal: number;
  currency: string;
}) {
  const percent = percentOf(current, goal);
  return (
    <div
      className="progress"
      role="progressbar"
      aria-label="Raised so far"
      aria-valuemin={0}
      aria-valuemax={100}
      aria-valuenow={percent}
      aria-valuetext={`${formatMoney(current, currency)} of ${formatMoney(goal, currency)} (${percent}%)`}
    >
      <div className="progress-bar" style={{ width: `${percent}%` }} />
    </div>
  );
}

export function Loading({ label = "Loading…" }: { label?: string }) {
  return (
    <p className="loading" role="status">
      {label}
    </p>
  );
}

/** Any error as a readable message: the problem's title, its detail and its field errors. */
export function ErrorNotice({
  error,
  onRetry,
  retryLabel = "Try again",
  children,
}: {
  error: unknown;
  onRetry?: () => void;
  retryLabel?: string;
  children?: ReactNode;
}) {
  const problem: ApiError = describeError(error);
  return (
    <div className="notice notice-error" role="alert">
      <p className="notice-title">{problem.title}</p>
      {problem.detail && problem.detail !== problem.title && <p>{problem.detail}</p>}
      {problem.errors.length > 0 && (
        <ul>
          {problem.errors.map(({ field, message }, index) => (
            <li key={index}>
              {fieldLabel(field) ? <strong>{fieldLabel(field)}: </strong> : null}
              {message}
            </li>
          ))}
        </ul>
      )}
      {children}
      {onRetry && (
        <button type="button" className="button-secondary" onClick={onRetry}>
          {retryLabel}
        </button>
      )}
    </div>
  );
}

interface BoundaryState {
  error: unknown;
}

/** Whatever a page throws while rendering, the donor sees a message, never a blank screen. */
export class ErrorBoundary extends Component<{ children: ReactNode }, BoundaryState> {
  state: BoundaryState = { error: null };

  static getDerivedStateFromError(error: unknown): BoundaryState {
    return { error };
  }

  componentDidCatch(error: unknown, info: ErrorInfo): void {
    console.error("page failed to render", error, info.componentStack);
  }

  render() {
    if (this.state.error) {
      return (
        <section>
          <h1>This page could not be shown</h1>
          <ErrorNotice error={this.state.error} />
          <p>
            <a href={href.campaigns()}>Back to the campaigns</a>
          </p>
        </section>
      );
    }
    return this.props.children;
  }
}

type InputProps = Omit<InputHTMLAttributes<HTMLInputElement>, "id">;

/** A labelled input with its hint and error wired to it (aria-describedby, aria-invalid). */
export function Field({
  id,
  label,
  hint,
  error,
  ...input
}: { id: string; label: string; hint?: string; error?: string } & InputProps) {
  const describedBy = [hint && `${id}-hint`, error && `${id}-error`].filter(Boolean).join(" ");
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      {hint && (
        <p id={`${id}-hint`} className="hint">
          {hint}
        </p>
      )}
      <input
        id={id}
        aria-invalid={error ? true : undefined}
        aria-describedby={describedBy || undefined}
        {...input}
      />
      {error && (
        <p id={`${id}-error`} className="field-error">
          {error}
        </p>
      )}
    </div>
  );
}
