// React glue for the purchase state machine.
import { useEffect, useState } from "react";
import { useQueryClient } from "@tanstack/react-query";
import { api } from "./api/client";
import { newIdempotencyKey } from "./lib/idempotency";
import { defaultSleep, PurchaseFlow, type PurchaseState } from "./lib/purchase";
import { useClock } from "./store/clock";

/** One PurchaseFlow per (sale, logged-in user), disposed when the page leaves. */
export function usePurchaseFlow(saleId: number, userId: number | null): [PurchaseFlow | null, PurchaseState] {
  const queryClient = useQueryClient();
  const [flow, setFlow] = useState<PurchaseFlow | null>(null);
  const [state, setState] = useState<PurchaseState>({ kind: "idle" });
  useEffect(() => {
    if (userId === null) return;
    const f = new PurchaseFlow(saleId, {
      purchase: api.purchase,
      myReservation: api.myReservation,
      order: api.order,
      pay: api.pay,
      cancel: api.cancel,
      sleep: defaultSleep,
      random: Math.random,
      newKey: newIdempotencyKey,
      onNotStarted: () => void useClock.getState().sync(),
    });
    setFlow(f);
    setState(f.state);
    const unsubscribe = f.subscribe((s) => {
      setState(s);
      if (s.kind === "order" && !s.busy) void queryClient.invalidateQueries({ queryKey: ["orders"] });
      if (s.kind === "rejected" || s.kind === "pending") void queryClient.invalidateQueries({ queryKey: ["sale", saleId] });
    });
    f.resume();
    return () => {
      unsubscribe();
      f.dispose();
      setFlow(null);
      setState({ kind: "idle" });
    };
  }, [saleId, userId, queryClient]);
  return [flow, state];
}
