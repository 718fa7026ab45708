import type { Knex } from 'knex';
import { isJsonObject } from '../../core/json.js';
import {
  defaultPushRules,
  MASTER_RULE,
  PUSH_RULE_KINDS,
  type PushAction,
  type PushCondition,
  type PushRule,
  type PushRuleKind,
  type PushRuleset,
} from '../../core/push-rules/defaults.js';
import { errors } from '../../http/errors.js';
import { KeyedQueue } from '../../util/keyed-queue.js';
import { LruCache } from '../../util/lru.js';

/** A rule the user made: the fields a client sent, plus whether it is enabled. */
interface UserRule {
  rule_id: string;
  enabled: boolean;
  actions: PushAction[];
  conditions?: PushCondition[];
  pattern?: string;
}

/**
 * What is stored of one user's push rules: their own rules of each kind, most important first,
 * and what they changed of the server-default rules (keyed `kind/ruleId`). The defaults
 * themselves are not stored, so a server that updates them updates them for everyone.
 */
export interface UserPushRules {
  rules: Record<PushRuleKind, UserRule[]>;
  defaults: Record<string, { enabled?: boolean; actions?: PushAction[] }>;
}

/** The body of PUT /pushrules/global/{kind}/{ruleId}, once its shape is checked. */
export interface RuleInput {
  actions: PushAction[];
  conditions?: PushCondition[];
  pattern?: string;
}

export interface Placement {
  before?: string;
  after?: string;
}

function emptyRules(): UserPushRules {
  return { rules: { override: [], content: [], room: [], sender: [], underride: [] }, defaults: {} };
}

/** Reads a stored row leniently: a kind missing from it has no rules. */
function parseStored(value: unknown): UserPushRules {
  const out = emptyRules();
  const raw = (typeof value === 'string' ? JSON.parse(value) : value) as Partial<UserPushRules> | null;
  if (!raw || typeof raw !== 'object') return out;
  for (const kind of PUSH_RULE_KINDS) {
    const list = raw.rules?.[kind];
    if (Array.isArray(list)) out.rules[kind] = list;
  }
  if (isJsonObject(raw.defaults)) out.defaults = raw.defaults as UserPushRules['defaults'];
  return out;
}

const defaultKey = (kind: PushRuleKind, ruleId: string): string => `${kind}/${ruleId}`;

/** A user's rule as clients see it: room and sender rules carry no conditions, their rule ID is it. */
function ruleView(kind: PushRuleKind, r: UserRule): PushRule {
  const view: PushRule = { rule_id: r.rule_id, default: false, enabled: r.enabled, actions: r.actions };
  if (kind === 'override' || kind === 'underride') view.conditions = r.conditions ?? [];
  if (kind === 'content' && r.pattern !== undefined) view.pattern = r.pattern;
  return view;
}

/**
 * The ruleset the user lives with: the server-default rules with the user's changes to them, the
 * user's own rules ahead of the defaults of their kind, and `.m.rule.master` ahead of everything.
 */
export function mergeRules(userId: string, stored: UserPushRules | undefined): PushRuleset {
  const defaults = defaultPushRules(userId);
  const out = {} as PushRuleset;
  for (const kind of PUSH_RULE_KINDS) {
    const own = (stored?.rules[kind] ?? []).map((r) => ruleView(kind, r));
    const builtIn = defaults[kind].map((r) => {
      const change = stored?.defaults[defaultKey(kind, r.rule_id)];
      if (!change) return r;
      return { ...r, enabled: change.enabled ?? r.enabled, actions: change.actions ?? r.actions };
    });
    const master = builtIn.filter((r) => r.rule_id === MASTER_RULE);
    out[kind] = [...master, ...own, ...builtIn.filter((r) => r.rule_id !== MASTER_RULE)];
  }
  return out;
}

const KNOWN_ACTIONS = new Set(['notify', 'dont_notify', 'coalesce']);

/** Actions are `notify` (or a historical string the evaluator ignores) or `{ set_tweak, value? }`. */
export function checkActions(actions: readonly PushAction[]): void {
  for (const a of actions) {
    if (typeof a === 'string' ? KNOWN_ACTIONS.has(a) : typeof a.set_tweak === 'string') continue;
    throw errors.invalidParam(`Unrecognised action ${JSON.stringify(a)}`);
  }
}

const isDefault = (ruleset: PushRuleset, kind: PushRuleKind, ruleId: string): boolean => ruleset[kind].some((r) => r.rule_id === ruleId);

/**
 * Creates or replaces a user rule (PUT /pushrules/global/{kind}/{ruleId}). A new rule is enabled
 * and, unless placed, the most important of its kind; a replaced one keeps its place and its
 * enabled flag unless placed. `before` wins when both are given.
 */
export function putRule(stored: UserPushRules, defaults: PushRuleset, kind: PushRuleKind, ruleId: string, input: RuleInput, placement: Placement): void {
  if (ruleId.includes('/') || ruleId.includes('\\')) throw errors.invalidParam('Rule IDs may not contain slashes or backslashes');
  if (ruleId.startsWith('.')) {
    if (isDefault(defaults, kind, ruleId)) throw errors.badState('Server-default rules cannot be replaced; change their actions or enabled flag instead');
    throw errors.invalidParam('Rule IDs starting with "." are reserved for server-default rules');
  }
  checkActions(input.actions);
  if (kind === 'content' && input.pattern === undefined) throw errors.missingParam('A content rule needs a pattern');
  const list = stored.rules[kind];
  const at = list.findIndex((r) => r.rule_id === ruleId);
  const rule: UserRule = { rule_id: ruleId, enabled: at >= 0 ? list[at]!.enabled : true, actions: input.actions };
  if (kind === 'override' || kind === 'underride') rule.conditions = input.conditions ?? [];
  if (kind === 'content') rule.pattern = input.pattern;

  const anchorId = placement.before ?? placement.after;
  if (anchorId === undefined) {
    if (at >= 0) list[at] = rule;
    else list.unshift(rule);
    return;
  }
  if (anchorId.startsWith('.')) throw errors.badState(`A rule cannot be placed relative to the server-default rule ${anchorId}`);
  const rest = list.filter((r) => r.rule_id !== ruleId);
  const anchor = rest.findIndex((r) => r.rule_id === anchorId);
  if (anchor < 0) throw errors.badState(`before/after rule not found: ${anchorId}`);
  rest.splice(placement.before !== undefined ? anchor : anchor + 1, 0, rule);
  stored.rules[kind] = rest;
}

export function deleteRule(stored: UserPushRules, defaults: PushRuleset, kind: PushRuleKind, ruleId: string): void {
  if (isDefault(defaults, kind, ruleId)) throw errors.badState('Server-default rules cannot be deleted; disable them instead');
  const list = stored.rules[kind];
  const at = list.findIndex((r) => r.rule_id === ruleId);
  if (at < 0) throw errors.notFound('The push rule was not found.');
  list.splice(at, 1);
}

/** Changes the enabled flag or the actions of a user rule or a server-default one. */
export function changeRule(stored: UserPushRules, defaults: PushRuleset, kind: PushRuleKind, ruleId: string, change: { enabled?: boolean; actions?: PushAction[] }): void {
  if (change.actions) checkActions(change.actions);
  if (isDefault(defaults, kind, ruleId)) {
    const key = defaultKey(kind, ruleId);
    stored.defaults[key] = { ...stored.defaults[key], ...change };
    return;
  }
  const rule = stored.rules[kind].find((r) => r.rule_id === ruleId);
  if (!rule) throw errors.notFound('The push rule was not found.');
  if (change.enabled !== undefined) rule.enabled = change.enabled;
  if (change.actions !== undefined) rule.actions = change.actions;
}

export function findRule(ruleset: PushRuleset, kind: PushRuleKind, ruleId: string): PushRule {
  const rule = ruleset[kind].find((r) => r.rule_id === ruleId);
  if (!rule) throw errors.notFound('The push rule was not found.');
  return rule;
}

const T = 'push_rules';

/**
 * Users' push rules: stored per user, kept merged with the defaults in memory (sync evaluates
 * them for every unread count), and changed one request at a time per user so that the
 * `m.push_rules` account data written after each change is never older than the rules.
 */
export class PushRules {
  private readonly cache = new LruCache<string, PushRuleset>(50_000);
  private readonly queue = new KeyedQueue();
  /** Moves on every change, so that a read that raced a change does not cache what it read. */
  private generation = 0;

  constructor(
    private readonly db: Knex,
    /** After a change: publishes the new ruleset (as `m.push_rules` account data). */
    private readonly onChanged: (userId: string, ruleset: PushRuleset) => Promise<void>,
  ) {}

  /** The user's merged ruleset. Shared with other readers: never change it. */
  async forUser(userId: string): Promise<PushRuleset> {
    const hit = this.cache.get(userId);
    if (hit) return hit;
    const generation = this.generation;
    const row = (await this.db(T).select('rules').where('user_id', userId).first()) as { rules: unknown } | undefined;
    const ruleset = mergeRules(userId, row ? parseStored(row.rules) : undefined);
    if (generation === this.generation) this.cache.set(userId, ruleset);
    return ruleset;
  }

  /**
   * Applies `edit` to the user's stored rules in one transaction (an edit that throws changes
   * nothing), then publishes the result.
   */
  change(userId: string, edit: (stored: UserPushRules, defaults: PushRuleset) => void): Promise<PushRuleset> {
    return this.queue.run(userId, async () => {
      const stored = await this.db.transaction(async (trx) => {
        await trx(T).insert({ user_id: userId, rules: JSON.stringify(emptyRules()) }).onConflict('user_id').ignore();
        const row = (await trx(T).select('rules').where('user_id', userId).forUpdate().first()) as { rules: unknown };
        const current = parseStored(row.rules);
        edit(current, defaultPushRules(userId));
        await trx(T).where('user_id', userId).update({ rules: JSON.stringify(current) });
        return current;
      });
      this.generation++;
      const ruleset = mergeRules(userId, stored);
      this.cache.set(userId, ruleset);
      await this.onChanged(userId, ruleset);
      return ruleset;
    });
  }

  /** The account is gone: so are its rules. */
  async deleteUser(userId: string): Promise<void> {
    await this.queue.run(userId, async () => {
      await this.db(T).where('user_id', userId).delete();
      this.generation++;
      this.cache.delete(userId);
    });
  }
}
