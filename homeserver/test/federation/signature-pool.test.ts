import test from 'ava';
import { Buffer } from 'node:buffer';
import { generateSigningKey, jsonSignatureJob, signJson, verifyJob, type SignatureJob } from '../../src/core/signing.js';
import { SignaturePool } from '../../src/components/federation/keys/signature-pool.js';

const keys = [generateSigningKey(), generateSigningKey(), generateSigningKey()];

/** A mix of good checks and every kind of bad one, with what each should give. */
function mixedJobs(count: number): Array<{ job: SignatureJob; want: boolean }> {
  const out: Array<{ job: SignatureJob; want: boolean }> = [];
  for (let i = 0; i < count; i++) {
    const k = keys[i % keys.length]!;
    const signed = signJson({ n: i, body: 'x'.repeat(i % 300), unicode: 'é☃😀' }, 'origin.test', 'ed25519:a', k.seed);
    const job = jsonSignatureJob(signed, 'origin.test', 'ed25519:a', k.publicKey)!;
    switch (i % 5) {
      case 1: // the data changed after signing
        out.push({ job: { ...job, data: Buffer.concat([job.data, Buffer.from(' ')]) }, want: false });
        break;
      case 2: // another server's key
        out.push({ job: { ...job, publicKey: Buffer.from(keys[(i + 1) % keys.length]!.publicKey, 'base64') }, want: false });
        break;
      case 3: {
        // one bit of the signature flipped
        const signature = Buffer.from(job.signature);
        signature[i % 64]! ^= 1;
        out.push({ job: { ...job, signature }, want: false });
        break;
      }
      default:
        out.push({ job, want: true });
    }
  }
  return out;
}

test('gives each check its own result, in order, for small and large batches', async (t) => {
  const pool = new SignaturePool(2, 4);
  t.teardown(() => pool.close());
  for (const size of [0, 1, 3, 4, 50, 777]) {
    const cases = mixedJobs(size);
    const got = await pool.verify(cases.map((c) => c.job));
    t.deepEqual(got, cases.map((c) => c.want), `batch of ${size}`);
    t.deepEqual(got, cases.map((c) => verifyJob(c.job)), `same as this thread, batch of ${size}`);
  }
});

test('small batches of the same turn are checked together, each answered with its own results', async (t) => {
  const pool = new SignaturePool(1, 16);
  t.teardown(() => pool.close());
  // What reaches the shared path: one gathered batch, not ten small ones checked here one by one.
  const spread: number[] = [];
  const inner = pool as unknown as { spread(jobs: readonly SignatureJob[]): Promise<boolean[]> };
  const original = inner.spread.bind(pool);
  inner.spread = (jobs) => {
    spread.push(jobs.length);
    return original(jobs);
  };
  // Cut from one list, so that each batch starts at another point of the good-and-bad pattern.
  const all = mixedJobs(40);
  const batches: Array<typeof all> = [];
  for (let at = 0, i = 0; at < all.length; i++) batches.push(all.slice(at, (at += 1 + (i % 7))));
  const got = await Promise.all(batches.map((b) => pool.verify(b.map((c) => c.job))));
  got.forEach((g, i) => t.deepEqual(g, batches[i]!.map((c) => c.want), `batch ${i}`));
  t.deepEqual(spread, [batches.reduce((n, b) => n + b.length, 0)]);

  // A lone small batch in a later turn is answered too, and stays on this thread.
  const lone = mixedJobs(3);
  t.deepEqual(await pool.verify(lone.map((c) => c.job)), lone.map((c) => c.want));
  t.is(spread.length, 1);
});

test('a key that is no Ed25519 point fails its check only', async (t) => {
  const pool = new SignaturePool(1, 2);
  t.teardown(() => pool.close());
  const cases = mixedJobs(40);
  // All-ones is not the encoding of a curve point: the worker must answer false, not crash.
  cases[7] = { job: { ...cases[7]!.job, publicKey: Buffer.alloc(32, 0xff) }, want: false };
  t.deepEqual(await pool.verify(cases.map((c) => c.job)), cases.map((c) => c.want));
});

test('keeps working after its workers are stopped, and while batches overlap', async (t) => {
  const pool = new SignaturePool(2, 2);
  t.teardown(() => pool.close());
  const a = mixedJobs(300);
  const b = mixedJobs(301);
  const [ra, rb] = await Promise.all([pool.verify(a.map((c) => c.job)), pool.verify(b.map((c) => c.job))]);
  t.deepEqual(ra, a.map((c) => c.want));
  t.deepEqual(rb, b.map((c) => c.want));
  await pool.close();
  t.deepEqual(await pool.verify(a.map((c) => c.job)), a.map((c) => c.want));
});

test('with no worker threads everything is checked on this thread', async (t) => {
  const pool = new SignaturePool(0);
  const cases = mixedJobs(100);
  t.deepEqual(await pool.verify(cases.map((c) => c.job)), cases.map((c) => c.want));
});

test('the job of a missing or malformed signature is none', (t) => {
  const k = keys[0]!;
  const signed = signJson({ a: 1 }, 'origin.test', 'ed25519:a', k.seed);
  t.truthy(jsonSignatureJob(signed, 'origin.test', 'ed25519:a', k.publicKey));
  t.is(jsonSignatureJob(signed, 'other.test', 'ed25519:a', k.publicKey), undefined);
  t.is(jsonSignatureJob(signed, 'origin.test', 'ed25519:b', k.publicKey), undefined);
  t.is(jsonSignatureJob(signed, 'origin.test', 'rsa:a', k.publicKey), undefined);
  t.is(jsonSignatureJob(signed, 'origin.test', 'ed25519:a', 'not base64!'), undefined);
  t.is(jsonSignatureJob(signed, 'origin.test', 'ed25519:a', Buffer.alloc(31).toString('base64')), undefined);
  const shortSig = { ...signed, signatures: { 'origin.test': { 'ed25519:a': 'AAAA' } } };
  t.is(jsonSignatureJob(shortSig, 'origin.test', 'ed25519:a', k.publicKey), undefined);
});
