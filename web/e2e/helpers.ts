// Shared steps of the end-to-end suite: the real API (for set-up only), screenshots at
// phone and desktop widths, and axe-core's accessibility check.
import { createRequire } from "node:module";
import { expect, type APIRequestContext, type Page } from "@playwright/test";

const require = createRequire(import.meta.url);
const axePath: string = require.resolve("axe-core/axe.min.js");

export const admin = {
  email: process.env.E2E_ADMIN_EMAIL ?? "admin@minishop.local",
  password: process.env.E2E_ADMIN_PASSWORD ?? "",
};

export function uniqueEmail(tag: string): string {
  return `${tag}-${Date.now()}-${Math.floor(Math.random() * 1e6)}@e2e.test`;
}

export interface Session {
  token: string;
  user: { id: number; email: string; role: string };
}

export async function apiLogin(request: APIRequestContext, email: string, password: string): Promise<Session> {
  const r = await request.post("/api/v1/auth/login", { data: { email, password } });
  expect(r.status(), await r.text()).toBe(200);
  return (await r.json()) as Session;
}

export async function apiRegister(request: APIRequestContext, tag: string): Promise<Session> {
  const r = await request.post("/api/v1/auth/register", { data: { email: uniqueEmail(tag), password: "a-long-password" } });
  expect([200, 201], await r.text()).toContain(r.status());
  return (await r.json()) as Session;
}

export async function serverNow(request: APIRequestContext): Promise<number> {
  const r = await request.get("/api/v1/time");
  return ((await r.json()) as { now_ms: number }).now_ms;
}

/** Creates a sale through the admin API, starting `startsInMs` after the server's now. */
export async function createSale(request: APIRequestContext, opts: { name: string; stock: number; startsInMs: number }): Promise<{ id: number; starts_at_ms: number }> {
  const session = await apiLogin(request, admin.email, admin.password);
  const now = await serverNow(request);
  const body = {
    product_name: opts.name, price_cents: 4900, stock: opts.stock, limit_per_user: 1,
    starts_at_ms: now + opts.startsInMs, ends_at_ms: now + 3_600_000,
  };
  const r = await request.post("/api/v1/admin/sales", { data: body, headers: { Authorization: `Bearer ${session.token}` } });
  expect(r.status(), await r.text()).toBe(201);
  const sale = (await r.json()) as { id: number; starts_at_ms: number };
  return { id: sale.id, starts_at_ms: body.starts_at_ms };
}

/** Logs the page in as `session` the way the app keeps it (localStorage), before it loads. */
export async function useSession(page: Page, session: Session): Promise<void> {
  await page.addInitScript((value) => {
    window.localStorage.setItem("minishop-auth", value);
  }, JSON.stringify({ state: { token: session.token, user: session.user }, version: 0 }));
}

/** Full-page screenshots at 375 px and 1280 px: test-results/screens/NAME-WIDTH.png. */
export async function shoot(page: Page, name: string): Promise<void> {
  const before = page.viewportSize() ?? { width: 1280, height: 800 };
  for (const width of [375, 1280]) {
    await page.setViewportSize({ width, height: width === 375 ? 740 : 800 });
    await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
    await page.screenshot({ path: `test-results/screens/${name}-${width}.png`, fullPage: true });
  }
  await page.setViewportSize(before);
}

/** Runs axe-core (WCAG 2 A/AA rules) and fails on any serious or critical violation. */
export async function expectAccessible(page: Page, name: string): Promise<void> {
  if (!(await page.evaluate(() => "axe" in window))) await page.addScriptTag({ path: axePath });
  const violations = await page.evaluate(async () => {
    const w = window as unknown as { axe: { run: (ctx: Document, opts: unknown) => Promise<{ violations: { id: string; impact: string; help: string; nodes: { target: string[] }[] }[] }> } };
    const result = await w.axe.run(document, { runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"] } });
    return result.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, targets: v.nodes.map((n) => n.target.join(" ")).slice(0, 5) }));
  });
  const serious = violations.filter((v) => v.impact === "serious" || v.impact === "critical");
  expect(serious, `${name}: ${JSON.stringify(serious, null, 2)}`).toEqual([]);
}
