// The web app against the real stack (e2e/run.sh): shoppers, admins, offline, accessibility.
import { execFileSync } from "node:child_process";
import { expect, test, type Page } from "@playwright/test";
import { admin, apiLogin, apiRegister, createSale, expectAccessible, shoot, uniqueEmail, useSession } from "./helpers";

/** Resolves when the buy button enables, with the server's time asked right at that instant. */
type Enabled = { serverAfter: number; countdown: string | null; disabledAtFirst: boolean };
function watchEnable(page: Page): Promise<Enabled> {
  return page.evaluate(() => new Promise<Enabled>((resolve) => {
    const disabledAtFirst = document.querySelector<HTMLButtonElement>("[data-testid=buy]")?.disabled === true;
    const check = () => {
      const button = document.querySelector<HTMLButtonElement>("[data-testid=buy]");
      if (!button || button.disabled) return false;
      const countdown = document.querySelector("[data-testid=countdown]")?.textContent ?? null;
      observer.disconnect();
      void fetch("/api/v1/time").then((r) => r.json()).then((j: { now_ms: number }) => resolve({ serverAfter: j.now_ms, countdown, disabledAtFirst }));
      return true;
    };
    const observer = new MutationObserver(() => { check(); });
    observer.observe(document.body, { subtree: true, childList: true, attributes: true, characterData: true });
    check();
  }));
}

test("a shopper registers, watches the countdown, buys at the start with the keyboard, and pays", async ({ page, request }) => {
  // The device clock runs 90 s behind: the countdown must follow the server's clock anyway.
  await page.addInitScript(() => {
    const real = Date.now.bind(Date);
    Date.now = () => real() - 90_000;
  });
  await page.goto("/register");
  await expectAccessible(page, "register");
  await shoot(page, "register");
  await page.getByLabel("Email").fill(uniqueEmail("shopper"));
  await page.getByLabel("Password").fill("a-long-password");
  await page.getByRole("button", { name: "Create an account" }).click();
  await expect(page.getByRole("heading", { name: "Flash sales" })).toBeVisible();

  // A reload keeps the shopper logged in.
  await page.reload();
  await expect(page.getByRole("button", { name: "Log out" })).toBeVisible();

  const sale = await createSale(request, { name: "E2E one-unit sneaker", stock: 1, startsInMs: 12_000 });
  await page.goto(`/sales/${sale.id}`);
  const buy = page.getByTestId("buy");
  await expect(page.getByTestId("countdown")).toHaveText(/^00:00:\d\d\.\d{3}$/);
  await expect(buy).toBeDisabled();
  await expectAccessible(page, "sale-countdown");
  await shoot(page, "sale-countdown");
  await page.getByRole("link", { name: "← All sales" }).click();
  await expectAccessible(page, "sales");
  await shoot(page, "sales");
  await page.getByRole("link", { name: "E2E one-unit sneaker" }).first().click();

  await expect(buy).toBeDisabled();
  const enabled = await watchEnable(page);
  expect(enabled.disabledAtFirst).toBe(true);
  expect(enabled.serverAfter).toBeGreaterThanOrEqual(sale.starts_at_ms);
  expect(enabled.countdown).toBe("00:00:00.000");

  await buy.focus();
  await page.keyboard.press("Enter");
  const status = page.getByTestId("purchase-status");
  await expect(status).toHaveAttribute("data-state", "awaiting_payment");
  await expect(status).toHaveAttribute("aria-live", "polite");
  await expect(page.getByTestId("payment-deadline")).toHaveText(/^00:1\d:\d\d$/);
  await expectAccessible(page, "sale-awaiting-payment");
  await shoot(page, "sale-awaiting-payment");

  await page.getByRole("button", { name: "Pay now" }).press("Enter");
  await expect(status).toHaveAttribute("data-state", "paid");
  await expect(status).toContainText("Paid");
  await shoot(page, "sale-paid");

  await page.getByRole("link", { name: "My orders" }).click();
  await expect(page.getByRole("list", { name: "Orders" }).getByText("Paid")).toBeVisible();
  await expectAccessible(page, "orders");
  await shoot(page, "orders");
});

test("a second shopper sees a one-unit sale sold out", async ({ page, request }) => {
  const sale = await createSale(request, { name: "E2E sold out", stock: 1, startsInMs: 1_000 });
  const first = await apiRegister(request, "first");
  await expect(async () => {
    const r = await request.post(`/api/v1/sales/${sale.id}/purchase`, { headers: { Authorization: `Bearer ${first.token}` } });
    expect(r.status()).toBe(202);
  }).toPass({ timeout: 15_000, intervals: [300] });
  await useSession(page, await apiRegister(request, "second"));
  await page.goto(`/sales/${sale.id}`);
  await expect(page.getByRole("button", { name: "Sold out" })).toBeDisabled();
  await expect(page.getByTestId("stock-left")).toHaveText("0 of 1");
  await expectAccessible(page, "sale-sold-out");
  await shoot(page, "sale-sold-out");
});

test("a double click buys once", async ({ page, request }) => {
  const sale = await createSale(request, { name: "E2E double click", stock: 5, startsInMs: 2_500 });
  const session = await apiRegister(request, "double");
  await useSession(page, session);
  let purchases = 0;
  page.on("request", (r) => {
    if (r.method() === "POST" && r.url().endsWith(`/sales/${sale.id}/purchase`)) purchases++;
  });
  await page.goto(`/sales/${sale.id}`);
  const buy = page.getByTestId("buy");
  await expect(buy).toBeEnabled({ timeout: 20_000 });
  await buy.dblclick();
  await expect(page.getByTestId("purchase-status")).toHaveAttribute("data-state", "awaiting_payment");
  expect(purchases).toBe(1);
  const orders = await request.get("/api/v1/orders", { headers: { Authorization: `Bearer ${session.token}` } });
  expect(((await orders.json()) as { orders: { sale_id: number }[] }).orders.filter((o) => o.sale_id === sale.id)).toHaveLength(1);
});

test("an admin creates a sale and watches it sell on the dashboard, invariants green", async ({ page, request }) => {
  await page.goto("/login");
  await expectAccessible(page, "login");
  await shoot(page, "login");
  await page.getByLabel("Email").fill(admin.email);
  await page.getByLabel("Password").fill(admin.password);
  await page.getByRole("button", { name: "Log in" }).click();
  await expect(page.getByRole("heading", { name: "Admin" })).toBeVisible();
  await expectAccessible(page, "admin");
  await shoot(page, "admin");

  await page.getByRole("link", { name: "New sale" }).click();
  await page.getByRole("button", { name: "Create sale" }).click();
  await expect(page.getByRole("alert")).toContainText("Please fix");
  await expect(page.getByLabel("Product name")).toHaveAttribute("aria-invalid", "true");
  await expectAccessible(page, "admin-new-sale");
  await shoot(page, "admin-new-sale");
  const startsAt = await page.evaluate(() => {
    const d = new Date(Date.now() + 5_000);
    const p = (n: number) => String(n).padStart(2, "0");
    return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
  });
  await page.getByLabel("Product name").fill("E2E admin sale");
  await page.getByLabel("Price (USD)").fill("12.50");
  await page.getByLabel("Stock").fill("3");
  await page.getByLabel("Starts at").fill(startsAt);
  await page.getByRole("button", { name: "Create sale" }).click();
  await expect(page).toHaveURL(/\/admin\/sales\/\d+$/);
  const saleId = Number(page.url().split("/").pop());

  const invariants = page.getByRole("list", { name: "Invariants" }).getByRole("listitem");
  await expect(invariants).toHaveCount(5);
  for (const item of await invariants.all()) await expect(item).toHaveAttribute("data-ok", "true");
  await expect(page.getByTestId("stat-stock")).toHaveText("3");

  // A shopper buys once the sale opens: the dashboard shows it live.
  const shopper = await apiRegister(request, "dash");
  await expect(async () => {
    const r = await request.post(`/api/v1/sales/${saleId}/purchase`, { headers: { Authorization: `Bearer ${shopper.token}` } });
    expect(r.status()).toBe(202);
  }).toPass({ timeout: 20_000, intervals: [500] });
  await expect(page.getByTestId("stat-reserved")).toHaveText("1");
  await expect(page.getByTestId("stat-stock")).toHaveText("2");
  await expect(page.getByTestId("stat-orders")).toHaveText("1");
  for (const item of await invariants.all()) await expect(item).toHaveAttribute("data-ok", "true");

  // The charts read Prometheus through nginx.
  await expect(page.getByTestId("chart")).toHaveCount(3);
  await expect(page.getByTestId("chart").first()).toContainText(/Latest:|No samples yet/);
  await expect(page.getByTestId("chart-error")).toHaveCount(0);
  await expectAccessible(page, "admin-dashboard");
  await shoot(page, "admin-dashboard");

  // Without Prometheus the charts say so.
  await page.route("**/prometheus/**", (route) => route.abort("connectionrefused"));
  await page.reload();
  await expect(page.getByTestId("chart-error")).toHaveCount(3);
  await page.unroute("**/prometheus/**");
});

test("an admin lists a poison message among the dead letters and replays it", async ({ page, request }) => {
  // A body the order worker cannot parse, published where the relay publishes reservations
  // (amqp-publish from Debian's amqp-tools): the worker rejects it to the dead-letter queue.
  const poison = `not a reservation ${Date.now()}`;
  execFileSync("amqp-publish", [
    `--url=amqp://guest:guest@127.0.0.1:${process.env.MINISHOP_AMQP_PORT ?? "5680"}`,
    "-e", "minishop.orders", "-r", "minishop.reservations", "-b", poison,
  ]);
  await useSession(page, await apiLogin(request, admin.email, admin.password));
  await page.goto("/admin/dead-letters");
  await expect(page.getByRole("heading", { name: "Dead letters" })).toBeVisible();
  await expect(async () => {
    await page.getByRole("button", { name: "Refresh" }).click();
    await expect(page.getByText(poison)).toBeVisible({ timeout: 2_000 });
  }).toPass({ timeout: 30_000 });
  await expect(page.getByRole("button", { name: "Refresh" })).toBeEnabled();
  await expectAccessible(page, "dead-letters");
  await shoot(page, "dead-letters");
  await page.getByRole("button", { name: /^Replay \d+$/ }).click();
  await page.getByRole("button", { name: /Yes, replay/ }).click();
  await expect(page.getByRole("status").filter({ hasText: "Replayed" })).toContainText(/Replayed [1-9]\d* message/);
});

test("offline: the shell still loads from the service worker and says it is offline", async ({ page, context, request }) => {
  await useSession(page, await apiLogin(request, admin.email, admin.password));
  await page.goto("/");
  await expect(page.getByRole("heading", { name: "Flash sales" })).toBeVisible();
  await page.evaluate(async () => { await navigator.serviceWorker.ready; });
  if (!(await page.evaluate(() => navigator.serviceWorker.controller !== null))) await page.reload();
  await expect.poll(() => page.evaluate(() => navigator.serviceWorker.controller !== null)).toBe(true);
  // The sales must have loaded before the connection goes: only then is there something
  // to keep showing, marked stale.
  await expect(page.getByText("Loading sales…")).toHaveCount(0);
  await expect(page.getByRole("alert")).toHaveCount(0);

  await context.setOffline(true);
  try {
    await expect(page.getByTestId("offline-notice")).toBeVisible();
    // What the page knew stays, marked stale, once a refresh fails.
    await expect(page.getByText(/Stale:/)).toBeVisible({ timeout: 20_000 });
    await page.reload();
    await expect(page.getByRole("heading", { name: "Flash sales" })).toBeVisible();
    await expect(page.getByTestId("offline-notice")).toBeVisible();
    await expect(page.getByRole("alert")).toContainText("cannot load the sales");
    await expectAccessible(page, "offline");
    await shoot(page, "offline");
  } finally {
    await context.setOffline(false);
  }
});
