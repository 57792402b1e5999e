/** Where a command writes; the real process streams in main.ts, captured buffers in tests. */
export interface CliIO {
  stdout: WritableLike;
  stderr: WritableLike;
  setExitCode(code: number): void;
}

export interface WritableLike {
  write(chunk: string): boolean;
  once?(event: 'drain', cb: () => void): unknown;
}

const BATCH = 64 * 1024;

/**
 * Batches output lines into large writes (one write per ~64 KiB instead of one per record) and waits for
 * 'drain' when the stream is full, so decoding a large capture into a pipe stays fast and bounded.
 */
export class OutputBatcher {
  private parts: string[] = [];
  private size = 0;

  constructor(private readonly stream: WritableLike) {}

  get pending(): boolean {
    return this.size >= BATCH;
  }

  line(s: string): void {
    this.parts.push(s);
    this.size += s.length + 1;
  }

  async flushIfFull(): Promise<void> {
    if (this.size >= BATCH) await this.flush();
  }

  async flush(): Promise<void> {
    if (this.parts.length === 0) return;
    const text = `${this.parts.join('\n')}\n`;
    this.parts = [];
    this.size = 0;
    if (!this.stream.write(text) && this.stream.once) {
      await new Promise<void>((resolve) => this.stream.once?.('drain', resolve));
    }
  }
}
