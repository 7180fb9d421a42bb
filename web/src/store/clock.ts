// The browser's estimate of the server clock (client state shared by every page): synced
// at start, every minute, and whenever the tab becomes visible again.
import { useEffect, useState } from "react";
import { create } from "zustand";
import { api } from "../api/client";
import { estimateOffset, sampleClock, serverNowFrom, type OffsetEstimate } from "../lib/clock";

const kSamples = 5;
const kResyncMs = 60_000;

interface ClockState {
  estimate: OffsetEstimate | null;
  failed: boolean;
  sync: () => Promise<void>;
}

let inFlight: Promise<void> | null = null;

export const useClock = create<ClockState>()((set) => ({
  estimate: null,
  failed: false,
  sync: () => {
    inFlight ??= (async () => {
      try {
        const samples = await sampleClock({ fetchServerMs: api.time, monotonic: () => performance.now() }, kSamples);
        set({ estimate: estimateOffset(samples), failed: false });
      } catch {
        // Keep the last estimate (the monotonic clock still runs); say that it is old.
        set({ failed: true });
      } finally {
        inFlight = null;
      }
    })();
    return inFlight;
  },
}));

/** Starts the periodic and on-visible re-sync; returns a stop function. */
export function startClockSync(): () => void {
  const sync = () => void useClock.getState().sync();
  sync();
  const timer = setInterval(sync, kResyncMs);
  const onVisible = () => {
    if (document.visibilityState === "visible") sync();
  };
  document.addEventListener("visibilitychange", onVisible);
  return () => {
    clearInterval(timer);
    document.removeEventListener("visibilitychange", onVisible);
  };
}

export function serverNow(): number | null {
  const e = useClock.getState().estimate;
  return e ? serverNowFrom(e, performance.now()) : null;
}

/**
 * The server time, re-rendered every animation frame while `fine` (a countdown showing ms),
 * else every second. Null until the first sync.
 */
export function useServerNow(fine: boolean): number | null {
  const estimate = useClock((s) => s.estimate);
  const [now, setNow] = useState<number | null>(() => (estimate ? serverNowFrom(estimate, performance.now()) : null));
  useEffect(() => {
    if (!estimate) return;
    let frame = 0;
    let timer: ReturnType<typeof setInterval> | undefined;
    const tick = () => setNow(serverNowFrom(estimate, performance.now()));
    tick();
    if (fine) {
      const loop = () => { tick(); frame = requestAnimationFrame(loop); };
      frame = requestAnimationFrame(loop);
    } else {
      timer = setInterval(tick, 1000);
    }
    return () => { cancelAnimationFrame(frame); if (timer) clearInterval(timer); };
  }, [estimate, fine]);
  return now;
}
