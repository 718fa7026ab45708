import test from 'ava';
import { z } from 'zod';
import { jsonBody } from '../../src/http/body.js';
import { startStack } from '../helpers/app.js';

const schema = z.object({ name: z.string(), count: z.number().int().optional() });

async function stack(t: Parameters<typeof startStack>[0]) {
  return startStack(t, (router) => {
    router.post('/_matrix/client/v3/echo', async (ctx) => {
      ctx.body = await jsonBody(ctx, schema);
    });
    router.get('/_matrix/client/v3/echo', (ctx) => {
      ctx.body = { ok: true };
    });
    router.get('/_matrix/client/v3/boom', () => {
      throw new Error('secret internal detail');
    });
  });
}

async function post(url: string, body: string | Buffer, headers: Record<string, string> = { 'Content-Type': 'application/json' }) {
  const res = await fetch(url, { method: 'POST', body, headers });
  return { status: res.status, body: (await res.json()) as Record<string, unknown>, headers: res.headers };
}

test('a valid body reaches the endpoint', async (t) => {
  const { url } = await stack(t);
  const res = await post(`${url}/_matrix/client/v3/echo`, '{"name":"x","count":3}');
  t.is(res.status, 200);
  t.deepEqual(res.body, { name: 'x', count: 3 });
});

test('unknown endpoint: 404 M_UNRECOGNIZED', async (t) => {
  const { url } = await stack(t);
  const res = await fetch(`${url}/_matrix/client/v3/nothing-here`);
  t.is(res.status, 404);
  t.deepEqual(await res.json(), { errcode: 'M_UNRECOGNIZED', error: 'Unrecognized request' });
  t.is(res.headers.get('content-type'), 'application/json; charset=utf-8');
});

test('known path, wrong method: 405 M_UNRECOGNIZED with Allow', async (t) => {
  const { url } = await stack(t);
  const res = await fetch(`${url}/_matrix/client/v3/echo`, { method: 'DELETE' });
  t.is(res.status, 405);
  t.is(((await res.json()) as { errcode: string }).errcode, 'M_UNRECOGNIZED');
  t.regex(res.headers.get('allow') ?? '', /GET/);
  t.regex(res.headers.get('allow') ?? '', /POST/);
});

test('a body that is not JSON: 400 M_NOT_JSON', async (t) => {
  const { url } = await stack(t);
  for (const body of ['{"name":', 'hello', '']) {
    const res = await post(`${url}/_matrix/client/v3/echo`, body);
    t.is(res.status, 400, body);
    t.is(res.body.errcode, 'M_NOT_JSON', body);
  }
  const invalidUtf8 = await post(`${url}/_matrix/client/v3/echo`, Buffer.from([0x7b, 0x22, 0xff, 0x22, 0x7d]));
  t.is(invalidUtf8.body.errcode, 'M_NOT_JSON');
});

test('JSON of the wrong shape: 400 M_BAD_JSON naming the field', async (t) => {
  const { url } = await stack(t);
  const wrongType = await post(`${url}/_matrix/client/v3/echo`, '{"name":5}');
  t.is(wrongType.status, 400);
  t.is(wrongType.body.errcode, 'M_BAD_JSON');
  t.regex(String(wrongType.body.error), /^name: /);
  const notObject = await post(`${url}/_matrix/client/v3/echo`, '[1,2]');
  t.is(notObject.body.errcode, 'M_BAD_JSON');
  const float = await post(`${url}/_matrix/client/v3/echo`, '{"name":"x","count":1.5}');
  t.is(float.body.errcode, 'M_BAD_JSON');
});

test('a body over the limit: 413 M_TOO_LARGE, declared or streamed', async (t) => {
  const { url } = await stack(t);
  const big = JSON.stringify({ name: 'x'.repeat(2000) });
  const declared = await post(`${url}/_matrix/client/v3/echo`, big);
  t.is(declared.status, 413);
  t.is(declared.body.errcode, 'M_TOO_LARGE');
  // Chunked, so no Content-Length tells the size up front.
  const streamed = await fetch(`${url}/_matrix/client/v3/echo`, {
    method: 'POST',
    body: new ReadableStream({
      start(c) {
        c.enqueue(new TextEncoder().encode(big));
        c.close();
      },
    }),
    duplex: 'half',
  } as RequestInit);
  t.is(streamed.status, 413);
  t.is(((await streamed.json()) as { errcode: string }).errcode, 'M_TOO_LARGE');
});

test('an unexpected failure: 500 M_UNKNOWN without internal details, logged with the request id', async (t) => {
  const { url, log } = await stack(t);
  const res = await fetch(`${url}/_matrix/client/v3/boom`);
  t.is(res.status, 500);
  const body = (await res.json()) as { errcode: string; error: string };
  t.is(body.errcode, 'M_UNKNOWN');
  t.notRegex(body.error, /secret internal detail/);
  const failure = log.lines().find((l) => l.msg === 'request failed');
  t.truthy(failure);
  t.is(typeof failure?.reqId, 'string');
});

test('CORS headers on every response, and OPTIONS answered without running the endpoint', async (t) => {
  const { url } = await stack(t);
  for (const res of [
    await fetch(`${url}/_matrix/client/v3/echo`),
    await fetch(`${url}/_matrix/client/v3/nothing-here`),
    await fetch(`${url}/_matrix/client/v3/boom`),
  ]) {
    t.is(res.headers.get('access-control-allow-origin'), '*');
    t.is(res.headers.get('access-control-allow-methods'), 'GET, POST, PUT, DELETE, OPTIONS');
    t.is(res.headers.get('access-control-allow-headers'), 'X-Requested-With, Content-Type, Authorization');
  }
  const preflight = await fetch(`${url}/_matrix/client/v3/boom`, { method: 'OPTIONS' });
  t.is(preflight.status, 204);
  t.is(preflight.headers.get('access-control-allow-origin'), '*');
});

test('request logs carry id, method, route template, status and duration, never a token', async (t) => {
  const { url, log } = await startStack(t, (router) => {
    router.get('/_matrix/client/v3/rooms/:roomId/state', (ctx) => {
      ctx.body = {};
    });
  });
  await fetch(`${url}/_matrix/client/v3/rooms/!abc:hs/state?access_token=syt_SECRET_TOKEN`, {
    headers: { Authorization: 'Bearer syt_OTHER_SECRET' },
  });
  const lines = log.lines();
  const entry = lines.find((l) => l.msg === 'request');
  t.truthy(entry);
  t.is(entry?.method, 'GET');
  t.is(entry?.route, '/_matrix/client/v3/rooms/:roomId/state');
  t.is(entry?.status, 200);
  t.is(typeof entry?.durationMs, 'number');
  t.is(typeof entry?.reqId, 'string');
  const all = JSON.stringify(lines);
  t.false(all.includes('SECRET'));
});

test('NUL characters in the path or query are refused with 400 M_INVALID_PARAM', async (t) => {
  const { url } = await stack(t);
  const inPath = await fetch(`${url}/_matrix/client/v3/echo%00x`);
  t.is(inPath.status, 400);
  t.is(((await inPath.json()) as { errcode: string }).errcode, 'M_INVALID_PARAM');
  const inQuery = await fetch(`${url}/_matrix/client/v3/echo?x=a%00b`);
  t.is(inQuery.status, 400);
  const badEncoding = await fetch(`${url}/_matrix/client/v3/echo%E0%A4%A`);
  t.is(badEncoding.status, 400);
});
