// One place that turns whatever a request ended with (an HTTP answer, a network failure, a
// timeout) into an ApiError the pages can show, and that says whether retrying is safe.
import { isAxiosError } from "axios";

export type ApiErrorKind = "http" | "network" | "timeout";

export interface ApiError {
  kind: ApiErrorKind;
  /** HTTP status, 0 when no answer arrived. */
  status: number;
  /** The server's error code (`sold_out`, …) or a client-side one (`network`, `timeout`). */
  code: string;
  message: string;
  /** From `Retry-After` (seconds or an HTTP date), in ms; undefined when absent. */
  retryAfterMs?: number;
}

/** Human text for the codes a shopper meets; unknown codes fall back to the server's message. */
const kMessages: Record<string, string> = {
  sold_out: "Sold out: every unit has been reserved.",
  limit_reached: "You already hold the most units this sale allows per shopper.",
  not_started: "The sale has not started yet.",
  ended: "The sale has ended.",
  unavailable: "The shop is busy right now; please try again in a moment.",
  recovering: "The sale is being restored after a server problem; please try again in a moment.",
  timeout: "The answer was lost on the way; checking whether your purchase went through.",
  rate_limited: "Too many requests; please wait a moment before trying again.",
  unauthorized: "Please log in again.",
  not_found: "Not found.",
  network: "The server cannot be reached. Check your connection.",
  payment_declined: "The payment was declined.",
  order_failed: "Your reservation could not become an order; its unit went back to stock. You may try again.",
};

export function messageFor(code: string, fallback?: string): string {
  return kMessages[code] ?? fallback ?? `Unexpected answer (${code}).`;
}

/** Parses a Retry-After header: delta seconds or an HTTP date (relative to `nowMs`). */
export function parseRetryAfter(value: unknown, nowMs: number = Date.now()): number | undefined {
  if (typeof value !== "string" || value.trim() === "") return undefined;
  const trimmed = value.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Math.round(Number(trimmed) * 1000);
  const date = Date.parse(trimmed);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - nowMs);
}

function codeForStatus(status: number): string {
  switch (status) {
    case 401: return "unauthorized";
    case 403: return "forbidden";
    case 404: return "not_found";
    case 409: return "conflict";
    case 410: return "sold_out";
    case 425: return "not_started";
    case 429: return "rate_limited";
    case 503: return "unavailable";
    default: return status >= 500 ? "server_error" : "bad_request";
  }
}

export function toApiError(error: unknown): ApiError {
  if (isAxiosError(error)) {
    const response = error.response;
    if (!response) {
      const timedOut = error.code === "ECONNABORTED" || error.code === "ETIMEDOUT";
      const code = timedOut ? "timeout" : "network";
      return { kind: timedOut ? "timeout" : "network", status: 0, code, message: messageFor(code) };
    }
    const body = response.data as { error?: { code?: unknown; message?: unknown } } | undefined;
    const serverCode = typeof body?.error?.code === "string" ? body.error.code : undefined;
    const serverMessage = typeof body?.error?.message === "string" ? body.error.message : undefined;
    const code = serverCode ?? codeForStatus(response.status);
    const headers = response.headers as Record<string, unknown> | undefined;
    const result: ApiError = {
      kind: "http",
      status: response.status,
      code,
      message: messageFor(code, serverMessage),
    };
    const retryAfter = parseRetryAfter(headers?.["retry-after"]);
    if (retryAfter !== undefined) result.retryAfterMs = retryAfter;
    return result;
  }
  const message = error instanceof Error ? error.message : String(error);
  return { kind: "network", status: 0, code: "network", message: messageFor("network", message) };
}

export function isApiError(value: unknown): value is ApiError {
  return typeof value === "object" && value !== null && "kind" in value && "code" in value;
}
