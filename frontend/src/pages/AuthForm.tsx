import { useState, type FormEvent } from "react";

import { ErrorNotice, Field } from "../components";
import { register, signIn } from "../endpoints";
import type { User } from "../types";

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/** Sign in, or create an account and sign in. ``idPrefix`` keeps ids unique on a page. */
export function AuthForm({
  mode,
  idPrefix,
  onDone,
}: {
  mode: "signin" | "register";
  idPrefix: string;
  onDone: (user: User) => void;
}) {
  const [name, setName] = useState("");
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [failure, setFailure] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const registering = mode === "register";

  async function submit(event: FormEvent) {
    event.preventDefault();
    if (busy) return;
    const found: Record<string, string> = {};
    if (registering && !name.trim()) found.name = "Enter your name.";
    if (!EMAIL.test(email.trim())) found.email = "Enter a valid email address, e.g. name@example.org.";
    if (!password) found.password = "Enter your password.";
    setErrors(found);
    const first = Object.keys(found)[0];
    if (first) {
      document.getElementById(`${idPrefix}-${first}`)?.focus();
      return;
    }
    setBusy(true);
    setFailure(null);
    try {
      const user = registering
        ? await register(email.trim(), password, name.trim())
        : await signIn(email.trim(), password);
      onDone(user);
    } catch (error) {
      setFailure(error);
      setBusy(false);
    }
  }

  return (
    <form
      className="stack"
      onSubmit={submit}
      noValidate
      aria-label={registering ? "Create an account" : "Sign in"}
    >
      {registering && (
        <Field
          id={`${idPrefix}-name`}
          label="Name"
          autoComplete="name"
          maxLength={150}
          value={name}
          onChange={(event) => setName(event.target.value)}
          error={errors.name}
        />
      )}
      <Field
        id={`${idPrefix}-email`}
        label="Email"
        type="email"
        autoComplete="email"
        value={email}
        onChange={(event) => setEmail(event.target.value)}
        error={errors.email}
      />
      <Field
        id={`${idPrefix}-password`}
        label="Password"
        type="password"
        autoComplete={registering ? "new-password" : "current-password"}
        hint={registering ? "At least 8 characters, not only digits, not a common password." : undefined}
        value={password}
        onChange={(event) => setPassword(event.target.value)}
        error={errors.password}
      />
      {failure !== null && <ErrorNotice error={failure} />}
      <button type="submit" disabled={busy} aria-busy={busy}>
        {busy ? "Please wait…" : registering ? "Create account" : "Sign in"}
      </button>
    </form>
  );
}
