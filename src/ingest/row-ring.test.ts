import { describe, expect, it } from 'vitest';
import { createRing, RegionLease, RingReader, type RingRegion, RingWriter } from './row-ring.js';

/** A small deterministic PRNG (the test must replay the same way). */
function prng(seed: number): () => number {
  let s = seed;
  return () => {
    s = (s * 1_103_515_245 + 12_345) % 2_147_483_648;
    return s / 2_147_483_648;
  };
}

describe('row ring', () => {
  it('never overwrites an unreleased region and refuses only when there is no room (random puts and releases)', () => {
    for (const seed of [1, 2, 3, 4, 5]) {
      const rand = prng(seed);
      const SIZE = 1000;
      const mem = createRing(SIZE);
      const writer = new RingWriter(mem);
      const reader = new RingReader(mem);
      const bytes = new Uint8Array(mem.data);
      const live: { region: RingRegion; fill: number; release: () => void }[] = [];
      // The model: bytes [freedUpTo, head) are in use, freed in ring order as releases allow.
      let head = 0;
      const released = new Set<number>();
      const order: RingRegion[] = [];
      let freedUpTo = 0;
      let refusals = 0;
      for (let step = 0; step < 3000; step++) {
        if (rand() < 0.55) {
          const n = 1 + Math.floor(rand() * 300);
          const fill = step % 251;
          const region = writer.put(new Uint8Array(n).fill(fill));
          // Where it may go: at the head unless that crosses the end, or at the next turn's start; each
          // only inside the free window [freedUpTo, freedUpTo + SIZE).
          const at = head % SIZE;
          const turn = head + SIZE - at;
          const fitsAtHead = at + n <= SIZE && head + n - freedUpTo <= SIZE;
          const fitsAtTurn = turn + n - freedUpTo <= SIZE;
          expect(region !== null).toBe(fitsAtHead || fitsAtTurn);
          if (region === null) {
            refusals++;
            continue;
          }
          expect(region.end - region.start).toBe(n);
          expect([head, turn]).toContain(region.start);
          expect(region.end - freedUpTo).toBeLessThanOrEqual(SIZE);
          head = region.end;
          order.push(region);
          live.push({ region, fill, release: reader.claim(region) });
        } else if (live.length) {
          const i = Math.floor(rand() * live.length);
          const [x] = live.splice(i, 1);
          // Its bytes are still exactly what was put: nothing wrote over them while it was claimed.
          const at = x.region.start % SIZE;
          const got = bytes.subarray(at, at + x.region.end - x.region.start);
          expect(got.every((b) => b === x.fill)).toBe(true);
          x.release();
          x.release(); // idempotent
          released.add(x.region.start);
          while (order.length && released.has(order[0].start)) freedUpTo = order.shift()!.end;
        }
      }
      expect(refusals).toBeGreaterThan(0);
      for (const x of live) x.release();
      // Everything released: the larger of the rest of this turn and what the next turn holds before it.
      const at = head % SIZE;
      expect(writer.put(new Uint8Array(Math.max(SIZE - at, at)))).not.toBeNull();
    }
  });

  it('touches only as much of the ring as is in use at once (a quiet site keeps it small)', () => {
    const SIZE = 1 << 20;
    const mem = createRing(SIZE);
    const writer = new RingWriter(mem);
    const reader = new RingReader(mem);
    const pending: (() => void)[] = [];
    let highest = 0;
    for (let i = 0; i < 10_000; i++) {
      const region = writer.put(new Uint8Array(100))!;
      highest = Math.max(highest, (region.start % SIZE) + 100);
      pending.push(reader.claim(region));
      if (pending.length > 3) pending.shift()!();
    }
    expect(highest).toBeLessThanOrEqual(8 * 100);
  });

  it('a lease frees its region once, after the batch finished and every insert reading it settled', () => {
    for (const finishAt of [0, 1, 2]) {
      let freed = 0;
      const lease = new RegionLease(() => freed++);
      const endA = lease.read();
      const endB = lease.read();
      const steps = [() => endA(), () => endB()];
      steps.splice(finishAt, 0, () => lease.finish());
      for (const [i, step] of steps.entries()) {
        step();
        expect(freed).toBe(i === steps.length - 1 ? 1 : 0);
      }
      endA();
      lease.finish();
      expect(freed).toBe(1);
    }
  });
});
