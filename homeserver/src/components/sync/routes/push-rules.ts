import type Router from '@koa/router';
import type { Context } from 'koa';
import { z } from 'zod';
import { isPushRuleKind, type PushAction, type PushCondition, type PushRuleKind } from '../../../core/push-rules/defaults.js';
import { getRequester, requireAuth, type Authenticate } from '../../../http/auth.js';
import { jsonBody } from '../../../http/body.js';
import { errors } from '../../../http/errors.js';
import { changeRule, deleteRule, findRule, putRule, type PushRules } from '../push-rules.js';

const action = z.union([z.string(), z.looseObject({})]) as z.ZodType<PushAction>;
const condition = z.looseObject({ kind: z.string() }) as unknown as z.ZodType<PushCondition>;
const ruleBody = z.looseObject({
  actions: z.array(action),
  conditions: z.array(condition).optional(),
  pattern: z.string().optional(),
});
const enabledBody = z.looseObject({ enabled: z.boolean() });
const actionsBody = z.looseObject({ actions: z.array(action) });

const BASE = '/_matrix/client/v3/pushrules';

function kindOf(ctx: Context): PushRuleKind {
  const kind = ctx.params.kind!;
  if (!isPushRuleKind(kind)) throw errors.invalidParam(`Unknown push rule kind ${JSON.stringify(kind)}`);
  return kind;
}

function queryString(ctx: Context, name: string): string | undefined {
  const v = ctx.query[name];
  if (Array.isArray(v)) throw errors.invalidParam(`${name} may be given once`);
  return v === undefined || v === '' ? undefined : v;
}

/**
 * GET /_matrix/client/v3/pushrules/ and /pushrules/global/ — the user's rules merged with the defaults
 * GET/PUT/DELETE /_matrix/client/v3/pushrules/global/{kind}/{ruleId}
 * GET/PUT /_matrix/client/v3/pushrules/global/{kind}/{ruleId}/enabled
 * GET/PUT /_matrix/client/v3/pushrules/global/{kind}/{ruleId}/actions
 * Every change reaches the user's clients as `m.push_rules` account data in /sync.
 */
export function pushRuleRoutes(router: Router, rules: PushRules, authenticate: Authenticate): void {
  const auth = requireAuth(authenticate);
  const mine = (ctx: Context) => rules.forUser(getRequester(ctx).userId);

  router.get(`${BASE}/`, auth, async (ctx) => {
    ctx.body = { global: await mine(ctx) };
  });
  router.get(`${BASE}/global/`, auth, async (ctx) => {
    ctx.body = await mine(ctx);
  });

  router.get(`${BASE}/global/:kind/:ruleId`, auth, async (ctx) => {
    ctx.body = findRule(await mine(ctx), kindOf(ctx), ctx.params.ruleId!);
  });
  router.put(`${BASE}/global/:kind/:ruleId`, auth, async (ctx) => {
    const kind = kindOf(ctx);
    const placement = { before: queryString(ctx, 'before'), after: queryString(ctx, 'after') };
    const body = await jsonBody(ctx, ruleBody);
    const input = { actions: body.actions, conditions: body.conditions, pattern: body.pattern };
    await rules.change(getRequester(ctx).userId, (stored, defaults) => putRule(stored, defaults, kind, ctx.params.ruleId!, input, placement));
    ctx.body = {};
  });
  router.delete(`${BASE}/global/:kind/:ruleId`, auth, async (ctx) => {
    const kind = kindOf(ctx);
    await rules.change(getRequester(ctx).userId, (stored, defaults) => deleteRule(stored, defaults, kind, ctx.params.ruleId!));
    ctx.body = {};
  });

  router.get(`${BASE}/global/:kind/:ruleId/enabled`, auth, async (ctx) => {
    ctx.body = { enabled: findRule(await mine(ctx), kindOf(ctx), ctx.params.ruleId!).enabled };
  });
  router.put(`${BASE}/global/:kind/:ruleId/enabled`, auth, async (ctx) => {
    const kind = kindOf(ctx);
    const { enabled } = await jsonBody(ctx, enabledBody);
    await rules.change(getRequester(ctx).userId, (stored, defaults) => changeRule(stored, defaults, kind, ctx.params.ruleId!, { enabled }));
    ctx.body = {};
  });

  router.get(`${BASE}/global/:kind/:ruleId/actions`, auth, async (ctx) => {
    ctx.body = { actions: findRule(await mine(ctx), kindOf(ctx), ctx.params.ruleId!).actions };
  });
  router.put(`${BASE}/global/:kind/:ruleId/actions`, auth, async (ctx) => {
    const kind = kindOf(ctx);
    const { actions } = await jsonBody(ctx, actionsBody);
    await rules.change(getRequester(ctx).userId, (stored, defaults) => changeRule(stored, defaults, kind, ctx.params.ruleId!, { actions }));
    ctx.body = {};
  });
}
