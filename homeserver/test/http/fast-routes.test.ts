import test from 'ava';
import { authErrors, type Authenticate } from '../../src/http/auth.js';
import { errors } from '../../src/http/errors.js';
import type { HttpMetrics } from '../../src/metrics/http.js';
import { startStack } from '../helpers/app.js';

const PATH = '/_matrix/client/v3/fast';

/** Accepts one token; any other is unknown, as the users component answers. */
const authenticate: Authenticate = async (token, client) => {
  if (token !== 'good') throw authErrors.unknownToken();
  return { userId: `@alice:test|${client.ip}`, deviceId: 'DEV', isAdmin: false };
};

async function stack(t: Parameters<typeof startStack>[0], metrics?: HttpMetrics) {
  return startStack(
    t,
    (router) => {
      // The same path in koa: a request the fast route takes must never get here.
      router.get(PATH, (ctx) => {
        ctx.body = { via: 'koa' };
      });
      router.post(PATH, (ctx) => {
        ctx.body = { via: 'koa-post' };
      });
    },
    {
      metrics,
      fast: {
        authenticate,
        mount: (routes) =>
          routes.get(PATH, async (_req, query, requester) => {
            const what = query.get('what');
            if (what === 'boom') throw new Error('secret internal detail');
            if (what === 'slow-down') throw errors.limitExceeded(2500);
            if (what === 'bad') throw errors.invalidParam('what is bad');
            return Buffer.from(JSON.stringify({ via: 'fast', user: requester.userId, what: what ?? null }));
          }),
      },
    },
  );
}

const CORS = ['access-control-allow-origin', 'access-control-allow-methods', 'access-control-allow-headers'];

test('a fast route answers its GET with the JSON, content headers and CORS headers koa gives', async (t) => {
  const { url } = await stack(t);
  const res = await fetch(`${url}${PATH}?what=caf%C3%A9+au+lait`, { headers: { authorization: 'Bearer good' } });
  t.is(res.status, 200);
  t.is(res.headers.get('content-type'), 'application/json; charset=utf-8');
  const text = await res.text();
  t.is(res.headers.get('content-length'), String(Buffer.byteLength(text)));
  t.deepEqual(JSON.parse(text), { via: 'fast', user: '@alice:test|127.0.0.1', what: 'café au lait' });
  for (const h of CORS) t.truthy(res.headers.get(h), h);
  t.is(res.headers.get('access-control-allow-origin'), '*');
});

test('the access token may come as the access_token parameter', async (t) => {
  const { url } = await stack(t);
  const res = await fetch(`${url}${PATH}?access_token=good`);
  t.is(res.status, 200);
  t.is(((await res.json()) as { via: string }).via, 'fast');
});

test('no token, or an unknown one: the 401s of the spec, with CORS headers', async (t) => {
  const { url } = await stack(t);
  const missing = await fetch(`${url}${PATH}`);
  t.is(missing.status, 401);
  t.deepEqual(await missing.json(), { errcode: 'M_MISSING_TOKEN', error: 'Missing access token' });
  t.is(missing.headers.get('access-control-allow-origin'), '*');
  const unknown = await fetch(`${url}${PATH}`, { headers: { authorization: 'Bearer nope' } });
  t.is(unknown.status, 401);
  t.like(await unknown.json(), { errcode: 'M_UNKNOWN_TOKEN', soft_logout: false });
  // A malformed Authorization header is no token, even with one in the query.
  const malformed = await fetch(`${url}${PATH}?access_token=good`, { headers: { authorization: 'Basic abc' } });
  t.is(malformed.status, 401);
  t.like(await malformed.json(), { errcode: 'M_MISSING_TOKEN' });
});

test('errors from the handler: Matrix errors as they are, with their headers; others a bare 500, logged', async (t) => {
  const { url, log } = await stack(t);
  const auth = { authorization: 'Bearer good' };
  const bad = await fetch(`${url}${PATH}?what=bad`, { headers: auth });
  t.is(bad.status, 400);
  t.deepEqual(await bad.json(), { errcode: 'M_INVALID_PARAM', error: 'what is bad' });
  const limited = await fetch(`${url}${PATH}?what=slow-down`, { headers: auth });
  t.is(limited.status, 429);
  t.is(limited.headers.get('retry-after'), '3');
  t.like(await limited.json(), { errcode: 'M_LIMIT_EXCEEDED', retry_after_ms: 2500 });
  const boom = await fetch(`${url}${PATH}?what=boom`, { headers: auth });
  t.is(boom.status, 500);
  const body = await boom.text();
  t.deepEqual(JSON.parse(body), { errcode: 'M_UNKNOWN', error: 'Internal server error' });
  t.notRegex(body, /secret/);
  const failed = log.lines().find((l) => l.msg === 'request failed');
  t.truthy(failed);
  t.is(failed?.route, PATH);
  t.truthy(failed?.reqId);
});

test('a NUL in the query is refused as koa refuses it', async (t) => {
  const { url } = await stack(t);
  const res = await fetch(`${url}${PATH}?what=a%00b`, { headers: { authorization: 'Bearer good' } });
  t.is(res.status, 400);
  t.like(await res.json(), { errcode: 'M_INVALID_PARAM' });
});

test('other methods and other spellings of the path go to koa', async (t) => {
  const { url } = await stack(t);
  const post = await fetch(`${url}${PATH}`, { method: 'POST', headers: { authorization: 'Bearer good' } });
  t.deepEqual(await post.json(), { via: 'koa-post' });
  const slash = await fetch(`${url}${PATH}/`, { headers: { authorization: 'Bearer good' } });
  t.deepEqual(await slash.json(), { via: 'koa' });
  const options = await fetch(`${url}${PATH}`, { method: 'OPTIONS' });
  t.is(options.status, 204);
  t.is(options.headers.get('access-control-allow-origin'), '*');
});

test('each answer is measured under its route and logged at info, without its query', async (t) => {
  const seen: Array<[string, string, number]> = [];
  const metrics: HttpMetrics = { observe: (method, route, status) => void seen.push([method, route, status]) };
  const { url, log } = await stack(t, metrics);
  await (await fetch(`${url}${PATH}?access_token=good`)).text();
  await (await fetch(`${url}${PATH}`)).text();
  t.deepEqual(seen, [
    ['GET', PATH, 200],
    ['GET', PATH, 401],
  ]);
  const lines = log.lines().filter((l) => l.msg === 'request');
  t.is(lines.length, 2);
  t.like(lines[0], { method: 'GET', route: PATH, path: PATH, status: 200 });
  t.notRegex(JSON.stringify(lines), /access_token|good/);
});
