import test from 'ava';
import Router from '@koa/router';
import type { Context } from 'koa';
import { indexedRoutes } from '../../src/http/route-index.js';

type Dispatch = ReturnType<Router['routes']>;

/** What a dispatch did with a request: which handlers ran, in order, and with what parameters. */
async function run(dispatch: Dispatch, method: string, path: string): Promise<{ ran: string[]; params: unknown; route: unknown; fellThrough: boolean }> {
  const ran: string[] = [];
  const ctx = { method, path, request: {}, state: { ran }, host: 'hs.test' } as unknown as Context;
  let fellThrough = false;
  await dispatch(ctx as never, async () => {
    fellThrough = true;
  });
  return { ran, params: (ctx as unknown as { params?: unknown }).params, route: (ctx as unknown as { _matchedRoute?: unknown })._matchedRoute, fellThrough };
}

function routes(): Router {
  const router = new Router();
  const h = (name: string) => async (ctx: Context, next: () => Promise<unknown>) => {
    (ctx.state as { ran: string[] }).ran.push(name);
    await next();
  };
  router.use('/_matrix/client/v3/rooms', h('rooms middleware'));
  router.put('/_matrix/client/v3/rooms/:roomId/send/:eventType/:txnId', h('send'));
  router.get('/_matrix/client/v3/rooms/:roomId/state', h('state'));
  router.get('/_matrix/client/v3/rooms/:roomId/state/:eventType{/:stateKey}', h('state event'));
  router.post('/_matrix/client/v3/join/:roomIdOrAlias', h('join'));
  router.get('/_matrix/client/v3/sync', h('sync'));
  router.get('/_matrix/client/:version/capabilities', h('capabilities, any version'));
  router.get('/_matrix/media/v3/download/:serverName/:mediaId', h('download'));
  router.get('/_matrix/federation/v1/version', h('federation version'));
  router.get('/.well-known/matrix/client', h('well-known'));
  router.use(h('everything'));
  return router;
}

test('indexed dispatch runs the same layers, in the same order, with the same parameters as the whole router', async (t) => {
  const router = routes();
  const whole = router.routes();
  const indexed = indexedRoutes(router);
  const requests: Array<[string, string]> = [
    ['PUT', '/_matrix/client/v3/rooms/!a%3Ahs.test/send/m.room.message/t1'],
    ['PUT', '/_MATRIX/Client/V3/Rooms/!a%3Ahs.test/send/m.room.message/t1'],
    ['PUT', '/_matrix/client/v3/rooms/!a%3Ahs.test/send/m.room.message/t1/'],
    ['GET', '/_matrix/client/v3/rooms/!a%3Ahs.test/send/m.room.message/t1'],
    ['GET', '/_matrix/client/v3/rooms/!a%3Ahs.test/state'],
    ['GET', '/_matrix/client/v3/rooms/!a%3Ahs.test/state/m.room.member/%40u%3Ahs.test'],
    ['GET', '/_matrix/client/v3/rooms/!a%3Ahs.test/state/m.room.name'],
    ['GET', '/_matrix/client/v3/rooms'],
    ['GET', '/_matrix/client/v3/rooms/'],
    ['POST', '/_matrix/client/v3/join/%23room%3Ahs.test'],
    ['GET', '/_matrix/client/v3/sync'],
    ['GET', '/_matrix/client/v3/capabilities'],
    ['GET', '/_matrix/client/r0/capabilities'],
    ['GET', '/_matrix/media/v3/download/hs.test/abc'],
    ['GET', '/_matrix/federation/v1/version'],
    ['GET', '/.well-known/matrix/client'],
    ['GET', '/_matrix/client/v3/nothing/here/at/all'],
    ['GET', '/'],
    ['GET', ''],
  ];
  for (const [method, path] of requests) {
    t.deepEqual(await run(indexed, method, path), await run(whole, method, path), `${method} ${path}`);
  }
  t.deepEqual((await run(indexed, 'PUT', '/_matrix/client/v3/rooms/!a%3Ahs.test/send/m.room.message/t1')).ran, ['rooms middleware', 'send', 'everything']);
});

test('routes added after the first request are found', async (t) => {
  const router = routes();
  const indexed = indexedRoutes(router);
  t.like(await run(indexed, 'GET', '/_matrix/client/v3/rooms/!a/members'), { ran: [], fellThrough: true });
  router.get('/_matrix/client/v3/rooms/:roomId/members', async (ctx, next) => {
    (ctx.state as { ran: string[] }).ran.push('members');
    await next();
  });
  const after = await run(indexed, 'GET', '/_matrix/client/v3/rooms/!a/members');
  t.true(after.ran.includes('members'));
  t.deepEqual(after, await run(router.routes(), 'GET', '/_matrix/client/v3/rooms/!a/members'));
});

test('a request tests only the routes whose literal prefix could start its path, short literal paths included', async (t) => {
  const router = routes();
  const tested: string[] = [];
  for (const layer of router.stack) {
    const match = layer.match.bind(layer);
    layer.match = (path: string) => {
      tested.push(String(layer.path));
      return match(path);
    };
  }
  const indexed = indexedRoutes(router);
  const cases: Array<[string, string, string[]]> = [
    ['GET', '/_matrix/client/v3/sync', ['/_matrix/client/v3/sync', '/_matrix/client/:version/capabilities', '']],
    ['PUT', '/_matrix/client/v3/rooms/!a/send/m.room.message/t1', ['/_matrix/client/v3/rooms', '/_matrix/client/v3/rooms/:roomId/send/:eventType/:txnId', '/_matrix/client/v3/rooms/:roomId/state', '/_matrix/client/v3/rooms/:roomId/state/:eventType{/:stateKey}', '/_matrix/client/:version/capabilities', '']],
  ];
  for (const [method, path, expected] of cases) {
    tested.length = 0;
    await run(indexed, method, path);
    t.deepEqual(tested.map((p) => (p.startsWith('(') || p === '/' ? '' : p)), expected, path);
  }
});
