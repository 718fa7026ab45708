import Router from '@koa/router';

type Layer = Router['stack'][number];
type Dispatch = ReturnType<Router['routes']>;

/** Paths are grouped by their first four segments: `/_matrix/client/v3/rooms`. */
const KEY_SLASHES = 5;

/** The path up to (not including) its fifth slash, or all of it. */
function keyOf(path: string): string {
  let at = -1;
  for (let i = 0; i < KEY_SLASHES; i++) {
    at = path.indexOf('/', at + 1);
    if (at < 0) return path;
  }
  return path.slice(0, at);
}

/** The literal start of a route's path, before its first parameter, wildcard or group. */
function literalPrefix(layer: Layer): string {
  if (typeof layer.path !== 'string') return '';
  const at = layer.path.search(/[:*?+(){}[\]!\\]/);
  return (at < 0 ? layer.path : layer.path.slice(0, at)).toLowerCase();
}

interface Index {
  layers: number;
  groups: Map<string, Dispatch>;
}

/**
 * The router's dispatch, asking each request's path of only the routes that could match it.
 * @koa/router tests every route's regular expression against every request, a visible part of a
 * small request's cost with a few hundred routes. A route can match a path only if its literal
 * prefix is a prefix of the path, so the routes sharing a path's first segments (or whose prefix is
 * shorter) are all that can: the same layers, in the same order, run as the whole router would run
 * them. Paths of no known group go to the whole router.
 */
export function indexedRoutes(router: Router): Dispatch {
  const whole = router.routes();
  let index: Index | undefined;
  return (ctx, next) => {
    if (index?.layers !== router.stack.length) index = build(router);
    // Routes match case-insensitively by default; lower case only ever joins more routes to a group.
    const group = index.groups.get(keyOf(ctx.path.toLowerCase()));
    return (group ?? whole)(ctx, next);
  };
}

function build(router: Router): Index {
  const prefixes = router.stack.map((layer) => ({ layer, prefix: literalPrefix(layer) }));
  // Any key gives a correct group (every route whose prefix could start a path of that key);
  // the keys made are those of the routes' prefixes, so that a fully literal path such as
  // /_matrix/client/v3/sync has a group too.
  const keys = new Set(prefixes.map(({ prefix }) => keyOf(prefix)));
  const groups = new Map<string, Dispatch>();
  for (const key of keys) {
    const sub = new Router(router.opts);
    sub.stack = prefixes.filter(({ prefix }) => prefix.startsWith(key) || key.startsWith(prefix)).map(({ layer }) => layer);
    groups.set(key, sub.routes());
  }
  return { layers: router.stack.length, groups };
}
