import type { ReactNode } from "react";
import { Link } from "../../router";
import { useAuth } from "../../store/auth";

export function RequireAdmin({ children }: { children: ReactNode }) {
  const user = useAuth((s) => s.user);
  if (!user) {
    return <p><Link href={`/login?next=${encodeURIComponent(window.location.pathname)}`} className="font-semibold text-indigo-800 underline">Log in</Link> as an admin to see this page.</p>;
  }
  if (user.role !== "admin") return <p role="alert">This page is for admins only.</p>;
  return <>{children}</>;
}
