import { Transform, type TransformCallback } from 'node:stream';

/**
 * The streaming shell shared by the metadata strippers: incoming chunks are appended to `buf`,
 * `process()` passes through what it can decide on and keeps the undecided tail in `buf`, and the
 * stream fails if it ends before the format's end marker.
 */
export abstract class BufferedStripper extends Transform {
  protected buf: Buffer = Buffer.alloc(0);

  constructor(private readonly truncatedMessage: string) {
    super();
  }

  /** The end marker was seen: anything after it is ignored. */
  protected abstract finished(): boolean;
  protected abstract process(): void;

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    if (this.finished()) {
      done();
      return;
    }
    this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
    try {
      this.process();
      done();
    } catch (err) {
      done(err as Error);
    }
  }

  override _flush(done: TransformCallback): void {
    done(this.finished() ? null : new Error(this.truncatedMessage));
  }
}
