// The HTTP client: one axios instance on the same origin (nginx proxies /api), the token
// from the auth store, and typed calls per endpoint. Errors are mapped by toApiError.
import axios from "axios";
import { useAuth } from "../store/auth";
import type {
  AuthAnswer, DeadLetterList, NewSale, Order, PurchaseAccepted, ReservationStatus, Sale,
  SaleStats, SalesList,
} from "./types";

export const http = axios.create({
  baseURL: "/api/v1",
  timeout: 10_000,
  headers: { "Content-Type": "application/json" },
});

http.interceptors.request.use((config) => {
  const token = useAuth.getState().token;
  if (token) config.headers.set("Authorization", `Bearer ${token}`);
  return config;
});

http.interceptors.response.use(undefined, (error: unknown) => {
  // A token the server no longer accepts (expired, other secret): log out so the pages ask
  // for a login instead of failing every call.
  if (axios.isAxiosError(error) && error.response?.status === 401 && useAuth.getState().token) {
    useAuth.getState().logout();
  }
  return Promise.reject(error instanceof Error ? error : new Error(String(error)));
});

export const api = {
  register: (email: string, password: string) =>
    http.post<AuthAnswer>("/auth/register", { email, password }).then((r) => r.data),
  login: (email: string, password: string) =>
    http.post<AuthAnswer>("/auth/login", { email, password }).then((r) => r.data),
  /** Server epoch ms; the caller measures the round trip around it. */
  time: () => http.get<{ now_ms: number }>("/time", { timeout: 5_000 }).then((r) => r.data.now_ms),
  sales: () => http.get<SalesList>("/sales").then((r) => r.data),
  sale: (id: number) => http.get<Sale & { now_ms: number }>(`/sales/${id}`).then((r) => r.data),
  purchase: (saleId: number, idempotencyKey: string) =>
    http
      .post<PurchaseAccepted>(`/sales/${saleId}/purchase`, undefined, {
        headers: { "Idempotency-Key": idempotencyKey },
      })
      .then((r) => r.data),
  myReservation: (saleId: number) =>
    http.get<ReservationStatus>(`/sales/${saleId}/order`).then((r) => r.data),
  orders: () => http.get<{ orders: Order[] }>("/orders").then((r) => r.data.orders),
  order: (id: number) => http.get<Order>(`/orders/${id}`).then((r) => r.data),
  pay: (orderId: number, idempotencyKey: string) =>
    http
      .post<Order>(`/orders/${orderId}/pay`, {}, { headers: { "Idempotency-Key": idempotencyKey } })
      .then((r) => r.data),
  cancel: (orderId: number, idempotencyKey: string) =>
    http
      .post<Order>(`/orders/${orderId}/cancel`, {}, { headers: { "Idempotency-Key": idempotencyKey } })
      .then((r) => r.data),
  createSale: (sale: NewSale) => http.post<Sale>("/admin/sales", sale).then((r) => r.data),
  stats: (saleId: number) =>
    http.get<SaleStats>(`/admin/sales/${saleId}/stats`, { timeout: 5_000 }).then((r) => r.data),
  deadLetters: (limit: number) =>
    http.get<DeadLetterList>(`/admin/dead-letters?limit=${limit}`).then((r) => r.data),
  replayDeadLetters: (limit: number) =>
    http.post<DeadLetterList>(`/admin/dead-letters/replay?limit=${limit}`, {}).then((r) => r.data),
};

export type Api = typeof api;
