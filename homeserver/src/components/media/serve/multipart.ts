import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';

/**
 * The federation media answer (RFC 2046 multipart/mixed): a JSON metadata part (an empty object
 * for now, as the spec says), then the content with its own Content-Type and Content-Disposition.
 * The content streams through; nothing is buffered whole.
 */
export function multipartMixed(content: Readable, headers: { contentType: string; contentDisposition: string }): { contentType: string; body: Readable } {
  // 32 random hex characters cannot plausibly occur in the content as a delimiter line.
  const boundary = randomBytes(16).toString('hex');
  const head =
    `--${boundary}\r\nContent-Type: application/json\r\n\r\n{}\r\n` +
    `--${boundary}\r\nContent-Type: ${headers.contentType}\r\nContent-Disposition: ${headers.contentDisposition}\r\n\r\n`;
  const tail = `\r\n--${boundary}--\r\n`;
  async function* parts(): AsyncGenerator<Buffer> {
    yield Buffer.from(head, 'latin1');
    for await (const chunk of content) yield chunk as Buffer;
    yield Buffer.from(tail, 'latin1');
  }
  const body = Readable.from(parts(), { objectMode: false });
  body.once('close', () => content.destroy());
  return { contentType: `multipart/mixed; boundary=${boundary}`, body };
}
