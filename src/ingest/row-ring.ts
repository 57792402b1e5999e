/**
 * A ring of shared memory per decode worker for its encoded rows, so they reach the receive thread without
 * a new buffer per message.
 *
 * Why: every transferred buffer becomes memory of the receive thread's heap, held there until its batch is
 * stored (up to a second and more). At 200 k flows/s that was ~26 MB/s of retained buffers, and V8 answered
 * with a full mark-compact of the receive thread's heap every ~200 ms (`--trace-gc`: 27 in 6 s, each ~15 ms
 * on the thread plus ~90 ms of helper threads). Rows in a ring the receive thread only reads are not its
 * allocations: the same 6 s run took 14 (serve with --trace-gc, gen at 200 k flows/s).
 *
 * The worker copies each message's rows into the ring (RingWriter.put) and sends where they are; the
 * receive thread claims each region in message order (RingReader.claim) and releases it once its batch is
 * stored or spooled. A full ring (a store slower than ingest, batches queued in memory) costs nothing but
 * the saving: the worker then transfers a buffer of its own as before.
 *
 * Positions are byte counters that only grow (a Number is exact to 2^53: 285 years at 1 GB/s); the ring
 * index is the counter modulo the size. A region never wraps: one that would is placed at the next turn,
 * and so is one that fits before everything in use (only the pages in use at once are ever touched).
 */

/**
 * Bytes of the rings of all workers together, split evenly (the workers share the load): room for a full
 * batch (500 k rows, ~165 MB) while the previous one inserts. Measured at 200 k flows/s with one worker
 * (bench e2e/serve-lossless, interleaved runs): 96 MB left part of each batch to transferred buffers, 5.8-6.4
 * CPU-s per million flows; 256 MB, 5.2-5.8; no ring, 6.6.
 */
export const RINGS_BYTES = 256 * 1024 * 1024;

export function ringBytesPerWorker(workers: number): number {
  return Math.floor(RINGS_BYTES / Math.max(1, workers));
}

/** The shared memory of one ring: its bytes, and the release counter the receive thread advances. */
export interface RingMemory {
  data: SharedArrayBuffer;
  /** BigInt64 slot 0: every byte before it has been released (Atomics: the worker overwrites what the
   * receive thread has finished reading, so the release must be ordered after those reads). */
  released: SharedArrayBuffer;
}

export function createRing(bytes: number): RingMemory {
  return { data: new SharedArrayBuffer(bytes), released: new SharedArrayBuffer(8) };
}

/** Where a message's rows are in the ring: bytes [start, end) as counters. */
export interface RingRegion {
  start: number;
  end: number;
}

/** The worker's side: copies rows in behind what the receive thread has not released yet. */
export class RingWriter {
  private readonly bytes: Uint8Array;
  private readonly released: BigInt64Array;
  private head = 0;

  constructor(mem: RingMemory) {
    this.bytes = new Uint8Array(mem.data);
    this.released = new BigInt64Array(mem.released);
  }

  /** Copies `rows` in; null when the ring has no room for them (the caller transfers them instead). */
  put(rows: Uint8Array): RingRegion | null {
    const size = this.bytes.length;
    const n = rows.length;
    const released = Number(Atomics.load(this.released, 0));
    const at = this.head % size;
    let start = this.head;
    // Back to the ring's beginning whenever it is free (everything in use lies between it and the head),
    // so only as many pages are ever touched as are in use at once: a quiet site's ring stays small in
    // memory. And a region that would cross the end starts at the next turn.
    if (n <= at - (this.head - released) || at + n > size) start += size - at;
    if (start + n - released > size) return null;
    this.bytes.set(rows, start % size);
    this.head = start + n;
    return { start, end: start + n };
  }
}

/** The receive thread's side: regions released in any order, freed in ring order. */
export class RingReader {
  private readonly released: BigInt64Array;
  /** Claimed regions not yet freed, oldest first, with whether each has been released. */
  private readonly regions: { end: number; done: boolean }[] = [];

  constructor(mem: RingMemory) {
    this.released = new BigInt64Array(mem.released);
  }

  /**
   * The function that releases the region (its bytes stay valid until then). Regions must be claimed in
   * the order the worker put them (its messages arrive in that order).
   */
  claim(r: RingRegion): () => void {
    const entry = { end: r.end, done: false };
    this.regions.push(entry);
    return () => {
      if (entry.done) return;
      entry.done = true;
      let freed = -1;
      while (this.regions.length && this.regions[0].done) freed = this.regions.shift()!.end;
      if (freed >= 0) Atomics.store(this.released, 0, BigInt(freed));
    };
  }
}

/**
 * Who still reads a region: the batch holding it until its rows are stored or copied into the spool, and
 * every insert the store may still be running over it (one the writer stopped waiting for included). The
 * region is freed when neither is left, never earlier: the worker may overwrite it at once.
 */
export class RegionLease {
  private readers = 0;
  private finished = false;
  private freed = false;

  constructor(private readonly free: () => void) {}

  /** An insert starts reading the bytes; call the returned function when it settles. */
  read(): () => void {
    this.readers++;
    let ended = false;
    return () => {
      if (ended) return;
      ended = true;
      this.readers--;
      this.freeIfUnused();
    };
  }

  /** The batch is done with the bytes (stored, or copied into the spool). */
  finish(): void {
    this.finished = true;
    this.freeIfUnused();
  }

  private freeIfUnused(): void {
    if (this.freed || !this.finished || this.readers > 0) return;
    this.freed = true;
    this.free();
  }
}
