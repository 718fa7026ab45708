import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { verifyJob, type SignatureJob } from '../../../core/signing.js';
import { yieldToEventLoop } from '../../../core/state-res/store.js';

/**
 * The worker's whole program (CommonJS, started with `eval`: no file to find whether the server
 * runs from dist/ or through tsx). A message holds a chunk of checks packed into one buffer:
 * per check 32 bytes of public key, 64 of signature, a little-endian u32 length, the data.
 */
const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads');
const { createPublicKey, verify } = require('node:crypto');
const SPKI = Buffer.from('302a300506032b6570032100', 'hex');
const keys = new Map();
parentPort.on('message', (m) => {
  const buf = Buffer.from(m.buf);
  const out = new Uint8Array(m.count);
  let at = 0;
  for (let i = 0; i < m.count; i++) {
    const raw = buf.subarray(at, at + 32);
    const signature = buf.subarray(at + 32, at + 96);
    const length = buf.readUInt32LE(at + 96);
    const data = buf.subarray(at + 100, at + 100 + length);
    at += 100 + length;
    const id = raw.toString('base64');
    try {
      let key = keys.get(id);
      if (key === undefined) {
        key = createPublicKey({ key: Buffer.concat([SPKI, raw]), format: 'der', type: 'spki' });
        if (keys.size >= 4096) keys.clear();
        keys.set(id, key);
      }
      out[i] = verify(null, data, key, signature) ? 1 : 0;
    } catch {
      out[i] = 0;
    }
  }
  parentPort.postMessage({ id: m.id, out }, [out.buffer]);
});
`;

const HEADER = 100;

function pack(jobs: readonly SignatureJob[], from: number, to: number): ArrayBuffer {
  let size = 0;
  for (let i = from; i < to; i++) size += HEADER + jobs[i]!.data.length;
  const buf = Buffer.allocUnsafeSlow(size);
  let at = 0;
  for (let i = from; i < to; i++) {
    const j = jobs[i]!;
    j.publicKey.copy(buf, at);
    j.signature.copy(buf, at + 32);
    buf.writeUInt32LE(j.data.length, at + 96);
    j.data.copy(buf, at + HEADER);
    at += HEADER + j.data.length;
  }
  return buf.buffer;
}

/** One worker thread and the chunks it has been handed. */
class VerifyWorker {
  private readonly worker = new Worker(WORKER_SOURCE, { eval: true });
  private readonly pending = new Map<number, { resolve: (out: Uint8Array) => void; reject: (err: Error) => void }>();
  private nextId = 0;
  dead = false;

  constructor() {
    this.worker.unref();
    const fail = (err: Error): void => {
      this.dead = true;
      for (const p of this.pending.values()) p.reject(err);
      this.pending.clear();
    };
    this.worker.on('message', (m: { id: number; out: Uint8Array }) => {
      const p = this.pending.get(m.id);
      this.pending.delete(m.id);
      if (this.pending.size === 0) this.worker.unref();
      p?.resolve(m.out);
    });
    this.worker.on('error', fail);
    this.worker.on('exit', () => fail(new Error('signature worker exited')));
  }

  run(jobs: readonly SignatureJob[], from: number, to: number): Promise<Uint8Array> {
    const id = this.nextId++;
    const buf = pack(jobs, from, to);
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      // Held while it has work: a caller waiting on it must not see the process exit under it.
      this.worker.ref();
      this.worker.postMessage({ id, buf, count: to - from }, [buf]);
    });
  }

  terminate(): Promise<number> {
    return this.worker.terminate();
  }
}

/**
 * Ed25519 checks spread over worker threads and this one. A room joined over federation can bring
 * tens of thousands of signed events at once; checked here alone they would hold the event loop
 * (every other request) for seconds and leave the other cores idle. Small batches stay on this
 * thread, where handing them over would cost more than it saves; those that come in the same turn
 * of the event loop are gathered first.
 */
export class SignaturePool {
  private workers: VerifyWorker[] = [];

  /**
   * `threads`: workers besides this thread (by default one fewer than the cores, at most 3).
   * `inlineBelow`: batches smaller than this are checked here at once.
   */
  constructor(
    private readonly threads = Math.max(0, Math.min(3, availableParallelism() - 1)),
    private readonly inlineBelow = 16,
  ) {}

  /** Small batches waiting for the end of this turn of the event loop, to be checked together. */
  private queued: Array<{ jobs: readonly SignatureJob[]; resolve: (results: boolean[]) => void; reject: (err: unknown) => void }> = [];

  /** Results in input order. A worker that fails has its share checked here instead. */
  async verify(jobs: readonly SignatureJob[]): Promise<boolean[]> {
    if (jobs.length === 0) return [];
    if (this.threads === 0) return jobs.map(verifyJob);
    if (jobs.length >= this.inlineBelow) return this.spread(jobs);
    // A /send of several rooms checks each room's few events in a batch of its own, all in the
    // same turn of the event loop: gathered, they are worth sharing with the workers.
    return new Promise((resolve, reject) => {
      this.queued.push({ jobs, resolve, reject });
      if (this.queued.length === 1) setImmediate(() => this.flushQueued());
    });
  }

  private flushQueued(): void {
    const queued = this.queued;
    this.queued = [];
    const all = queued.length === 1 ? queued[0]!.jobs : queued.flatMap((q) => q.jobs);
    const check = async (): Promise<boolean[]> => (all.length < this.inlineBelow ? all.map(verifyJob) : this.spread(all));
    check().then(
      (results) => {
        let at = 0;
        for (const q of queued) {
          q.resolve(results.slice(at, at + q.jobs.length));
          at += q.jobs.length;
        }
      },
      (err: unknown) => {
        for (const q of queued) q.reject(err);
      },
    );
  }

  private async spread(jobs: readonly SignatureJob[]): Promise<boolean[]> {
    this.workers = this.workers.filter((w) => !w.dead);
    while (this.workers.length < this.threads) this.workers.push(new VerifyWorker());
    const results = new Array<boolean>(jobs.length);
    const share = Math.ceil(jobs.length / (this.workers.length + 1));
    // Workers take big chunks; this thread takes small ones and lets other work in between.
    const workerChunk = Math.min(256, share);
    const ownChunk = Math.min(32, share);
    let next = 0;
    const take = (size: number): [number, number] | undefined => {
      if (next >= jobs.length) return undefined;
      const from = next;
      next = Math.min(jobs.length, next + size);
      return [from, next];
    };
    const here = (from: number, to: number): void => {
      for (let i = from; i < to; i++) results[i] = verifyJob(jobs[i]!);
    };
    const viaWorker = async (w: VerifyWorker): Promise<void> => {
      for (let r = take(workerChunk); r; r = take(workerChunk)) {
        const [from, to] = r;
        try {
          const out = await w.run(jobs, from, to);
          for (let i = from; i < to; i++) results[i] = out[i - from] === 1;
        } catch {
          here(from, to);
        }
      }
    };
    const onThisThread = async (): Promise<void> => {
      for (let r = take(ownChunk); r; r = take(ownChunk)) {
        here(r[0], r[1]);
        await yieldToEventLoop();
      }
    };
    await Promise.all([...this.workers.map(viaWorker), onThisThread()]);
    return results;
  }

  /** Stops the workers (they are started again when needed). */
  async close(): Promise<void> {
    const workers = this.workers;
    this.workers = [];
    await Promise.all(workers.map((w) => w.terminate()));
  }
}

/** The process's pool: checking a signature is pure, so every part of the server can share it. */
export const signaturePool = new SignaturePool();
