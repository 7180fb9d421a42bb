// Top level: picks the page for the current path. Admin pages are split into their own
// chunk (charts), so shoppers never download them.
import { lazy, Suspense, useEffect } from "react";
import { Layout } from "./components/Layout";
import { matchRoute, usePath, type Route } from "./router";
import { startClockSync } from "./store/clock";
import { SalesPage } from "./pages/SalesPage";
import { SalePage } from "./pages/SalePage";
import { AuthPage } from "./pages/AuthPage";
import { OrdersPage } from "./pages/OrdersPage";

const AdminPage = lazy(() => import("./pages/admin/AdminPage"));
const NewSalePage = lazy(() => import("./pages/admin/NewSalePage"));
const DashboardPage = lazy(() => import("./pages/admin/DashboardPage"));
const DeadLettersPage = lazy(() => import("./pages/admin/DeadLettersPage"));

function Page({ route }: { route: Route }) {
  switch (route.page) {
    case "sales": return <SalesPage />;
    case "sale": return <SalePage saleId={route.id} />;
    case "login": return <AuthPage mode="login" />;
    case "register": return <AuthPage mode="register" />;
    case "orders": return <OrdersPage />;
    case "admin": return <AdminPage />;
    case "admin-new": return <NewSalePage />;
    case "admin-sale": return <DashboardPage saleId={route.id} />;
    case "dead-letters": return <DeadLettersPage />;
    case "not-found": return <h1 className="text-2xl font-bold">Page not found</h1>;
  }
}

const titles: Record<Route["page"], string> = {
  sales: "Sales", sale: "Sale", login: "Log in", register: "Register", orders: "My orders",
  admin: "Admin", "admin-new": "New sale", "admin-sale": "Sale dashboard",
  "dead-letters": "Dead letters", "not-found": "Not found",
};

export function App() {
  const route = matchRoute(usePath());
  useEffect(() => startClockSync(), []);
  useEffect(() => {
    document.title = `${titles[route.page]} · MiniShop`;
  }, [route.page]);
  return (
    <Layout>
      <Suspense fallback={<p role="status">Loading…</p>}>
        <Page route={route} />
      </Suspense>
    </Layout>
  );
}
