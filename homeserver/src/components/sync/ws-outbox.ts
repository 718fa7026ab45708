import type { WebSocket } from 'ws';

/**
 * Frames of a large wave of pushes (one message to thousands of connections), sent together at
 * the end of the event loop's turn instead of one write between every two syncs. On loopback and
 * on a busy host a write costs less when the writes come together: the kernel's work and the
 * reader's wake-ups are shared. A connection's frames keep their order: once one of its frames
 * waits here, its next ones wait too.
 */
export class FrameOutbox {
  private frames: Array<{ ws: WebSocket; text: string }> = [];
  private readonly waiting = new WeakSet<WebSocket>();

  constructor(
    private readonly maxBufferedBytes: number,
    private readonly tooSlow: (ws: WebSocket) => void,
  ) {}

  /** Whether a frame of `ws` waits here: its next frame must come after it. */
  holds(ws: WebSocket): boolean {
    return this.waiting.has(ws);
  }

  add(ws: WebSocket, text: string): void {
    if (this.frames.length === 0) setImmediate(() => this.flush());
    this.frames.push({ ws, text });
    this.waiting.add(ws);
  }

  private flush(): void {
    const frames = this.frames;
    this.frames = [];
    for (const { ws, text } of frames) {
      this.waiting.delete(ws);
      if (ws.readyState !== ws.OPEN) continue;
      try {
        ws.send(text);
      } catch {
        // Outside any request: a socket that fails here is dropped, not the rest of the wave.
        ws.terminate();
        continue;
      }
      if (ws.bufferedAmount > this.maxBufferedBytes) this.tooSlow(ws);
    }
  }
}
