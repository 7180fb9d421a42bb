// Shapes of the MiniShop HTTP API (README "HTTP API"). Fields the server may add later are
// ignored; statuses are plain strings because the server may introduce new ones.

export interface User {
  id: number;
  email: string;
  /** "admin" or "user" today; other roles are shown as plain users. */
  role: string;
}

export interface AuthAnswer {
  token: string;
  user: User;
}

export interface Sale {
  id: number;
  product_name: string;
  product_description: string;
  price_cents: number;
  stock_total: number;
  /** Approximate (refreshed every second); absent when the server does not know it. */
  stock_left?: number;
  limit_per_user: number;
  starts_at_ms: number;
  ends_at_ms: number;
  rebuy_after_return?: boolean;
}

export interface SalesList {
  sales: Sale[];
  now_ms: number;
}

export interface PurchaseAccepted {
  reservation_id: string;
  status: string;
  sale_id: number;
  quantity: number;
}

/** GET /sales/{id}/order: `pending`, then `awaiting_payment` with an order id, then later states. */
export interface ReservationStatus {
  sale_id: number;
  reservation_id: string;
  status: string;
  order_id?: number;
}

export interface Order {
  id: number;
  reservation_id: string;
  sale_id: number;
  quantity: number;
  price_cents: number;
  status: string;
  reserved_at_ms: number;
  stock_return?: string;
}

export interface SaleStats {
  sale_id: number;
  initial_stock: number;
  redis_stock: number;
  reserved_units: number;
  buyers_redis: number;
  orders_pg: number;
  order_units_pg: number;
  live_units_pg: number;
  distinct_buyers_pg: number;
  outbox_backlog: number;
  in_flight_units: number;
  closed_orders_pg: number;
  closed_units_pg: number;
  returned_orders_redis: number;
  returned_units_redis: number;
  returns_pending: number;
  stock_drift: number;
  invariants: Record<string, boolean>;
}

export interface DeadLetter {
  routing_key: string;
  headers: Record<string, unknown>;
  body: unknown;
}

export interface DeadLetterList {
  count: number;
  messages?: DeadLetter[];
  replayed?: DeadLetter[];
}

export interface NewSale {
  product_name: string;
  product_description?: string;
  price_cents: number;
  stock: number;
  limit_per_user?: number;
  starts_at_ms: number;
  ends_at_ms: number;
}
