/** The input is not the multipart body it claims to be (or it ended early). */
export class MultipartError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MultipartError';
  }
}

export interface MultipartPart {
  /** Header names lower-cased, values trimmed (latin1, as on the wire). */
  headers: Map<string, string>;
  /**
   * The part's bytes as they arrive; throws MultipartError if the input ends before the next
   * boundary. Read it before asking for the next part (whatever is left unread is skipped then).
   */
  body: AsyncIterable<Buffer>;
}

export interface MultipartLimits {
  /** The header block of one part. */
  maxHeaderBytes: number;
  /** Bytes before the first boundary (and after the last one, when draining). */
  maxPreambleBytes: number;
}

const DEFAULT_LIMITS: MultipartLimits = { maxHeaderBytes: 16 * 1024, maxPreambleBytes: 16 * 1024 };
const CRLF = Buffer.from('\r\n', 'latin1');
const HEADER_END = Buffer.from('\r\n\r\n', 'latin1');

type State = 'preamble' | 'part' | 'between' | 'done';

/**
 * A streaming RFC 2046 multipart reader: parts come one at a time, their bodies as they arrive,
 * so a large part is never held in memory. At most one chunk plus a boundary's length is buffered.
 * Strict where it matters: a delimiter must be followed by `--` or a line break, part headers are
 * bounded, and input that ends inside a part is an error, never a silently short body.
 */
export class MultipartReader {
  private readonly source: AsyncIterator<Uint8Array>;
  /** CRLF "--" boundary: every delimiter, the first included (see the constructor). */
  private readonly delimiter: Buffer;
  private readonly limits: MultipartLimits;
  // The first delimiter may open the body with no line break before it: pretending one was there
  // lets a single search find every delimiter.
  private buf: Buffer = CRLF;
  private ended = false;
  private state: State = 'preamble';

  constructor(source: AsyncIterable<Uint8Array>, boundary: string, limits: Partial<MultipartLimits> = {}) {
    if (boundary === '' || boundary.length > 70) throw new MultipartError('invalid boundary');
    this.source = source[Symbol.asyncIterator]();
    this.delimiter = Buffer.from(`\r\n--${boundary}`, 'latin1');
    this.limits = { ...DEFAULT_LIMITS, ...limits };
  }

  /** The next part, or undefined after the closing delimiter. */
  async nextPart(): Promise<MultipartPart | undefined> {
    if (this.state === 'part') {
      const rest = this.readBody();
      while (!(await rest.next()).done);
    }
    if (this.state === 'preamble') await this.skipPreamble();
    if (this.state === 'done') return undefined;

    // Right after a delimiter: "--" closes the body; otherwise optional padding, then CRLF.
    while (this.buf.length < 2) if (!(await this.more())) throw new MultipartError('the body ended after a boundary');
    if (this.buf[0] === 0x2d && this.buf[1] === 0x2d) {
      this.buf = this.buf.subarray(2);
      this.state = 'done';
      return undefined;
    }
    const lineEnd = await this.find(CRLF, 0, 'boundary line');
    if (!/^[ \t]*$/.test(this.buf.subarray(0, lineEnd).toString('latin1'))) throw new MultipartError('unexpected characters after a boundary');
    // The header block ends with an empty line; with no headers that is the boundary line's own CRLF.
    const headerEnd = await this.find(HEADER_END, lineEnd, 'part headers');
    const headers = parseHeaders(headerEnd > lineEnd ? this.buf.subarray(lineEnd + 2, headerEnd).toString('latin1') : '');
    this.buf = this.buf.subarray(headerEnd + 4);
    this.state = 'part';
    return { headers, body: this.readBody() };
  }

  /**
   * After the closing delimiter: reads what is left (the epilogue) up to the preamble limit, so
   * the connection it came on can be reused. False when more remains.
   */
  async drain(): Promise<boolean> {
    if (this.state !== 'done') return false;
    let size = this.buf.length;
    this.buf = Buffer.alloc(0);
    while (size <= this.limits.maxPreambleBytes) {
      const r = await this.source.next();
      if (r.done) {
        this.ended = true;
        return true;
      }
      size += r.value.byteLength;
    }
    return false;
  }

  private async *readBody(): AsyncGenerator<Buffer> {
    // Bytes that could be the start of a delimiter split across chunks stay buffered.
    const keep = this.delimiter.length - 1;
    for (;;) {
      const i = this.buf.indexOf(this.delimiter);
      if (i >= 0) {
        const last = this.buf.subarray(0, i);
        this.buf = this.buf.subarray(i + this.delimiter.length);
        this.state = 'between';
        if (last.length > 0) yield last;
        return;
      }
      if (this.buf.length > keep) {
        const out = this.buf.subarray(0, this.buf.length - keep);
        this.buf = this.buf.subarray(this.buf.length - keep);
        yield out;
      }
      if (!(await this.more())) throw new MultipartError('the body ended inside a part');
    }
  }

  private async skipPreamble(): Promise<void> {
    const keep = this.delimiter.length - 1;
    let skipped = 0;
    for (;;) {
      const i = this.buf.indexOf(this.delimiter);
      if (i >= 0) {
        this.buf = this.buf.subarray(i + this.delimiter.length);
        this.state = 'between';
        return;
      }
      if (this.buf.length > keep) {
        skipped += this.buf.length - keep;
        this.buf = this.buf.subarray(this.buf.length - keep);
      }
      if (skipped > this.limits.maxPreambleBytes) throw new MultipartError('no boundary at the start of the body');
      if (!(await this.more())) throw new MultipartError('no boundary in the body');
    }
  }

  /** Where `needle` starts at or after `from` in the buffer, reading more as needed (bounded). */
  private async find(needle: Buffer, from: number, what: string): Promise<number> {
    for (;;) {
      const i = this.buf.indexOf(needle, from);
      if (i >= 0 && i <= this.limits.maxHeaderBytes) return i;
      if (this.buf.length > this.limits.maxHeaderBytes + needle.length) throw new MultipartError(`${what} too long`);
      if (!(await this.more())) throw new MultipartError(`the body ended inside the ${what}`);
    }
  }

  private async more(): Promise<boolean> {
    if (this.ended) return false;
    const r = await this.source.next();
    if (r.done) {
      this.ended = true;
      return false;
    }
    const chunk = Buffer.isBuffer(r.value) ? r.value : Buffer.from(r.value.buffer, r.value.byteOffset, r.value.byteLength);
    this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
    return true;
  }
}

const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

function parseHeaders(block: string): Map<string, string> {
  const headers = new Map<string, string>();
  if (block === '') return headers;
  let last: string | undefined;
  for (const line of block.split('\r\n')) {
    if (/[\r\n\0]/.test(line)) throw new MultipartError('stray line break in part headers');
    // Obsolete line folding: the line continues the previous header's value.
    if ((line.startsWith(' ') || line.startsWith('\t')) && last !== undefined) {
      headers.set(last, `${headers.get(last)!} ${line.trim()}`.trim());
      continue;
    }
    const colon = line.indexOf(':');
    const name = colon > 0 ? line.slice(0, colon).toLowerCase() : '';
    if (!HEADER_NAME.test(name)) throw new MultipartError('malformed part header');
    // Two Content-Types (or Locations) leave no right answer.
    if (headers.has(name)) throw new MultipartError(`repeated part header ${name}`);
    headers.set(name, line.slice(colon + 1).trim());
    last = name;
  }
  return headers;
}
