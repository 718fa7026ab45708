import type { PDU } from '../../core/events.js';
import type { PushRuleset } from '../../core/push-rules/defaults.js';
import { evaluatePushRules, type PushContext } from '../../core/push-rules/evaluate.js';

/** How many of `pdus` the user's push rules make notify, and how many of those highlight. */
export function countNotifying(rules: PushRuleset, pdus: ReadonlyArray<Readonly<PDU>>, ctx: PushContext): { notifications: number; highlights: number } {
  let notifications = 0;
  let highlights = 0;
  for (const pdu of pdus) {
    const outcome = evaluatePushRules(rules, pdu, ctx);
    if (outcome.notify) notifications++;
    if (outcome.notify && outcome.highlight) highlights++;
  }
  return { notifications, highlights };
}
