import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { api, percentile, register, round, type BenchUser } from '../lib/client.js';
import { readCpuMs, startBenchServer } from '../lib/server.js';
import { rawPgCommitLatency } from '../lib/baselines.js';
import { FANOUT_FILTER, startReceiver, type Receiver, type Transport } from '../lib/fanout-receivers.js';

export interface FanoutOptions {
  members: number;
  messages: number;
  ratePerSecond: number;
  /** Sent at the same rate before the clock starts, not measured. */
  warmupMessages: number;
  transport: Transport;
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

type Send = (txn: string, content: Record<string, unknown>) => Promise<unknown>;

interface PacedRun {
  latencies: number[];
  /** How long each send took to be answered, sorted: a delivery cannot come before its send's commit. */
  sendMs: number[];
  /** p99 of the messages sent in each second: whether latency holds steady or grows with a backlog. */
  p99BySecond: number[];
  lost: number;
  duplicates: number;
  deliveriesPerSecond: number;
  sendSeconds: number;
  serverCpuMs: number;
  benchCpuMs: number;
  framesWhileSending: number;
  /** Response bytes and responses (or frames) over the whole run, warm-up included. */
  bytes: number;
  frames: number;
}

/**
 * Warms the server up at the pace of the run (the receivers ignore those messages: the figures
 * are of a server that has run, not of its first seconds of compiling code), then sends the
 * numbered messages at a steady rate and waits until every receiver has them all or 30 s pass.
 */
async function pacedRun(o: FanoutOptions, pid: number, receivers: Receiver[], send: Send): Promise<PacedRun> {
  await new Promise((res) => setTimeout(res, 1000));
  await Promise.all(await paced(o.warmupMessages, o.ratePerSecond, (n) => send(`w${n}`, { body: `warm-up ${n}` })));
  await new Promise((res) => setTimeout(res, 1000));

  const sentAt = new Array<number>(o.messages);
  // Where the two cores go while sending: the server, and this process (every client and the sender).
  const serverCpu0 = readCpuMs(pid);
  const benchCpu0 = process.cpuUsage();
  const frames = (): number => receivers.reduce((a, r) => a + r.frames, 0);
  const frames0 = frames();
  const start = performance.now();
  const sendMs: number[] = [];
  const sends = await paced(o.messages, o.ratePerSecond, (n) => {
    const t0 = (sentAt[n] = performance.now());
    return send(`t${n}`, { body: `message ${n}`, n }).then(() => sendMs.push(performance.now() - t0));
  });
  await Promise.all(sends);
  const sendSeconds = (performance.now() - start) / 1000;
  const serverCpuMs = readCpuMs(pid) - serverCpu0;
  const benchCpu = process.cpuUsage(benchCpu0);
  const framesWhileSending = frames() - frames0;
  const deadline = performance.now() + 30_000;
  while (receivers.some((r) => r.got.size < o.messages) && performance.now() < deadline) await new Promise((res) => setTimeout(res, 50));

  let end = start;
  const latencies: number[] = [];
  const bySecond: number[][] = [];
  let lost = 0;
  let duplicates = 0;
  for (const r of receivers) {
    duplicates += r.duplicates;
    for (let n = 0; n < o.messages; n++) {
      const t = r.got.get(n);
      if (t === undefined) lost++;
      else {
        if (t > end) end = t;
        latencies.push(t - sentAt[n]!);
        (bySecond[Math.floor((sentAt[n]! - start) / 1000)] ??= []).push(t - sentAt[n]!);
      }
    }
  }
  latencies.sort((a, b) => a - b);
  sendMs.sort((a, b) => a - b);
  return {
    latencies,
    sendMs,
    p99BySecond: bySecond.map((l) => round(percentile(l.sort((a, b) => a - b), 99))),
    lost,
    duplicates,
    deliveriesPerSecond: latencies.length / ((end - start) / 1000),
    sendSeconds,
    serverCpuMs,
    benchCpuMs: (benchCpu.user + benchCpu.system) / 1000,
    framesWhileSending,
    bytes: receivers.reduce((a, r) => a + r.bytes, 0),
    frames: frames(),
  };
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

const trivialScript = fileURLToPath(new URL('../lib/trivial-fanout-server.ts', import.meta.url));

/**
 * The floor: the same clients, the same pace and the same transport against a server that only
 * keeps the messages in an array and answers (bench/lib/trivial-fanout-server.ts). On two cores
 * the clients, the sender and the server share the machine; this is the latency that sharing
 * alone allows.
 */
async function floorRun(o: FanoutOptions): Promise<PacedRun> {
  const child = spawn(process.execPath, ['--import=tsx', trivialScript], { stdio: ['pipe', 'pipe', 'inherit'] });
  try {
    const line = await new Promise<string>((resolve) => createInterface({ input: child.stdout }).once('line', resolve));
    const base = `http://127.0.0.1:${(JSON.parse(line) as { port: number }).port}`;
    const roomId = '!fanout:trivial';
    const receivers = await Promise.all(Array.from({ length: o.members }, () => startReceiver(o.transport, base, 'trivial', roomId, '0')));
    const send: Send = (txn, content) => api(base, 'PUT', `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/send/m.room.message/${txn}`, 'trivial', { msgtype: 'm.text', ...content });
    const run = await pacedRun(o, child.pid!, receivers, send);
    receivers.forEach((r) => r.stop());
    return run;
  } finally {
    child.stdin.end();
    child.kill();
  }
}

/**
 * One room, `members` users syncing, one sender at a steady rate. Measures the time from issuing
 * each send to its arrival at every member, and checks nothing is lost or duplicated.
 */
export async function fanout(o: FanoutOptions): Promise<Record<string, unknown>> {
  const server = await startBenchServer();
  let ours: PacedRun;
  let lockstep: Record<string, number>;
  let rssPeak: number;
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
    const sinces = await Promise.all(members.map(async (u) => (await api(base, 'GET', `/_matrix/client/v3/sync?filter=${encodeURIComponent(FANOUT_FILTER)}`, u.token)).next_batch as string));
    const receivers = await Promise.all(members.map((u, i) => startReceiver(o.transport, base, u.token, roomId, sinces[i]!)));
    const send: Send = (txn, content) => api(base, 'PUT', `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/send/m.room.message/${txn}`, sender.token, { msgtype: 'm.text', ...content });
    ours = await pacedRun(o, server.pid, receivers, send);
    lockstep = await lockstepRounds(server.pid, receivers, o.messages, 200, (n) => send(`l${n}`, { body: `lockstep ${n}`, n }));
    receivers.forEach((r) => r.stop());
    rssPeak = server.rss();
  } finally {
    await server.stop();
  }
  const floor = await floorRun(o);
  const commit = await rawPgCommitLatency(5, 1000 / o.ratePerSecond);
  const p99 = percentile(ours.latencies, 99);
  const floorP99 = percentile(floor.latencies, 99);
  const totalFrames = (run: PacedRun): number => Math.max(1, run.framesWhileSending);
  return {
    scenario: `fanout-${o.transport}`,
    members: o.members,
    messages: o.messages,
    warmup_messages: o.warmupMessages,
    target_rate_per_s: o.ratePerSecond,
    achieved_send_rate_per_s: round(o.messages / ours.sendSeconds),
    latency_ms: { p50: round(percentile(ours.latencies, 50)), p99: round(p99), max: round(ours.latencies[ours.latencies.length - 1] ?? NaN) },
    p99_ms_by_second: ours.p99BySecond,
    send_ms: { p50: round(percentile(ours.sendMs, 50)), p99: round(percentile(ours.sendMs, 99)), max: round(ours.sendMs[ours.sendMs.length - 1] ?? NaN) },
    deliveries: ours.latencies.length,
    responses_per_member: round(ours.framesWhileSending / o.members),
    bytes_per_response: round(ours.bytes / Math.max(1, ours.frames)),
    deliveries_per_s: round(ours.deliveriesPerSecond),
    // Share of one core while sending (clock ticks of 10 ms, so about ±1%).
    cpu_share_while_sending: { server: round(ours.serverCpuMs / 1000 / ours.sendSeconds), clients_and_sender: round(ours.benchCpuMs / 1000 / ours.sendSeconds) },
    server_cpu_us_per_response: round((ours.serverCpuMs * 1000) / totalFrames(ours), 1),
    lockstep,
    lost: ours.lost,
    duplicates: ours.duplicates,
    server_rss_peak_mb: round(rssPeak / 1048576, 1),
    limit: {
      what: 'the same clients, pace and transport against a trivial server that keeps the messages in an array (same machine, after the real run); and single-row commits at the pace of the sends',
      value: {
        p50_ms: round(percentile(floor.latencies, 50)),
        p99_ms: round(floorP99),
        p99_ms_by_second: floor.p99BySecond,
        lost: floor.lost,
        cpu_share_while_sending: { server: round(floor.serverCpuMs / 1000 / floor.sendSeconds), clients_and_sender: round(floor.benchCpuMs / 1000 / floor.sendSeconds) },
        server_cpu_us_per_response: round((floor.serverCpuMs * 1000) / totalFrames(floor), 1),
        // The other bound: a send is delivered after its commit. Measured after the runs, 5 s.
        raw_commit_at_send_pace: commit,
      },
    },
    ratio_of_limit: round(floorP99 / p99, 4),
    target: { p99_ms_below: 25, lost: 0, duplicates: 0 },
    met: p99 < 25 && ours.lost === 0 && ours.duplicates === 0,
  };
}
