// Page frame: navigation, the offline notice, and the main landmark.
import { useEffect, useState, type ReactNode } from "react";
import { useQueryClient } from "@tanstack/react-query";
import { Link, navigate, usePath } from "../router";
import { useAuth } from "../store/auth";

function useOnline(): boolean {
  const [online, setOnline] = useState(() => navigator.onLine);
  useEffect(() => {
    const on = () => setOnline(true);
    const off = () => setOnline(false);
    window.addEventListener("online", on);
    window.addEventListener("offline", off);
    return () => {
      window.removeEventListener("online", on);
      window.removeEventListener("offline", off);
    };
  }, []);
  return online;
}

function NavLink({ href, children }: { href: string; children: ReactNode }) {
  const path = usePath();
  const current = href === "/" ? path === "/" || path.startsWith("/sales") : path.startsWith(href);
  return (
    <Link
      href={href}
      aria-current={current ? "page" : undefined}
      className={`rounded-md px-2 py-1 text-sm font-medium ${current ? "bg-indigo-100 text-indigo-900 underline underline-offset-4" : "text-slate-700 hover:bg-slate-100"}`}
    >
      {children}
    </Link>
  );
}

export function Layout({ children }: { children: ReactNode }) {
  const user = useAuth((s) => s.user);
  const logout = useAuth((s) => s.logout);
  const queryClient = useQueryClient();
  const online = useOnline();
  const onLogout = () => {
    logout();
    queryClient.clear();
    navigate("/login");
  };
  return (
    <div className="min-h-screen">
      <header className="border-b border-slate-200 bg-white">
        <div className="mx-auto flex max-w-5xl flex-wrap items-center gap-x-4 gap-y-2 px-4 py-3">
          <Link href="/" className="flex items-center gap-2 text-lg font-bold text-indigo-800">
            <img src="/favicon.svg" alt="" width="28" height="28" />
            MiniShop
          </Link>
          <nav aria-label="Main" className="order-last flex w-full flex-wrap items-center gap-1 sm:order-none sm:w-auto sm:flex-1">
            <NavLink href="/">Sales</NavLink>
            {user && <NavLink href="/orders">My orders</NavLink>}
            {user?.role === "admin" && <NavLink href="/admin">Admin</NavLink>}
          </nav>
          <div className="ml-auto flex min-w-0 items-center gap-2 text-sm sm:ml-0">
            {user ? (
              <>
                <span className="max-w-[9rem] truncate text-slate-600 sm:max-w-[14rem]" title={user.email}>{user.email}</span>
                <button type="button" onClick={onLogout} className="rounded-md border border-slate-300 px-2 py-1 hover:bg-slate-100">
                  Log out
                </button>
              </>
            ) : (
              <>
                <Link href="/login" className="rounded-md px-2 py-1 font-medium text-indigo-800 hover:bg-slate-100">Log in</Link>
                <Link href="/register" className="rounded-md bg-indigo-700 px-2 py-1 font-medium text-white hover:bg-indigo-800">Register</Link>
              </>
            )}
          </div>
        </div>
      </header>
      <div aria-live="polite">
        {!online && (
          <p role="status" data-testid="offline-notice" className="bg-amber-100 px-4 py-2 text-center text-sm font-medium text-amber-950">
            ⚠ You are offline. The app still opens; what it shows is the last known state until the connection returns.
          </p>
        )}
      </div>
      <main id="main" className="mx-auto max-w-5xl px-4 py-6">{children}</main>
    </div>
  );
}
