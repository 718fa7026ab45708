import WebSocket from 'ws';
import { api, apiSized, percentile, register, round, type BenchUser } from '../lib/client.js';
import { readCpuMs, startBenchServer } from '../lib/server.js';
import { rawWebSocketBroadcast } from '../lib/baselines.js';

export interface FanoutOptions {
  members: number;
  messages: number;
  ratePerSecond: number;
  /** Sent at the same rate before the clock starts, not measured. */
  warmupMessages: number;
  transport: 'longpoll' | 'websocket';
}

/** Starts `count` requests at a steady `rate` per second; resolves once all are started. */
async function paced(count: number, rate: number, start: (n: number) => Promise<unknown>): Promise<Array<Promise<unknown>>> {
  const interval = 1000 / rate;
  const begin = performance.now();
  const started: Array<Promise<unknown>> = [];
  for (let n = 0; n < count; n++) {
    const wait = begin + n * interval - performance.now();
    if (wait > 1) await new Promise((res) => setTimeout(res, wait));
    started.push(start(n));
  }
  return started;
}

const FILTER = JSON.stringify({ room: { timeline: { limit: 500 } }, presence: { types: [] } });

interface Receiver {
  user: BenchUser;
  got: Map<number, number>;
  /** Called with each message number the first time it arrives. */
  onMessage?: (n: number) => void;
  duplicates: number;
  bytes: number;
  frames: number;
  stop(): void;
}

function collect(r: Receiver, body: any, roomId: string): void {
  const now = performance.now();
  for (const e of body?.rooms?.join?.[roomId]?.timeline?.events ?? []) {
    const n = e.content?.n;
    if (typeof n !== 'number') continue;
    if (r.got.has(n)) r.duplicates++;
    else {
      r.got.set(n, now);
      r.onMessage?.(n);
    }
  }
}

async function longPoll(base: string, user: BenchUser, roomId: string, since: string): Promise<Receiver> {
  const r: Receiver = { user, got: new Map(), duplicates: 0, bytes: 0, frames: 0, stop: () => (running = false) };
  let running = true;
  void (async () => {
    let token = since;
    while (running) {
      try {
        const { body, bytes } = await apiSized(base, 'GET', `/_matrix/client/v3/sync?since=${token}&timeout=30000&filter=${encodeURIComponent(FILTER)}`, user.token);
        r.frames++;
        r.bytes += bytes;
        collect(r, body, roomId);
        token = body.next_batch;
      } catch {
        if (running) await new Promise((res) => setTimeout(res, 100));
      }
    }
  })();
  return r;
}

async function webSocket(base: string, user: BenchUser, roomId: string, since: string): Promise<Receiver> {
  const ws = new WebSocket(`${base.replace('http', 'ws')}/_matrix/client/unstable/org.hearth.ws/sync`, { headers: { authorization: `Bearer ${user.token}` } });
  const r: Receiver = { user, got: new Map(), duplicates: 0, bytes: 0, frames: 0, stop: () => ws.close() };
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  ws.on('message', (data) => {
    const text = String(data);
    r.bytes += text.length;
    r.frames++;
    collect(r, JSON.parse(text), roomId);
  });
  ws.send(JSON.stringify({ since, filter: JSON.parse(FILTER) }));
  return r;
}

/**
 * The server's fixed cost of one message to every member, free of how a load batches messages
 * into responses: each message is sent only once every member has the one before (after a
 * pause for their next requests to arrive). One core's worth of that cost bounds the rate the
 * server can keep up with at all; the paced run's latency depends on how close it comes.
 */
async function lockstepRounds(pid: number, receivers: Receiver[], first: number, rounds: number, send: (n: number) => Promise<unknown>): Promise<Record<string, number>> {
  let waiting = 0;
  let done: (() => void) | undefined;
  for (const r of receivers) r.onMessage = (n) => n >= first && --waiting === 0 && done?.();
  const step = async (n: number): Promise<void> => {
    waiting = receivers.length;
    const all = new Promise<void>((res) => (done = res));
    await send(n);
    await all;
    await new Promise((res) => setTimeout(res, 2));
  };
  for (let k = 0; k < 20; k++) await step(first + k);
  const cpu0 = readCpuMs(pid);
  const t0 = performance.now();
  for (let k = 20; k < 20 + rounds; k++) await step(first + k);
  const cpuMs = (readCpuMs(pid) - cpu0) / rounds;
  return {
    rounds,
    server_cpu_ms_per_message: round(cpuMs, 2),
    server_cpu_us_per_delivery: round((cpuMs * 1000) / receivers.length, 1),
    ms_per_round: round((performance.now() - t0) / rounds, 2),
    messages_per_s_one_core_allows: round(1000 / cpuMs, 0),
  };
}

/**
 * One room, `members` users syncing, one sender at a steady rate. Measures the time from issuing
 * each send to its arrival at every member, and checks nothing is lost or duplicated.
 */
export async function fanout(o: FanoutOptions): Promise<Record<string, unknown>> {
  const server = await startBenchServer();
  try {
    const base = server.url;
    const sender = await register(base, 'sender');
    const { room_id: roomId } = await api(base, 'POST', '/_matrix/client/v3/createRoom', sender.token, { preset: 'public_chat' });
    const members: BenchUser[] = [];
    for (let i = 0; i < o.members; i += 20) {
      const batch = await Promise.all(Array.from({ length: Math.min(20, o.members - i) }, (_, j) => register(base, `m${i + j}`)));
      await Promise.all(batch.map((u) => api(base, 'POST', `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/join`, u.token, {})));
      members.push(...batch);
    }
    const sinces = await Promise.all(members.map(async (u) => (await api(base, 'GET', `/_matrix/client/v3/sync?filter=${encodeURIComponent(FILTER)}`, u.token)).next_batch as string));
    const receivers = await Promise.all(members.map((u, i) => (o.transport === 'websocket' ? webSocket(base, u, roomId, sinces[i]!) : longPoll(base, u, roomId, sinces[i]!))));
    // Let every receiver reach its waiting state, then warm the server up at the same pace (the
    // receivers ignore these): the figures are of a server that has run, not of its first seconds
    // of compiling code.
    await new Promise((res) => setTimeout(res, 1000));
    const send = (txn: string, content: Record<string, unknown>) =>
      api(base, 'PUT', `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/send/m.room.message/${txn}`, sender.token, { msgtype: 'm.text', ...content });
    await Promise.all(await paced(o.warmupMessages, o.ratePerSecond, (n) => send(`w${n}`, { body: `warm-up ${n}` })));
    await new Promise((res) => setTimeout(res, 1000));

    const sentAt = new Array<number>(o.messages);
    // Where the two cores go while sending: the server, and this process (every client and the sender).
    const serverCpu0 = readCpuMs(server.pid);
    const benchCpu0 = process.cpuUsage();
    const frames = (): number => receivers.reduce((a, r) => a + r.frames, 0);
    const frames0 = frames();
    const start = performance.now();
    const sends = await paced(o.messages, o.ratePerSecond, (n) => {
      sentAt[n] = performance.now();
      return send(`t${n}`, { body: `message ${n}`, n });
    });
    await Promise.all(sends);
    const sendSeconds = (performance.now() - start) / 1000;
    const serverCpuMs = readCpuMs(server.pid) - serverCpu0;
    const benchCpu = process.cpuUsage(benchCpu0);
    const framesWhileSending = frames() - frames0;
    const deadline = performance.now() + 30_000;
    while (receivers.some((r) => r.got.size < o.messages) && performance.now() < deadline) await new Promise((res) => setTimeout(res, 50));
    let end = start;
    for (const r of receivers) for (const t of r.got.values()) if (t > end) end = t;
    const lockstep = await lockstepRounds(server.pid, receivers, o.messages, 200, (n) => send(`l${n}`, { body: `lockstep ${n}`, n }));
    receivers.forEach((r) => r.stop());

    const latencies: number[] = [];
    // Per second of sending: whether latency holds steady or grows with a backlog.
    const bySecond: number[][] = [];
    let lost = 0;
    let duplicates = 0;
    for (const r of receivers) {
      duplicates += r.duplicates;
      for (let n = 0; n < o.messages; n++) {
        const t = r.got.get(n);
        if (t === undefined) lost++;
        else {
          latencies.push(t - sentAt[n]!);
          (bySecond[Math.floor((sentAt[n]! - start) / 1000)] ??= []).push(t - sentAt[n]!);
        }
      }
    }
    latencies.sort((a, b) => a - b);
    const deliveries = latencies.length;
    const baseline = await rawWebSocketBroadcast(o.members, 2000);
    const deliveriesPerSecond = deliveries / ((end - start) / 1000);
    return {
      scenario: `fanout-${o.transport}`,
      members: o.members,
      messages: o.messages,
      warmup_messages: o.warmupMessages,
      target_rate_per_s: o.ratePerSecond,
      achieved_send_rate_per_s: round(o.messages / sendSeconds),
      latency_ms: { p50: round(percentile(latencies, 50)), p99: round(percentile(latencies, 99)), max: round(latencies[latencies.length - 1] ?? NaN) },
      p99_ms_by_second: bySecond.map((l) => round(percentile(l.sort((a, b) => a - b), 99))),
      deliveries,
      responses_per_member: round(receivers.reduce((a, r) => a + r.frames, 0) / receivers.length),
      bytes_per_response: round(receivers.reduce((a, r) => a + r.bytes, 0) / Math.max(1, receivers.reduce((a, r) => a + r.frames, 0))),
      deliveries_per_s: round(deliveriesPerSecond),
      // Share of one core while sending (clock ticks of 10 ms, so about ±1%).
      cpu_share_while_sending: { server: round(serverCpuMs / 1000 / sendSeconds), clients_and_sender: round((benchCpu.user + benchCpu.system) / 1e6 / sendSeconds) },
      server_cpu_us_per_response: round((serverCpuMs * 1000) / Math.max(1, framesWhileSending), 1),
      lockstep,
      lost,
      duplicates,
      server_rss_peak_mb: round(server.rss() / 1048576, 1),
      limit: { what: 'raw WebSocket broadcast deliveries/s (trivial server, same machine)', value: round(baseline) },
      ratio_of_limit: round(deliveriesPerSecond / baseline, 4),
      target: { p99_ms_below: 25, lost: 0, duplicates: 0 },
      met: percentile(latencies, 99) < 25 && lost === 0 && duplicates === 0,
    };
  } finally {
    await server.stop();
  }
}
