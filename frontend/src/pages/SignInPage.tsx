import { PageTitle } from "../components";
import { useSession } from "../hooks";
import { href, navigate } from "../router";
import { AuthForm } from "./AuthForm";

export function SignInPage({ mode, next }: { mode: "signin" | "register"; next: string }) {
  const session = useSession();
  const registering = mode === "register";
  return (
    <section className="narrow">
      <PageTitle title={registering ? "Create an account" : "Sign in"} />
      {session && (
        <p className="notice">
          You are signed in as {session.user.name}. <a href={next}>Continue</a>
        </p>
      )}
      <AuthForm mode={mode} idPrefix={mode} onDone={() => navigate(next)} />
      <p>
        {registering ? (
          <>
            Already have an account? <a href={href.signIn(next)}>Sign in</a>
          </>
        ) : (
          <>
            New here? <a href={href.register(next)}>Create an account</a>
          </>
        )}
      </p>
    </section>
  );
}
