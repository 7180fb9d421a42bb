// A minimal history-API router: the app has a handful of fixed paths, so a routing library
// would cost more bytes than it saves. nginx answers every unknown path with index.html.
import { useSyncExternalStore, type AnchorHTMLAttributes, type MouseEvent } from "react";

const listeners = new Set<() => void>();

function subscribe(listener: () => void): () => void {
  listeners.add(listener);
  window.addEventListener("popstate", listener);
  return () => {
    listeners.delete(listener);
    window.removeEventListener("popstate", listener);
  };
}

export function navigate(to: string, replace = false): void {
  if (replace) window.history.replaceState(null, "", to);
  else window.history.pushState(null, "", to);
  window.scrollTo(0, 0);
  for (const l of listeners) l();
}

export function usePath(): string {
  return useSyncExternalStore(subscribe, () => window.location.pathname, () => "/");
}

export function Link({ href, onClick, ...rest }: AnchorHTMLAttributes<HTMLAnchorElement> & { href: string }) {
  const handle = (e: MouseEvent<HTMLAnchorElement>) => {
    onClick?.(e);
    if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
    e.preventDefault();
    navigate(href);
  };
  return <a href={href} onClick={handle} {...rest} />;
}

export type Route =
  | { page: "sales" }
  | { page: "sale"; id: number }
  | { page: "login" }
  | { page: "register" }
  | { page: "orders" }
  | { page: "admin" }
  | { page: "admin-new" }
  | { page: "admin-sale"; id: number }
  | { page: "dead-letters" }
  | { page: "not-found" };

export function matchRoute(path: string): Route {
  const p = path.replace(/\/+$/, "") || "/";
  let m: RegExpMatchArray | null;
  if (p === "/") return { page: "sales" };
  if ((m = p.match(/^\/sales\/(\d+)$/))) return { page: "sale", id: Number(m[1]) };
  if (p === "/login") return { page: "login" };
  if (p === "/register") return { page: "register" };
  if (p === "/orders") return { page: "orders" };
  if (p === "/admin") return { page: "admin" };
  if (p === "/admin/sales/new") return { page: "admin-new" };
  if ((m = p.match(/^\/admin\/sales\/(\d+)$/))) return { page: "admin-sale", id: Number(m[1]) };
  if (p === "/admin/dead-letters") return { page: "dead-letters" };
  return { page: "not-found" };
}
