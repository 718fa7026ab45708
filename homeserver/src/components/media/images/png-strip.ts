import { BufferedStripper } from './buffered-stripper.js';

const SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
/** EXIF, the three text chunk kinds (XMP travels in iTXt) and the modification time. */
const DROPPED = new Set(['eXIf', 'tEXt', 'zTXt', 'iTXt', 'tIME']);

/**
 * Removes metadata chunks from a PNG (or APNG) without touching the pixels; every other chunk is
 * copied as it is, so large image data streams through without being buffered. Trailing bytes
 * after IEND are dropped.
 */
export class PngMetadataStripper extends BufferedStripper {
  constructor() {
    super('PNG ended before its IEND chunk');
  }

  private state: 'signature' | 'header' | 'body' | 'done' = 'signature';
  /** Bytes of the current chunk (data + CRC) still to copy or skip. */
  private remaining = 0;
  private keep = true;
  private last = false;

  protected finished(): boolean {
    return this.state === 'done';
  }

  protected process(): void {
    let i = 0;
    const b = this.buf;
    while (i < b.length && this.state !== 'done') {
      if (this.state === 'signature') {
        if (b.length < 8) break;
        if (!b.subarray(0, 8).equals(SIGNATURE)) throw new Error('not a PNG: bad signature');
        this.push(b.subarray(0, 8));
        i = 8;
        this.state = 'header';
      } else if (this.state === 'header') {
        if (b.length - i < 8) break;
        const length = b.readUInt32BE(i);
        if (length > 0x7fffffff) throw new Error('PNG chunk too long');
        const type = b.toString('latin1', i + 4, i + 8);
        this.keep = !DROPPED.has(type);
        this.last = type === 'IEND';
        if (this.keep) this.push(b.subarray(i, i + 8));
        this.remaining = length + 4;
        i += 8;
        this.state = 'body';
      } else {
        const n = Math.min(this.remaining, b.length - i);
        if (this.keep && n > 0) this.push(b.subarray(i, i + n));
        i += n;
        this.remaining -= n;
        if (this.remaining === 0) this.state = this.last ? 'done' : 'header';
      }
    }
    this.buf = this.state === 'done' ? Buffer.alloc(0) : Buffer.from(b.subarray(i));
  }
}
