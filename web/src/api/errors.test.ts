import { AxiosError, AxiosHeaders, type AxiosResponse } from "axios";
import { describe, expect, it } from "vitest";
import { messageFor, parseRetryAfter, toApiError } from "./errors";

function answer(status: number, data: unknown, headers: Record<string, string> = {}): AxiosError {
  const config = { headers: new AxiosHeaders() };
  const response = { status, statusText: "", data, headers, config } as AxiosResponse;
  return new AxiosError("failed", "ERR_BAD_RESPONSE", config, {}, response);
}

describe("toApiError", () => {
  it("uses the server's code and maps known codes to plain messages", () => {
    const e = toApiError(answer(410, { error: { code: "sold_out", message: "no stock" } }));
    expect(e).toMatchObject({ kind: "http", status: 410, code: "sold_out" });
    expect(e.message).toMatch(/sold out/i);
  });

  it("shows the server's message for a code it does not know", () => {
    const e = toApiError(answer(418, { error: { code: "teapot_mode", message: "short and stout" } }));
    expect(e).toMatchObject({ status: 418, code: "teapot_mode", message: "short and stout" });
  });

  it("reads Retry-After on 503 and 429", () => {
    expect(toApiError(answer(503, { error: { code: "unavailable", message: "x" } }, { "retry-after": "2" })).retryAfterMs).toBe(2000);
    expect(toApiError(answer(429, { error: { code: "rate_limited", message: "x" } }, { "retry-after": "0.5" })).retryAfterMs).toBe(500);
    expect(toApiError(answer(503, {})).retryAfterMs).toBeUndefined();
  });

  it("derives a code from the status when the body is not the API's (a proxy's 502 page)", () => {
    expect(toApiError(answer(502, "<html>bad gateway</html>"))).toMatchObject({ code: "server_error", status: 502 });
    expect(toApiError(answer(425, ""))).toMatchObject({ code: "not_started" });
  });

  it("tells a network failure and a timeout apart from an answer", () => {
    expect(toApiError(new AxiosError("Network Error", "ERR_NETWORK"))).toMatchObject({ kind: "network", status: 0, code: "network" });
    expect(toApiError(new AxiosError("timeout", "ECONNABORTED"))).toMatchObject({ kind: "timeout", code: "timeout" });
    expect(toApiError(new TypeError("boom"))).toMatchObject({ kind: "network" });
  });
});

describe("parseRetryAfter", () => {
  it("accepts seconds and HTTP dates", () => {
    expect(parseRetryAfter("3")).toBe(3000);
    expect(parseRetryAfter("Wed, 21 Oct 2015 07:28:10 GMT", Date.UTC(2015, 9, 21, 7, 28, 0))).toBe(10_000);
    expect(parseRetryAfter("soon")).toBeUndefined();
    expect(parseRetryAfter(undefined)).toBeUndefined();
  });
  it("has a message for every code a purchase can end with", () => {
    for (const code of ["sold_out", "limit_reached", "not_started", "ended", "unavailable", "rate_limited"]) {
      expect(messageFor(code)).not.toMatch(/Unexpected/);
    }
  });
});
