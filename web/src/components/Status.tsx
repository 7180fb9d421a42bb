// Small shared pieces: notices that say when data is stale or the server unreachable.
import type { ReactNode } from "react";
import { toApiError } from "../api/errors";

export function timeOf(ms: number): string {
  return new Date(ms).toLocaleTimeString("en-GB", { hour12: false });
}

/**
 * For a query that failed: with earlier data, a warning that what is shown is the last
 * known state (and from when); without, an error saying nothing can be shown.
 */
export function QueryProblem({ error, updatedAt, what }: { error: unknown; updatedAt: number; what: string }) {
  const err = toApiError(error);
  if (updatedAt > 0) {
    return (
      <p role="status" className="rounded-md border border-amber-400 bg-amber-50 px-3 py-2 text-sm text-amber-900">
        <strong>Stale:</strong> cannot refresh {what} ({err.message}). Showing what was known at {timeOf(updatedAt)}.
      </p>
    );
  }
  return (
    <p role="alert" className="rounded-md border border-red-400 bg-red-50 px-3 py-2 text-sm text-red-900">
      <strong>Error:</strong> cannot load {what}. {err.message}
    </p>
  );
}

export function Card({ children, className = "" }: { children: ReactNode; className?: string }) {
  return <section className={`rounded-xl border border-slate-200 bg-white p-4 shadow-sm ${className}`}>{children}</section>;
}

export const buttonClass =
  "inline-flex items-center justify-center rounded-lg px-4 py-2 font-semibold disabled:cursor-not-allowed disabled:opacity-60";
export const primaryButton = `${buttonClass} bg-indigo-700 text-white hover:bg-indigo-800 disabled:bg-slate-400`;
export const secondaryButton = `${buttonClass} border border-slate-300 bg-white text-slate-800 hover:bg-slate-100`;
export const inputClass =
  "mt-1 block w-full rounded-lg border border-slate-400 bg-white px-3 py-2 text-slate-900 aria-[invalid=true]:border-red-600";
