// How well the browser knows the server's clock, in a tooltip next to the countdown.
import { useId } from "react";
import { useClock } from "../store/clock";

export function ClockInfo() {
  const estimate = useClock((s) => s.estimate);
  const failed = useClock((s) => s.failed);
  const id = useId();
  // The estimate is relative to the monotonic clock; against this device's wall clock:
  const vsDevice = estimate ? Math.round(estimate.offsetMs - (Date.now() - performance.now())) : 0;
  const text = estimate
    ? `Server clock offset ${vsDevice >= 0 ? "+" : ""}${vsDevice} ms from this device's clock, ±${estimate.uncertaintyMs.toFixed(1)} ms (best of ${estimate.samples} round trips, ${estimate.rttMs.toFixed(1)} ms).${failed ? " The last re-sync failed: the estimate is older." : ""}`
    : failed ? "The server clock cannot be reached: the countdown is unavailable." : "Syncing with the server clock…";
  return (
    <span className="group relative inline-block">
      <button type="button" aria-describedby={id} className="rounded-full border border-slate-400 px-2 text-xs text-slate-700"
        data-testid="clock-info">
        <span className="sr-only">Server clock accuracy </span>±{estimate ? `${Math.ceil(estimate.uncertaintyMs)} ms` : "?"}
      </button>
      <span role="tooltip" id={id}
        className="invisible absolute left-1/2 top-full z-10 mt-2 w-72 -translate-x-1/2 rounded-md bg-slate-900 p-2 text-xs text-white opacity-0 shadow-lg transition group-focus-within:visible group-focus-within:opacity-100 group-hover:visible group-hover:opacity-100">
        {text}
      </span>
    </span>
  );
}
