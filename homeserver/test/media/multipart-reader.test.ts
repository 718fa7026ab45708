import test, { type ExecutionContext } from 'ava';
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { dispositionFilename, multipartBoundary, safeMediaType } from '../../src/components/media/remote/header-params.js';
import { MultipartError, MultipartReader } from '../../src/components/media/remote/multipart-reader.js';
import { multipartMixed } from '../../src/components/media/serve/multipart.js';

/** `data` cut into pieces of the given sizes (the last piece takes the rest). */
function chunked(data: Buffer, sizes: number[]): Buffer[] {
  const out: Buffer[] = [];
  let pos = 0;
  for (const size of sizes) {
    if (pos >= data.length) break;
    out.push(data.subarray(pos, pos + size));
    pos += size;
  }
  if (pos < data.length) out.push(data.subarray(pos));
  return out;
}

function everyNBytes(data: Buffer, n: number): Buffer[] {
  return chunked(data, Array.from({ length: Math.ceil(data.length / n) }, () => n));
}

async function* source(chunks: Buffer[]): AsyncGenerator<Buffer> {
  for (const c of chunks) yield c;
}

async function readParts(reader: MultipartReader): Promise<Array<{ headers: Record<string, string>; body: Buffer }>> {
  const parts = [];
  for (let part = await reader.nextPart(); part; part = await reader.nextPart()) {
    const chunks: Buffer[] = [];
    for await (const c of part.body) chunks.push(c);
    parts.push({ headers: Object.fromEntries(part.headers), body: Buffer.concat(chunks) });
  }
  return parts;
}

const B = 'b0undary';
const wire = (s: string): Buffer => Buffer.from(s.replace(/\n/g, '\r\n'), 'latin1');

test('reads what our multipart/mixed writer produces, however the bytes are chunked', async (t) => {
  // Content full of near-delimiters: CRLF and dashes, and the boundary without the CRLF before it.
  const content = Buffer.concat([randomBytes(3000), Buffer.from('\r\n-\r\n--\r\n--x'), randomBytes(100)]);
  const { contentType, body } = multipartMixed(Readable.from([content]), { contentType: 'application/pdf', contentDisposition: 'attachment; filename="a.pdf"' });
  const boundary = multipartBoundary(contentType)!;
  t.regex(boundary, /^[0-9a-f]{32}$/);
  const whole = await buffer(body);
  const trap = Buffer.concat([content, Buffer.from(`\r\n-${boundary}`), Buffer.from(`--${boundary}`)]);
  const at = whole.indexOf(content);
  const trapped = Buffer.concat([whole.subarray(0, at), trap, whole.subarray(at + content.length)]);
  for (const n of [1, 2, 3, 7, 31, 35, 36, 37, 4096, whole.length]) {
    const parts = await readParts(new MultipartReader(source(everyNBytes(trapped, n)), boundary));
    t.is(parts.length, 2, `chunks of ${n}`);
    t.deepEqual(parts[0]!.headers, { 'content-type': 'application/json' });
    t.is(parts[0]!.body.toString(), '{}');
    t.deepEqual(parts[1]!.headers, { 'content-type': 'application/pdf', 'content-disposition': 'attachment; filename="a.pdf"' });
    t.true(parts[1]!.body.equals(trap), `content intact with chunks of ${n}`);
  }
});

test('a delimiter split across chunks at every position is still found', async (t) => {
  const data = wire(`--${B}\nContent-Type: text/plain\n\nhello\n--${B}\n\nworld\n--${B}--\n`);
  const delimiterAt = data.indexOf(`\r\n--${B}\r\n\r\nworld`);
  for (let cut = delimiterAt - 1; cut <= delimiterAt + B.length + 5; cut++) {
    const parts = await readParts(new MultipartReader(source([data.subarray(0, cut), data.subarray(cut)]), B));
    t.deepEqual(
      parts.map((p) => p.body.toString()),
      ['hello', 'world'],
      `cut at ${cut}`,
    );
  }
});

test('preamble, transport padding, a part without headers, folded headers and an epilogue', async (t) => {
  const data = wire(`This is the preamble.\n--${B}  \nContent-Type: application/json\nX-Long: one\n  two\n\n{"a":1}\n--${B}\n\n\n--${B}--\nepilogue`);
  const reader = new MultipartReader(source(everyNBytes(data, 5)), B);
  const parts = await readParts(reader);
  t.deepEqual(parts, [
    { headers: { 'content-type': 'application/json', 'x-long': 'one two' }, body: Buffer.from('{"a":1}') },
    { headers: {}, body: Buffer.alloc(0) },
  ]);
  t.true(await reader.drain(), 'a short epilogue is read to the end');
  t.is(await reader.nextPart(), undefined);
});

test('a Location part: headers and an empty body', async (t) => {
  const data = wire(`--${B}\nContent-Type: application/json\n\n{}\n--${B}\nLocation: https://cdn.example/file?sig=abc\n\n\n--${B}--\n`);
  const reader = new MultipartReader(source([data]), B);
  await reader.nextPart();
  const second = (await reader.nextPart())!;
  t.is(second.headers.get('location'), 'https://cdn.example/file?sig=abc');
  t.false(second.headers.has('content-type'));
  const chunks: Buffer[] = [];
  for await (const c of second.body) chunks.push(c);
  t.is(Buffer.concat(chunks).length, 0);
  t.is(await reader.nextPart(), undefined);
});

test('an unread body is skipped when the next part is asked for', async (t) => {
  const data = wire(`--${B}\nA: 1\n\n${'x'.repeat(10_000)}\n--${B}\nA: 2\n\nsecond\n--${B}--\n`);
  const reader = new MultipartReader(source(everyNBytes(data, 100)), B);
  t.is((await reader.nextPart())!.headers.get('a'), '1');
  const second = (await reader.nextPart())!;
  t.is(second.headers.get('a'), '2');
  const chunks: Buffer[] = [];
  for await (const c of second.body) chunks.push(c);
  t.is(Buffer.concat(chunks).toString(), 'second');
});

async function failure(t: ExecutionContext, data: Buffer, pattern: RegExp, limits = {}): Promise<void> {
  const reader = new MultipartReader(source(everyNBytes(data, 3)), B, limits);
  const err = await t.throwsAsync(readParts(reader), { instanceOf: MultipartError });
  t.regex(err!.message, pattern);
}

test('malformed input is an error, never a short body', async (t) => {
  await failure(t, wire(`--${B}\nContent-Type: text/plain\n\nthe connection dro`), /ended inside a part/);
  await failure(t, wire(`--${B}\nContent-Type: text/plain\n\nno closing\n--${B}`), /ended after a boundary/);
  await failure(t, wire('just some bytes, no boundary'), /no boundary/);
  await failure(t, wire(`--${B}junk\n\nx\n--${B}--`), /after a boundary/);
  await failure(t, wire(`--${B}\nno colon here\n\nx\n--${B}--`), /malformed part header/);
  await failure(t, wire(`--${B}\nContent-Type: a/b\nContent-Type: c/d\n\nx\n--${B}--`), /repeated part header/);
  await failure(t, wire(`--${B}\nX: ${'y'.repeat(500)}\n\nx\n--${B}--`), /too long/, { maxHeaderBytes: 100 });
  await failure(t, wire(`${'p'.repeat(500)}\n--${B}\n\nx\n--${B}--`), /no boundary at the start/, { maxPreambleBytes: 100 });
  await failure(t, wire(`--${B}\nContent-Type: text/plain`), /ended inside the/);
  // A bare LF ends no header line: it stays inside one, and is refused there.
  await failure(t, Buffer.from(`--${B}\r\nA: 1\nB: 2\r\n\r\nx\r\n--${B}--\r\n`, 'latin1'), /stray line break/);
  t.throws(() => new MultipartReader(source([]), ''), { instanceOf: MultipartError });
});

test('header parameters from remote servers', (t) => {
  t.is(multipartBoundary('multipart/mixed; boundary=abc123'), 'abc123');
  t.is(multipartBoundary('Multipart/Mixed;boundary="a b:c"'), 'a b:c');
  t.is(multipartBoundary('multipart/mixed; charset=utf-8; boundary="x"'), 'x');
  t.is(multipartBoundary('multipart/form-data; boundary=abc'), undefined);
  t.is(multipartBoundary('multipart/mixed'), undefined);
  t.is(multipartBoundary('multipart/mixed; boundary='), undefined);
  t.is(multipartBoundary(`multipart/mixed; boundary=${'a'.repeat(71)}`), undefined);
  t.is(multipartBoundary('multipart/mixed; boundary=a; boundary=b'), undefined, 'two boundaries: which one?');
  t.is(multipartBoundary(undefined), undefined);

  t.is(dispositionFilename('attachment; filename="report.pdf"'), 'report.pdf');
  t.is(dispositionFilename('inline; filename=plain.txt'), 'plain.txt');
  t.is(dispositionFilename(`attachment; filename="caf_.txt"; filename*=utf-8''caf%C3%A9.txt`), 'café.txt');
  t.is(dispositionFilename(`attachment; filename*=UTF-8''%E2%82%AC%20rates.txt`), '€ rates.txt');
  t.is(dispositionFilename(`attachment; filename*=iso-8859-1''caf%E9.txt`), 'café.txt');
  t.is(dispositionFilename('attachment; filename="a \\"quoted\\" name"'), 'a "quoted" name');
  t.is(dispositionFilename(`attachment; filename="fallback.txt"; filename*=utf-8''%FF%FE`), 'fallback.txt', 'undecodable filename* falls back');
  t.is(dispositionFilename('attachment; filename="tab\there"'), undefined, 'control characters are refused');
  t.is(dispositionFilename('attachment;'), undefined);
  t.is(dispositionFilename('inline'), undefined);
  t.is(dispositionFilename(undefined), undefined);

  t.is(safeMediaType('image/png'), 'image/png');
  t.is(safeMediaType('text/plain; charset=utf-8'), 'text/plain; charset=utf-8');
  t.is(safeMediaType('image/png\u0001'), undefined);
  t.is(safeMediaType('not a type'), undefined);
  t.is(safeMediaType('a/b/c'), undefined);
  t.is(safeMediaType('text/plain; ='), undefined);
  t.is(safeMediaType(''), undefined);
});
