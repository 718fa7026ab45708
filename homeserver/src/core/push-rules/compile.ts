import { isJsonObject } from '../json.js';
import { LruCache } from '../../util/lru.js';
import { LEGACY_MENTION_RULES, PUSH_RULE_KINDS, type PushCondition, type PushRule, type PushRuleKind } from './defaults.js';
import type { PushContext, PushEvent, PushOutcome } from './evaluate.js';

/**
 * Rules compiled once into closures. Sync evaluates every user's whole ruleset against every new
 * event of every room they are in (100 members × 200 messages/s is 20,000 evaluations a second),
 * so splitting a condition's path, lower-casing its pattern or working out a rule's outcome
 * on each evaluation is what it cost.
 */

type Test = (event: PushEvent, ctx: PushContext) => boolean;

export interface CompiledRule {
  /** A legacy body-matching rule: skipped for events that carry `m.mentions`. */
  readonly legacy: boolean;
  readonly test: Test;
  readonly outcome: PushOutcome;
}

const hasOwn = (o: object, k: string): boolean => Object.prototype.hasOwnProperty.call(o, k);

/**
 * Splits a dot-separated property path (appendix "Dot-separated property paths"): `\.` is a
 * literal dot and `\\` a literal backslash; any other backslash stays as it is.
 */
export function splitPath(path: string): string[] {
  const parts: string[] = [];
  let current = '';
  for (let i = 0; i < path.length; i++) {
    const ch = path[i]!;
    const next = path[i + 1];
    if (ch === '\\' && (next === '.' || next === '\\')) {
      current += next;
      i++;
    } else if (ch === '.') {
      parts.push(current);
      current = '';
    } else {
      current += ch;
    }
  }
  parts.push(current);
  return parts;
}

/** The value at an already split path through nested objects, or undefined when any step is missing. */
export function valueAtParts(event: PushEvent, parts: readonly string[]): unknown {
  let value: unknown = event;
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i]!;
    if (!isJsonObject(value) || !hasOwn(value, part)) return undefined;
    value = value[part];
  }
  return value;
}

const BODY = ['content', 'body'] as const;

/** `[A-Za-z0-9_]`, by character code: a regular expression per character was the hot spot. */
function isWordCode(code: number): boolean {
  return (code >= 48 && code <= 57) || (code >= 65 && code <= 90) || (code >= 97 && code <= 122) || code === 95;
}

export const isWordChar = (ch: string | undefined): boolean => ch !== undefined && ch.length > 0 && isWordCode(ch.charCodeAt(0));

/** Word character at index `i` of `s`; outside the string is no word character. */
const wordAt = (s: string, i: number): boolean => i >= 0 && i < s.length && isWordCode(s.charCodeAt(i));

/**
 * The lower-cased text last asked for: one event's body is matched against several phrases
 * (display name, @room, user name) in a row, so it is lower-cased once, not once per phrase.
 */
let lastText: string | undefined;
let lastLower = '';

function lower(text: string): string {
  if (text !== lastText) {
    lastText = text;
    lastLower = text.toLowerCase();
  }
  return lastLower;
}

/** Whether lower-cased `haystack` holds lower-cased `needle` between word boundaries. */
function containsLowerWords(haystack: string, needle: string): boolean {
  if (needle === '') return false;
  for (let at = haystack.indexOf(needle); at >= 0; at = haystack.indexOf(needle, at + 1)) {
    if (!wordAt(haystack, at - 1) && !wordAt(haystack, at + needle.length)) return true;
  }
  return false;
}

/**
 * Whether `text` holds `phrase` (taken literally) between word boundaries: the start or end of the
 * text, or a character outside `[A-Za-z0-9_]`. Case-insensitive.
 */
export function containsWords(text: string, phrase: string): boolean {
  if (phrase === '') return false;
  return containsLowerWords(lower(text), phrase.toLowerCase());
}

/** A glob pattern made ready to match many values. */
export type GlobMatcher = (value: string, words: boolean) => boolean;

/**
 * Glob matching (appendix "Glob-style matching": `*` any run of characters, `?` exactly one),
 * case-insensitive. The whole value by default; with `words`, any substring that starts and ends
 * at a word boundary, as `content.body` is matched.
 *
 * Runs the pattern as a small automaton over the value (time bounded by pattern × value length)
 * rather than as a regular expression, whose backtracking a pattern like `*a*a*a*b` could make
 * explode on a long body.
 */
export function compileGlob(pattern: string): GlobMatcher {
  const lowered = pattern.toLowerCase();
  if (!pattern.includes('*') && !pattern.includes('?')) {
    return (value, words) => (words ? containsLowerWords(lower(value), lowered) : value === pattern || value.toLowerCase() === lowered);
  }
  const p = Array.from(pattern, (c) => c.toLowerCase());
  return (value, words) => runGlob(p, value, words);
}

function runGlob(p: readonly string[], value: string, words: boolean): boolean {
  const chars = Array.from(value);
  const m = p.length;
  let active = new Uint8Array(m + 1);
  let next = new Uint8Array(m + 1);
  const isWord = (i: number): boolean => isWordChar(chars[i]);
  // Entering a position before stars also enters the positions after them (a star may match nothing).
  const enter = (set: Uint8Array, s: number): void => {
    set[s] = 1;
    while (s < m && p[s] === '*') set[++s] = 1;
  };
  for (let i = 0; ; i++) {
    if (words ? !isWord(i - 1) : i === 0) enter(active, 0);
    if (active[m] === 1 && (words ? !isWord(i) : i === chars.length)) return true;
    if (i === chars.length) return false;
    const c = chars[i]!.toLowerCase();
    next.fill(0);
    let any = false;
    for (let s = 0; s < m; s++) {
      if (active[s] !== 1) continue;
      const want = p[s]!;
      if (want === '*') enter(next, s);
      else if (want === '?' || want === c) enter(next, s + 1);
      else continue;
      any = true;
    }
    [active, next] = [next, active];
    // A whole-value match that lost every state cannot come back; a word match may start again later.
    if (!any && !words) return false;
  }
}

/** The values `event_property_is` and `event_property_contains` compare: non-compound canonical JSON. */
export function isComparable(value: unknown): value is string | number | boolean | null {
  return value === null || typeof value === 'string' || typeof value === 'boolean' || (typeof value === 'number' && Number.isSafeInteger(value));
}

const MEMBER_COUNT = /^(==|<=|>=|<|>)?([0-9]+)$/;

/** `room_member_count`'s `is` made into a test of a count; undefined when `is` is malformed. */
export function compileMemberCount(is: string): ((count: number) => boolean) | undefined {
  const m = MEMBER_COUNT.exec(is);
  if (!m) return undefined;
  const n = Number(m[2]);
  switch (m[1]) {
    case '<':
      return (count) => count < n;
    case '>':
      return (count) => count > n;
    case '<=':
      return (count) => count <= n;
    case '>=':
      return (count) => count >= n;
    default:
      return (count) => count === n;
  }
}

const never: Test = () => false;

/**
 * A test that reads only the event, remembering its answer for the last event it saw. Sync counts
 * a new event against every member's rules one member after another, with the same event object
 * each time, and most of those rules are the same compiled objects (`shared` below): all but the
 * first member get each such answer without walking the event again. Events are never changed
 * once stored; one parsed anew is another object and is tested afresh.
 */
function perEvent(test: (event: PushEvent) => boolean): Test {
  let last: PushEvent | undefined;
  let answer = false;
  return (event) => {
    if (event !== last) {
      answer = test(event);
      last = event;
    }
    return answer;
  };
}

function compileCondition(c: unknown): Test {
  if (!isJsonObject(c)) return never;
  switch (c.kind) {
    case 'event_match': {
      if (typeof c.key !== 'string' || typeof c.pattern !== 'string') return never;
      const parts = splitPath(c.key);
      const glob = compileGlob(c.pattern);
      const words = c.key === 'content.body';
      return perEvent((event) => {
        const value = valueAtParts(event, parts);
        return typeof value === 'string' && glob(value, words);
      });
    }
    case 'event_property_is': {
      if (typeof c.key !== 'string' || !isComparable(c.value)) return never;
      const parts = splitPath(c.key);
      const want = c.value;
      return perEvent((event) => valueAtParts(event, parts) === want);
    }
    case 'event_property_contains': {
      if (typeof c.key !== 'string' || !isComparable(c.value)) return never;
      const parts = splitPath(c.key);
      const want = c.value;
      return perEvent((event) => {
        const value = valueAtParts(event, parts);
        return Array.isArray(value) && value.some((v) => isComparable(v) && v === want);
      });
    }
    case 'contains_display_name':
      return (event, ctx) => {
        const body = valueAtParts(event, BODY);
        const name = ctx.displayName;
        return typeof body === 'string' && name !== undefined && name !== '' && containsWords(body, name);
      };
    case 'room_member_count': {
      const test = typeof c.is === 'string' ? compileMemberCount(c.is) : undefined;
      return test ? (_event, ctx) => test(ctx.memberCount) : never;
    }
    case 'sender_notification_permission': {
      if (typeof c.key !== 'string') return never;
      const key = c.key;
      return (event, ctx) => {
        const sender = event.sender;
        return typeof sender === 'string' && ctx.powerLevel(sender) >= ctx.notificationLevel(key);
      };
    }
    default:
      // The spec: unrecognised conditions never match, which disables their rule.
      return never;
  }
}

function compileConditions(conditions: readonly PushCondition[] | undefined): Test {
  const tests = (conditions ?? []).map(compileCondition);
  if (tests.length === 0) return () => true;
  if (tests.length === 1) return tests[0]!;
  return (event, ctx) => {
    for (let i = 0; i < tests.length; i++) if (!tests[i]!(event, ctx)) return false;
    return true;
  };
}

function compileTest(kind: PushRuleKind, rule: PushRule): Test {
  switch (kind) {
    case 'content': {
      if (typeof rule.pattern !== 'string') return never;
      const glob = compileGlob(rule.pattern);
      return perEvent((event) => {
        const body = valueAtParts(event, BODY);
        return typeof body === 'string' && glob(body, true);
      });
    }
    case 'room': {
      const id = rule.rule_id;
      return (event) => event.room_id === id;
    }
    case 'sender': {
      const id = rule.rule_id;
      return (event) => event.sender === id;
    }
    default:
      return compileConditions(rule.conditions);
  }
}

/**
 * Compiled rules by what they are (kind, ID, conditions, pattern, actions): most of every user's
 * ruleset is the server defaults, so most users share one compiled object per rule. Besides
 * compiling once, this is what makes evaluation fast: between two evaluations of one user's rules
 * the server touches plenty of other memory, and rules of their own would come back from the CPU
 * caches cold every time (measured ~30 µs an evaluation against ~2 µs for rules shared and warm).
 */
const shared = new LruCache<string, CompiledRule>(4096);

type OutcomeOf = (actions: PushRule['actions'], ruleId: string, kind: PushRuleKind) => PushOutcome;

function compileRule(kind: PushRuleKind, rule: PushRule, outcomeOf: OutcomeOf): CompiledRule {
  const key = JSON.stringify([kind, rule.rule_id, rule.conditions ?? null, rule.pattern ?? null, rule.actions ?? null]);
  let made = shared.get(key);
  if (!made) {
    made = {
      legacy: LEGACY_MENTION_RULES.has(rule.rule_id),
      test: compileTest(kind, rule),
      outcome: Object.freeze(outcomeOf(Array.isArray(rule.actions) ? rule.actions : [], rule.rule_id, kind)),
    };
    shared.set(key, made);
  }
  return made;
}

const compiledSets = new WeakMap<object, readonly CompiledRule[]>();

/**
 * A ruleset's enabled rules, compiled, in the order they are tried (kind order, then list order).
 * Compiled on first use and kept per ruleset object: a ruleset must not change once evaluated
 * (the server makes a new one on every change).
 */
export function compiledRuleset(rules: Readonly<Partial<Record<PushRuleKind, readonly PushRule[]>>>, outcomeOf: OutcomeOf): readonly CompiledRule[] {
  let list = compiledSets.get(rules);
  if (!list) {
    const out: CompiledRule[] = [];
    for (const kind of PUSH_RULE_KINDS) for (const rule of rules[kind] ?? []) if (rule.enabled) out.push(compileRule(kind, rule, outcomeOf));
    compiledSets.set(rules, (list = out));
  }
  return list;
}
