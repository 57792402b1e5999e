/**
 * A set of numbers (window or day starts) kept in a store setting as a JSON array, so work a process noted
 * in memory survives a restart: the late windows the aggregation still owes, the days discovery must
 * examine again. Memory answers at once; the stored copy is loaded when the set is made (merged into what
 * was noted meanwhile) and written after each change, one write at a time, the newest state last.
 */
/** The store's settings, as far as the set needs them (FlowStore has both). */
export interface SettingsAccess {
  getSetting(key: string): Promise<string | null>;
  putSetting(key: string, value: string): Promise<void>;
}

export class StoredNumberSet {
  private readonly values = new Set<number>();
  private writes: Promise<void>;
  private dirty = false;
  /** Whether the stored copy was read: never written before, or the last process's values are lost. */
  private loaded = false;

  constructor(
    private readonly store: SettingsAccess,
    private readonly key: string,
    /** At most this many values; beyond it the smallest (oldest) are dropped. */
    private readonly max: number,
  ) {
    this.writes = this.load();
  }

  /** Reads the stored copy into memory once; a failure (the store is down) is retried by the next call. */
  private async load(): Promise<void> {
    if (this.loaded) return;
    let text: string | null;
    try {
      text = await this.store.getSetting(this.key);
    } catch {
      return;
    }
    this.loaded = true;
    if (text === null) return;
    let stored: unknown;
    try {
      stored = JSON.parse(text);
    } catch {
      this.dirty = true; // unreadable: replaced by the next write
      return;
    }
    if (Array.isArray(stored)) for (const v of stored) if (Number.isSafeInteger(v)) this.add(v);
  }

  has(v: number): boolean {
    return this.values.has(v);
  }

  get size(): number {
    return this.values.size;
  }

  /** Adds a value (dropping the smallest beyond `max`); true when the set changed. */
  add(v: number): boolean {
    if (this.values.has(v)) return false;
    if (this.values.size >= this.max) this.values.delete(Math.min(...this.values));
    this.values.add(v);
    this.dirty = true;
    return true;
  }

  delete(v: number): void {
    if (this.values.delete(v)) this.dirty = true;
  }

  sorted(): number[] {
    return [...this.values].sort((a, b) => a - b);
  }

  /** Waits for the stored copy to be read (retrying a failed read) and for the writes before. */
  ready(): Promise<void> {
    this.writes = this.writes.then(() => this.load());
    return this.writes;
  }

  /**
   * Writes the set when it changed since the last write, one write at a time, never before the stored
   * copy was read (it would replace values a previous process left). A failed write or read leaves the set
   * changed, so the next save retries; memory stays right either way.
   */
  save(): Promise<void> {
    this.writes = this.writes.then(async () => {
      await this.load();
      if (!this.dirty || !this.loaded) return;
      this.dirty = false;
      try {
        await this.store.putSetting(this.key, JSON.stringify(this.sorted()));
      } catch {
        this.dirty = true;
      }
    });
    return this.writes;
  }
}
