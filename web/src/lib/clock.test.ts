import { describe, expect, it } from "vitest";
import { estimateOffset, sampleClock, serverNowFrom, type ClockSample } from "./clock";

/** A sample as a real exchange would produce it: the server stamps after `up` ms. */
function exchange(trueOffset: number, t0: number, up: number, down: number): ClockSample {
  return { t0, t1: t0 + up + down, server: t0 + up + trueOffset };
}

describe("estimateOffset", () => {
  it("keeps the lowest-RTT sample and corrects by half its round trip", () => {
    const offset = 1_700_000_000_000;
    const samples = [exchange(offset, 0, 40, 10), exchange(offset, 100, 3, 3), exchange(offset, 200, 5, 60)];
    const e = estimateOffset(samples)!;
    expect(e.rttMs).toBe(6);
    expect(e.offsetMs).toBe(offset);
    expect(e.uncertaintyMs).toBe(4);
  });

  it("stays within its stated uncertainty for asymmetric legs", () => {
    const offset = -12_345.5;
    for (const [up, down] of [[1, 30], [30, 1], [0, 8], [8, 0], [2, 2]] as const) {
      const e = estimateOffset([exchange(offset, 1000, up, down), exchange(offset, 2000, up + 50, down + 50)])!;
      expect(e.rttMs).toBe(up + down);
      expect(Math.abs(e.offsetMs - offset)).toBeLessThanOrEqual(e.uncertaintyMs);
      // The error is exactly half the asymmetry: the bound is tight, not merely loose.
      expect(Math.abs(e.offsetMs - offset)).toBeCloseTo(Math.abs(up - down) / 2);
    }
  });

  it("ignores impossible samples and returns null without any", () => {
    expect(estimateOffset([])).toBeNull();
    expect(estimateOffset([{ t0: 10, t1: 5, server: 1 }, { t0: 0, t1: 1, server: Number.NaN }])).toBeNull();
  });
});

describe("sampleClock", () => {
  it("is immune to a jumping wall clock: only the monotonic clock and the server count", async () => {
    let mono = 5_000;
    let wall = Date.UTC(2026, 0, 1);
    const trueOffset = Date.UTC(2026, 5, 1) - 5_000; // server epoch = mono + trueOffset
    const source = {
      monotonic: () => mono,
      fetchServerMs: () => {
        mono += 2; // request leg
        wall += 3_600_000; // the user's clock jumps an hour forward in the middle of it
        const stamp = mono + trueOffset;
        mono += 2; // answer leg
        return Promise.resolve(stamp);
      },
    };
    const e = estimateOffset(await sampleClock(source, 3))!;
    expect(serverNowFrom(e, mono)).toBe(mono + trueOffset);
    wall -= 7 * 3_600_000; // and back, far into the past
    mono += 1_000;
    expect(serverNowFrom(e, mono)).toBe(mono + trueOffset);
    expect(wall).not.toBe(serverNowFrom(e, mono));
  });

  it("keeps the samples that succeeded and fails only when all failed", async () => {
    let n = 0;
    let mono = 0;
    const source = {
      monotonic: () => (mono += 1),
      fetchServerMs: () => (n++ % 2 === 0 ? Promise.reject(new Error("network")) : Promise.resolve(42)),
    };
    expect(await sampleClock(source, 4)).toHaveLength(2);
    await expect(sampleClock({ monotonic: () => 0, fetchServerMs: () => Promise.reject(new Error("down")) }, 3)).rejects.toThrow("down");
  });
});
