import { createSignal, type Accessor } from 'solid-js';
import type { MatrixApi } from '../matrix/api';
import { MatrixError } from '../matrix/errors';
import { globalRuleset, isRoomMutedByRules, muteRule, type PushRuleset } from '../matrix/push-rules';
import type { JsonObject } from '../matrix/types';

/** Account data where rooms are muted on servers whose push rules cannot be changed. */
export const MUTE_TYPE = 'org.hearth.muted_rooms';

/**
 * The account's push rules (what notifies) and the per-room mute written as one of them: an
 * override rule, as other clients write it. Servers that cannot change push rules get the mute
 * in account data instead, which this client reads the same way.
 */
export class PushRulesState {
  private readonly fetched: Accessor<PushRuleset | undefined>;
  private readonly setFetched: (r: PushRuleset | undefined) => void;
  private asked = false;

  constructor(
    private readonly api: MatrixApi,
    private readonly userId: string,
    /** Global account data: reactive (for views) and as last synced (for writes). */
    private readonly accountData: () => Record<string, JsonObject>,
    private readonly latestAccountData: () => Record<string, JsonObject>,
  ) {
    [this.fetched, this.setFetched] = createSignal<PushRuleset | undefined>();
  }

  /** From sync's m.push_rules, else asked for once (again a minute after a failure). */
  rules(): PushRuleset | undefined {
    const synced = globalRuleset(this.accountData()['m.push_rules']);
    if (synced) return synced;
    if (!this.asked) {
      this.asked = true;
      void this.api
        .pushRules()
        .then((r) => this.setFetched(globalRuleset(r)))
        .catch(() => setTimeout(() => (this.asked = false), 60_000));
    }
    return this.fetched();
  }

  /** The rules changed on the server: ask again. */
  invalidate(): void {
    this.asked = false;
    this.setFetched(undefined);
  }

  isMuted(roomId: string): boolean {
    const rooms = this.accountData()[MUTE_TYPE]?.rooms;
    return isRoomMutedByRules(this.rules(), roomId) || (Array.isArray(rooms) && rooms.includes(roomId));
  }

  async setMuted(roomId: string, muted: boolean): Promise<void> {
    let ruleSet = false;
    try {
      if (muted) await this.api.setPushRule('override', roomId, muteRule(roomId));
      else
        await this.api.deletePushRule('override', roomId).catch((err: unknown) => {
          if (!(err instanceof MatrixError && err.errcode === 'M_NOT_FOUND')) throw err;
        });
      ruleSet = true;
      this.invalidate();
    } catch (err) {
      // No such endpoint (404 M_UNRECOGNIZED, or 405): push rules are read-only on this server.
      if (!(err instanceof MatrixError && (err.status === 404 || err.status === 405) && err.errcode !== 'M_NOT_FOUND')) throw err;
    }
    const current = (this.latestAccountData()[MUTE_TYPE]?.rooms as string[] | undefined) ?? [];
    const rooms = muted && !ruleSet ? [...new Set([...current, roomId])] : current.filter((r) => r !== roomId);
    if (rooms.length !== current.length || rooms.some((r, i) => r !== current[i])) await this.api.setAccountData(this.userId, MUTE_TYPE, { rooms });
  }
}
