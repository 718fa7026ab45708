import type http from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import type { Authenticate, Requester } from '../../http/auth.js';
import { MatrixError } from '../../http/errors.js';
import type { Logger } from '../../log/logger.js';
import { computeSync, currentPositions } from './compute.js';
import type { SyncDeps, SyncRequest } from './deps.js';
import { resolveSyncFilter, syncFilterSchema, type SyncFilter } from './filter.js';
import type { PresenceState } from './presence.js';
import { acknowledge } from './service.js';
import { formatSyncToken, parseSyncToken, type SyncPositions } from './token.js';
import type { Subscription } from './notifier.js';
import { validate } from '../../http/body.js';
import { stringifyWithRaw } from '../../util/raw-json.js';
import { FrameOutbox } from './ws-outbox.js';

export const WS_SYNC_PATH = '/_matrix/client/unstable/org.hearth.ws/sync';

/** Close codes: the 4xxx range is ours (RFC 6455 leaves it to applications). */
export const CLOSE = {
  badRequest: 4000,
  unauthorized: 4001,
  tooSlow: 4008,
  serverError: 4500,
  goingAway: 1001,
} as const;

export interface WsOptions {
  /** Bytes queued for one client before it counts as too slow and is dropped. */
  maxBufferedBytes: number;
  heartbeatMs: number;
  /** How long a connection may take to authenticate with its first message. */
  authTimeoutMs: number;
}

interface Start {
  access_token?: string;
  since?: string;
  filter?: string | Record<string, unknown>;
  set_presence?: PresenceState;
  use_state_after?: boolean;
}

/** How often a connection that receives nothing renews its user's presence. */
const PRESENCE_RENEW_MS = 60_000;
/** A connection renews its user's presence at most this often, however many pushes it makes. */
const PRESENCE_TOUCH_MS = 10_000;

/** A connection's reason to run again, remembered if it comes while the connection is busy. */
class Wakeup {
  private pending = false;
  private resolve: (() => void) | undefined;

  set(): void {
    this.pending = true;
    const resolve = this.resolve;
    this.resolve = undefined;
    resolve?.();
  }

  /** Forgets what woke it: the work about to start covers it. */
  take(): void {
    this.pending = false;
  }

  /** Resolves at once if set since the last take(), else at the next set(). */
  wait(): Promise<void> {
    if (this.pending) return Promise.resolve();
    return new Promise((resolve) => (this.resolve = resolve));
  }
}

function tokenFromRequest(req: http.IncomingMessage): string | undefined {
  const header = req.headers.authorization;
  const m = header ? /^Bearer\s+(\S+)$/i.exec(header) : null;
  if (m) return m[1];
  return new URL(req.url ?? '/', 'http://x').searchParams.get('access_token') ?? undefined;
}

/**
 * Sync over a WebSocket: after a start message (which may carry the token, `since`, `filter`,
 * `set_presence`, `use_state_after`), the server sends a /sync response each time something
 * changes, every one with its `next_batch`. The client may send `{"type":"ack","since":…}` to
 * confirm what it has processed. Slow readers are closed with 4008, never buffered without bound.
 */
export class WsSync {
  private readonly wss = new WebSocketServer({ noServer: true, maxPayload: 64 * 1024 });
  private readonly live = new Set<{ ws: WebSocket; abort: AbortController }>();
  private heartbeat: NodeJS.Timeout | undefined;
  private readonly outbox: FrameOutbox;

  constructor(
    private readonly deps: SyncDeps,
    private readonly authenticate: Authenticate,
    private readonly log: Logger,
    private readonly options: WsOptions,
  ) {
    this.outbox = new FrameOutbox(options.maxBufferedBytes, (ws) => ws.close(CLOSE.tooSlow, 'client is not reading fast enough'));
    this.heartbeat = setInterval(() => {
      for (const c of this.live) {
        const w = c.ws as WebSocket & { alive?: boolean };
        if (w.alive === false) {
          w.terminate();
          continue;
        }
        w.alive = false;
        w.ping();
      }
    }, options.heartbeatMs);
    this.heartbeat.unref();
  }

  get connections(): number {
    return this.live.size;
  }

  /** Handles an HTTP upgrade for our path; returns false for other paths. */
  handleUpgrade(req: http.IncomingMessage, socket: Duplex, head: Buffer): boolean {
    if (new URL(req.url ?? '/', 'http://x').pathname !== WS_SYNC_PATH) return false;
    this.wss.handleUpgrade(req, socket, head, (ws) => void this.serve(ws, req));
    return true;
  }

  private closing: Promise<void> | undefined;

  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  private async shutdown(): Promise<void> {
    clearInterval(this.heartbeat);
    for (const c of this.live) {
      c.abort.abort();
      c.ws.close(CLOSE.goingAway, 'server shutting down');
    }
    await new Promise<void>((resolve) => this.wss.close(() => resolve()));
  }

  private async push(
    ws: WebSocket,
    req0: Omit<SyncRequest, 'since'>,
    since: SyncPositions | undefined,
    filter: SyncFilter,
    first: boolean,
  ): Promise<{ sent: boolean; next: SyncPositions; joinedRooms: Set<string> } | 'too_slow'> {
    const to = await currentPositions(this.deps);
    const result = await computeSync(this.deps, { ...req0, since }, filter, to);
    let sent = false;
    if (!result.empty || first) {
      result.body.next_batch = formatSyncToken(result.next);
      const text = stringifyWithRaw(result.body);
      sent = true;
      // In a wave of woken syncs, frames go out together at the end of each turn (ws-outbox.ts).
      if (this.deps.woken.inBulk || this.outbox.holds(ws)) {
        this.outbox.add(ws, text);
      } else {
        ws.send(text);
        if (ws.bufferedAmount > this.options.maxBufferedBytes) return 'too_slow';
      }
    }
    return { sent, next: result.next, joinedRooms: result.joinedRooms };
  }

  /**
   * Pushes whatever is new, then sleeps until a poke of the user or their rooms, an ack, or the
   * presence renewal each minute. The notifier registration stands across pushes.
   */
  private async pushLoop(
    ws: WebSocket,
    aborted: AbortSignal,
    wake: Wakeup,
    messages: Array<Record<string, unknown>>,
    req: SyncRequest,
    filter: SyncFilter,
    setPresence: PresenceState | undefined,
  ): Promise<void> {
    const { userId, deviceId } = req;
    const req0 = { userId, deviceId, fullState: req.fullState, useStateAfter: req.useStateAfter };
    let since = req.since;
    let first = true;
    let subscription: Subscription | undefined;
    let touched = -Infinity;
    const renew = setTimeout(() => wake.set(), PRESENCE_RENEW_MS);
    try {
      while (!aborted.aborted && ws.readyState === ws.OPEN) {
        wake.take();
        // Being connected keeps the user present; renewing that once in a while is enough (a push
        // per message would renew it hundreds of times a second in a busy room).
        const now = Date.now();
        if (now - touched >= PRESENCE_TOUCH_MS) {
          touched = now;
          await this.deps.presence.touch(userId, setPresence);
        }
        for (const m of messages.splice(0)) {
          if (m.type === 'ack' && typeof m.since === 'string') await acknowledge(this.deps, userId, deviceId, parseSyncToken(m.since));
        }
        const tick = this.deps.notifier.now();
        // Only the positions and the joined rooms outlive the send: a connection waiting for news
        // holds no response body (10,000 idle connections would hold 10,000 of them).
        const pushSince = since;
        // The first push runs at once; the ones a change woke take their turn (util/gate.ts).
        const sent = first ? await this.push(ws, req0, since, filter, true) : await this.deps.woken.run(() => this.push(ws, req0, pushSince, filter, false));
        if (sent === 'too_slow') return ws.close(CLOSE.tooSlow, 'client is not reading fast enough');
        if (sent.sent) first = false;
        since = sent.next;
        // A poke that came while pushing (after `tick`) makes the loop go round again at once.
        if (!subscription) subscription = this.deps.notifier.subscribe(userId, sent.joinedRooms, tick, () => wake.set(), () => wake.set());
        else if (subscription.setRooms(sent.joinedRooms, tick)) wake.set();
        renew.refresh();
        await wake.wait();
      }
    } finally {
      clearTimeout(renew);
      subscription?.close();
    }
  }

  private async serve(ws: WebSocket, req: http.IncomingMessage): Promise<void> {
    const abort = new AbortController();
    const conn = { ws, abort };
    this.live.add(conn);
    (ws as WebSocket & { alive?: boolean }).alive = true;
    ws.on('pong', () => ((ws as WebSocket & { alive?: boolean }).alive = true));
    ws.on('close', () => {
      abort.abort();
      this.live.delete(conn);
    });
    const messages: Array<Record<string, unknown>> = [];
    let notify: (() => void) | undefined;
    ws.on('message', (data) => {
      try {
        const parsed = JSON.parse(String(data)) as unknown;
        if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error('not an object');
        messages.push(parsed as Record<string, unknown>);
        notify?.();
      } catch {
        ws.close(CLOSE.badRequest, 'messages must be JSON objects');
      }
    });
    const nextMessage = (timeoutMs: number): Promise<Record<string, unknown> | undefined> =>
      new Promise((resolve) => {
        if (messages.length > 0) return resolve(messages.shift());
        const timer = setTimeout(() => resolve(undefined), timeoutMs);
        notify = () => {
          clearTimeout(timer);
          notify = undefined;
          resolve(messages.shift());
        };
        abort.signal.addEventListener('abort', () => notify?.(), { once: true });
      });

    try {
      const start = ((await nextMessage(this.options.authTimeoutMs)) ?? {}) as Start & { type?: string };
      const token = tokenFromRequest(req) ?? (typeof start.access_token === 'string' ? start.access_token : undefined);
      if (!token) return ws.close(CLOSE.unauthorized, JSON.stringify({ errcode: 'M_MISSING_TOKEN', error: 'Missing access token' }));
      let requester: Requester;
      try {
        requester = await this.authenticate(token, { ip: req.socket.remoteAddress ?? '', userAgent: req.headers['user-agent'] });
      } catch (err) {
        const e = err instanceof MatrixError ? err.toJSON() : { errcode: 'M_UNKNOWN_TOKEN', error: 'Unrecognised access token' };
        return ws.close(CLOSE.unauthorized, JSON.stringify(e).slice(0, 120));
      }
      let since: SyncPositions | undefined;
      let filter: SyncFilter;
      try {
        since = typeof start.since === 'string' ? parseSyncToken(start.since) : undefined;
        filter =
          typeof start.filter === 'object' && start.filter !== null
            ? validate(syncFilterSchema, start.filter)
            : await resolveSyncFilter(typeof start.filter === 'string' ? start.filter : undefined, requester.userId, (id) => this.deps.users.getFilter(requester.userId, id));
      } catch (err) {
        const e = err instanceof MatrixError ? err.toJSON() : { errcode: 'M_BAD_JSON', error: 'bad start message' };
        return ws.close(CLOSE.badRequest, JSON.stringify(e).slice(0, 120));
      }
      await acknowledge(this.deps, requester.userId, requester.deviceId, since);
      const req0 = { userId: requester.userId, deviceId: requester.deviceId, fullState: false, useStateAfter: start.use_state_after === true };
      // Acks and the end of the connection wake the loop from here on.
      const wake = new Wakeup();
      notify = () => wake.set();
      abort.signal.addEventListener('abort', () => wake.set(), { once: true });
      await this.pushLoop(ws, abort.signal, wake, messages, { ...req0, since }, filter, start.set_presence);
    } catch (err) {
      this.log.warn({ err }, 'websocket sync failed');
      if (ws.readyState === ws.OPEN) ws.close(CLOSE.serverError, 'internal error');
    }
  }
}
