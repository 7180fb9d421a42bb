// The server's clock as seen from the browser, to the millisecond.
//
// Each sample is one GET /time: the client reads its monotonic clock (performance.now) just
// before sending (t0) and just after the answer (t1); the server stamped `server` somewhere
// in between. Assuming the stamp sits mid-way, offset = server - (t0 + t1) / 2, and the true
// offset lies within ±rtt/2 of it whatever the asymmetry of the two legs. So of several
// samples the one with the lowest round trip is kept: it has the tightest bound.
//
// The offset is relative to the monotonic clock, not Date.now(): the wall clock may jump
// (NTP, the user changing it) and the countdown must not jump with it. Monotonic clocks can
// stall while a machine sleeps, hence the re-sync when the tab becomes visible.

export interface ClockSample {
  /** Monotonic ms before sending. */
  t0: number;
  /** Monotonic ms after the answer arrived. */
  t1: number;
  /** Server epoch ms from the answer. */
  server: number;
}

export interface OffsetEstimate {
  /** serverEpochMs = monotonicMs + offsetMs */
  offsetMs: number;
  /** Half the round trip of the kept sample, plus the server stamp's own 1 ms resolution. */
  uncertaintyMs: number;
  rttMs: number;
  /** Monotonic ms at which the estimate was made. */
  atMono: number;
  samples: number;
}

export function estimateOffset(samples: readonly ClockSample[]): OffsetEstimate | null {
  let best: ClockSample | null = null;
  for (const s of samples) {
    const rtt = s.t1 - s.t0;
    if (!(rtt >= 0) || !Number.isFinite(s.server)) continue;
    if (best === null || rtt < best.t1 - best.t0) best = s;
  }
  if (best === null) return null;
  const rtt = best.t1 - best.t0;
  return {
    offsetMs: best.server - (best.t0 + best.t1) / 2,
    uncertaintyMs: rtt / 2 + 1,
    rttMs: rtt,
    atMono: best.t1,
    samples: samples.length,
  };
}

export interface ClockSource {
  /** Resolves to the server's epoch ms (GET /time). */
  fetchServerMs: () => Promise<number>;
  /** A monotonic clock in ms (performance.now in the browser). */
  monotonic: () => number;
}

/** Takes `count` samples one after another (no overlap, so none queues behind another). */
export async function sampleClock(source: ClockSource, count: number): Promise<ClockSample[]> {
  const samples: ClockSample[] = [];
  let lastError: unknown = null;
  for (let i = 0; i < count; i++) {
    const t0 = source.monotonic();
    try {
      const server = await source.fetchServerMs();
      samples.push({ t0, t1: source.monotonic(), server });
    } catch (e) {
      lastError = e;
    }
  }
  if (samples.length === 0) throw lastError instanceof Error ? lastError : new Error("no clock sample");
  return samples;
}

export function serverNowFrom(estimate: OffsetEstimate, monotonicMs: number): number {
  return monotonicMs + estimate.offsetMs;
}
