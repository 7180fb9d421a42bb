// Register and log in: one form, two modes. The token goes to the auth store (persisted).
import { useId, useState, type FormEvent } from "react";
import { useMutation } from "@tanstack/react-query";
import { api } from "../api/client";
import { toApiError } from "../api/errors";
import { Link, navigate } from "../router";
import { useAuth } from "../store/auth";
import { Card, inputClass, primaryButton } from "../components/Status";

export function AuthPage({ mode }: { mode: "login" | "register" }) {
  const login = useAuth((s) => s.login);
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const [touched, setTouched] = useState(false);
  const emailId = useId();
  const passwordId = useId();
  const hintId = useId();
  const next = new URLSearchParams(window.location.search).get("next");
  const mutation = useMutation({
    mutationFn: () => (mode === "login" ? api.login(email, password) : api.register(email, password)),
    onSuccess: (answer) => {
      login(answer.token, answer.user);
      navigate(next && next.startsWith("/") ? next : answer.user.role === "admin" ? "/admin" : "/");
    },
  });
  const emailError = touched && !/^[^\s@]+@[^\s@]+$/.test(email) ? "Enter an email address." : null;
  const passwordError = touched && (password.length < 8 || password.length > 128)
    ? "The password needs 8 to 128 characters." : null;
  const submit = (e: FormEvent) => {
    e.preventDefault();
    setTouched(true);
    if (!/^[^\s@]+@[^\s@]+$/.test(email) || password.length < 8 || password.length > 128) return;
    mutation.mutate();
  };
  const title = mode === "login" ? "Log in" : "Create an account";
  return (
    <div className="mx-auto max-w-md">
      <h1 className="mb-4 text-2xl font-bold">{title}</h1>
      <Card>
        <form onSubmit={submit} noValidate className="space-y-4">
          <div>
            <label htmlFor={emailId} className="block text-sm font-medium">Email</label>
            <input id={emailId} type="email" autoComplete="email" value={email} onChange={(e) => setEmail(e.target.value)}
              aria-invalid={emailError ? true : undefined} aria-describedby={emailError ? `${emailId}-err` : undefined}
              className={inputClass} required />
            {emailError && <p id={`${emailId}-err`} className="mt-1 text-sm text-red-700">{emailError}</p>}
          </div>
          <div>
            <label htmlFor={passwordId} className="block text-sm font-medium">Password</label>
            <input id={passwordId} type="password" autoComplete={mode === "login" ? "current-password" : "new-password"}
              value={password} onChange={(e) => setPassword(e.target.value)} aria-describedby={hintId}
              aria-invalid={passwordError ? true : undefined} className={inputClass} required minLength={8} maxLength={128} />
            <p id={hintId} className={`mt-1 text-sm ${passwordError ? "text-red-700" : "text-slate-600"}`}>
              {passwordError ?? "At least 8 characters."}
            </p>
          </div>
          {mutation.isError && (
            <p role="alert" className="rounded-md border border-red-400 bg-red-50 px-3 py-2 text-sm text-red-900">
              {toApiError(mutation.error).message}
            </p>
          )}
          <button type="submit" className={`${primaryButton} w-full`} disabled={mutation.isPending}>
            {mutation.isPending ? "Please wait…" : title}
          </button>
        </form>
      </Card>
      <p className="mt-4 text-sm">
        {mode === "login" ? (
          <>No account yet? <Link href="/register" className="font-medium text-indigo-800 underline">Register</Link></>
        ) : (
          <>Already registered? <Link href="/login" className="font-medium text-indigo-800 underline">Log in</Link></>
        )}
      </p>
    </div>
  );
}
