import net from 'node:net';

/**
 * One keep-alive HTTP/1.1 connection that carries one GET at a time: the fan-out bench's
 * long-poll receivers. A hundred undici clients in the bench's own process took a whole core at
 * 20,000 responses a second, and with a server that does no work at all (trivial-longpoll.ts)
 * their p99 was 23-29 ms: the measuring, not the server, set the figure. This reads the status
 * line and content-length and nothing else, which is all the Matrix responses it reads need.
 */
export class LeanConnection {
  private readonly socket: net.Socket;
  private buffer: Buffer = Buffer.alloc(0);
  private pending: { resolve: (r: { status: number; text: string }) => void; reject: (e: Error) => void } | undefined;
  private closed = false;

  constructor(private readonly host: string, private readonly port: number) {
    this.socket = net.connect(port, host);
    this.socket.setNoDelay(true);
    this.socket.on('data', (chunk: Buffer) => this.onData(chunk));
    const fail = (e: Error): void => {
      this.closed = true;
      const p = this.pending;
      this.pending = undefined;
      p?.reject(e);
    };
    this.socket.on('error', fail);
    this.socket.on('close', () => fail(new Error('connection closed')));
  }

  get usable(): boolean {
    return !this.closed;
  }

  get(path: string, headers: Record<string, string>): Promise<{ status: number; text: string }> {
    if (this.pending) return Promise.reject(new Error('one request at a time'));
    if (this.closed) return Promise.reject(new Error('connection closed'));
    return new Promise((resolve, reject) => {
      this.pending = { resolve, reject };
      let head = `GET ${path} HTTP/1.1\r\nhost: ${this.host}:${this.port}\r\n`;
      for (const [k, v] of Object.entries(headers)) head += `${k}: ${v}\r\n`;
      this.socket.write(`${head}\r\n`);
    });
  }

  close(): void {
    this.socket.destroy();
  }

  private onData(chunk: Buffer): void {
    this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
    const end = this.buffer.indexOf('\r\n\r\n');
    if (end < 0 || !this.pending) return;
    const head = this.buffer.toString('latin1', 0, end);
    const length = /\r\ncontent-length: *(\d+)/i.exec(head);
    if (!length) {
      // Matrix JSON answers carry their length; anything else is a bench error, said loudly.
      this.socket.destroy(new Error(`response without content-length: ${head.split('\r\n')[0]}`));
      return;
    }
    const bodyEnd = end + 4 + Number(length[1]);
    if (this.buffer.length < bodyEnd) return;
    const status = Number(head.slice(9, 12));
    const text = this.buffer.toString('utf8', end + 4, bodyEnd);
    this.buffer = this.buffer.subarray(bodyEnd);
    const p = this.pending;
    this.pending = undefined;
    p.resolve({ status, text });
  }
}
