import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { render, screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { beforeEach, describe, expect, it, vi } from "vitest";
import type { Sale } from "../api/types";
import { useAuth } from "../store/auth";
import { useClock } from "../store/clock";

const mocks = vi.hoisted(() => ({
  sale: vi.fn(), purchase: vi.fn(), myReservation: vi.fn(), order: vi.fn(), pay: vi.fn(), cancel: vi.fn(), time: vi.fn(),
}));
vi.mock("../api/client", () => ({ api: mocks }));

import { SalePage } from "./SalePage";

const kServerOffset = 1_800_000_000_000; // server epoch = performance.now() + offset

function saleStartingIn(ms: number): Sale {
  const now = performance.now() + kServerOffset;
  return { id: 3, product_name: "Sneaker", product_description: "", price_cents: 9900, stock_total: 10, stock_left: 10,
    limit_per_user: 1, starts_at_ms: now + ms, ends_at_ms: now + 3_600_000 };
}

function renderPage() {
  const client = new QueryClient({ defaultOptions: { queries: { retry: false } } });
  return render(<QueryClientProvider client={client}><SalePage saleId={3} /></QueryClientProvider>);
}

beforeEach(() => {
  useAuth.setState({ token: "t", user: { id: 5, email: "a@b.c", role: "shopper" } });
  useClock.setState({ estimate: { offsetMs: kServerOffset, uncertaintyMs: 1, rttMs: 0, atMono: 0, samples: 5 }, failed: false });
  mocks.myReservation.mockRejectedValue({ kind: "http", status: 404, code: "not_found", message: "none" });
});

describe("SalePage", () => {
  it("keeps the buy button disabled before the start and shows the countdown", async () => {
    mocks.sale.mockResolvedValue(saleStartingIn(3_600_000));
    renderPage();
    const button = await screen.findByRole("button", { name: /opens at/i });
    expect(button).toBeDisabled();
    expect(screen.getByText(/^00:59:5\d\.\d{3}$/)).toBeInTheDocument();
    expect(mocks.purchase).not.toHaveBeenCalled();
  });

  it("sends exactly one purchase for a double click, with an idempotency key", async () => {
    mocks.sale.mockResolvedValue(saleStartingIn(-1_000));
    mocks.purchase.mockReturnValue(new Promise(() => {}));
    renderPage();
    const button = await screen.findByRole("button", { name: "Buy now" });
    await waitFor(() => expect(button).toBeEnabled());
    await userEvent.dblClick(button);
    expect(mocks.purchase).toHaveBeenCalledTimes(1);
    expect(mocks.purchase.mock.calls[0]![1]).toMatch(/^[0-9a-f-]{32,36}$/);
    expect(await screen.findByRole("status")).toHaveTextContent(/sending your purchase/i);
  });

  it("buys with the keyboard and announces the sold-out answer", async () => {
    mocks.sale.mockResolvedValue(saleStartingIn(-1_000));
    mocks.purchase.mockRejectedValue({ kind: "http", status: 410, code: "sold_out", message: "Sold out: every unit has been reserved." });
    renderPage();
    const button = await screen.findByRole("button", { name: "Buy now" });
    await waitFor(() => expect(button).toBeEnabled());
    button.focus();
    await userEvent.keyboard("{Enter}");
    await waitFor(() => expect(screen.getByRole("status")).toHaveTextContent(/sold out/i));
    expect(screen.getByRole("button", { name: "Sold out" })).toBeDisabled();
  });

  it("asks a visitor to log in instead of offering the button", async () => {
    useAuth.setState({ token: null, user: null });
    mocks.sale.mockResolvedValue(saleStartingIn(-1_000));
    renderPage();
    expect(await screen.findByRole("link", { name: "Log in" })).toBeInTheDocument();
    expect(screen.queryByRole("button", { name: /buy/i })).toBeNull();
  });
});
