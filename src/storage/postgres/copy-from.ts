/**
 * COPY ... FROM STDIN with `pg` alone (no pg-copy-streams): `client.query()` accepts any "Submittable"
 * (an object with `submit(connection)`); the client then forwards protocol events to it. After the simple
 * Query message, the server answers CopyInResponse; we send CopyData messages and CopyDone, then receive
 * CommandComplete ("COPY n") and ReadyForQuery (protocol: "COPY Operations", PostgreSQL docs 55.2.6).
 */
import type pg from 'pg';

interface Connection {
  query(text: string): void;
  sendCopyFromChunk(chunk: Buffer): boolean | undefined;
  endCopyFrom(): void;
  stream: NodeJS.WritableStream;
}

/** Largest CopyData message we send; the server accepts any size, smaller keeps socket writes steady. */
const CHUNK = 256 * 1024;

class CopyFromSubmittable {
  private error: Error | null = null;
  private rowCount = 0;
  readonly done: Promise<number>;
  private resolve!: (n: number) => void;
  private reject!: (e: Error) => void;

  constructor(
    private readonly text: string,
    private readonly data: readonly Uint8Array[],
  ) {
    this.done = new Promise<number>((res, rej) => {
      this.resolve = res;
      this.reject = rej;
    });
  }

  submit(connection: Connection): void {
    connection.query(this.text);
  }

  handleCopyInResponse(connection: Connection): void {
    void this.send(connection);
  }

  private async send(connection: Connection): Promise<void> {
    for (const data of this.data) {
      // A view (pg copies what it sends): the chunk may live in a decode worker's shared ring.
      const bytes = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
      for (let off = 0; off < bytes.length; off += CHUNK) {
        if (this.error) return; // the server gave up on this COPY: stop sending.
        const ok = connection.sendCopyFromChunk(bytes.subarray(off, off + CHUNK));
        // Respect socket back-pressure so a large batch does not pile up in memory twice.
        if (ok === false) await new Promise((r) => connection.stream.once('drain', r));
      }
    }
    connection.endCopyFrom();
  }

  handleCommandComplete(msg: { text?: string }): void {
    const m = /^COPY (\d+)/.exec(msg.text ?? '');
    if (m) this.rowCount = Number(m[1]);
  }

  /**
   * Settles at once: pg detaches the active query before handing it a server error, so the ReadyForQuery
   * that follows never reaches us (the client still waits for it before the next query). The send loop
   * stops; CopyData the server receives after the error is dropped by protocol.
   */
  handleError(err: Error): void {
    this.error = err;
    this.reject(err);
  }

  handleReadyForQuery(): void {
    if (this.error) this.reject(this.error);
    else this.resolve(this.rowCount);
  }

  // Events a COPY FROM never produces; present because the client may call them on any active query.
  handleRowDescription(): void {}
  handleDataRow(): void {}
  handleEmptyQuery(): void {}
  handlePortalSuspended(): void {}
  handleCopyData(): void {}
}

/**
 * Run `COPY <target> FROM STDIN (FORMAT binary)` with an already encoded stream, given whole or as the
 * pieces it is made of, in order; resolves to the row count.
 */
export async function copyBinaryFrom(
  client: pg.ClientBase,
  target: string,
  data: Uint8Array | readonly Uint8Array[],
): Promise<number> {
  const sub = new CopyFromSubmittable(
    `COPY ${target} FROM STDIN (FORMAT binary)`,
    data instanceof Uint8Array ? [data] : data,
  );
  // biome-ignore lint/suspicious/noExplicitAny: pg's typings do not model Submittable.
  (client as any).query(sub);
  return sub.done;
}
