import { z } from 'zod';
import type { Knex } from '../../db/database.js';
import { MatrixError } from '../../http/errors.js';
import { newOpaqueId } from './ids.js';
import * as store from './storage/uia.js';
import { claimPendingUse, releasePendingUse } from './storage/registration-tokens.js';

/** The `auth` dict of a request; stage-specific keys are read by each stage. */
export const authDictSchema = z
  .object({
    type: z.string().optional(),
    session: z.string().max(255).optional(),
  })
  .passthrough();

export type AuthDict = z.infer<typeof authDictSchema>;

/** The 401 answer of user-interactive auth: not an error unless a stage failed, so no errcode then. */
export class UiaChallenge extends MatrixError {
  private readonly body: Record<string, unknown>;

  constructor(body: Record<string, unknown>, failure?: { errcode: string; error: string }) {
    super(401, failure?.errcode ?? 'M_UNAUTHORIZED', failure?.error ?? 'Additional authentication is required');
    this.body = failure ? { ...failure, ...body } : body;
  }

  override toJSON(): Record<string, unknown> {
    return this.body;
  }
}

export interface StageContext {
  db: Knex;
  session: store.UiaSessionRow;
  auth: AuthDict;
}

/** One auth type: resolves when the stage passed, or throws a StageFailure the client may retry. */
export type Stage = (c: StageContext) => Promise<void>;

export class StageFailure extends Error {
  constructor(
    readonly errcode: string,
    message: string,
  ) {
    super(message);
  }
}

export interface UiaRequest {
  /** Binds a session to one operation, so a session won for one request cannot authorise another. */
  operation: string;
  /** The user who must prove who they are; absent while registering. */
  userId?: string | undefined;
  flows: string[][];
  params?: Record<string, unknown>;
  auth: AuthDict | undefined;
}

export interface UiaResult {
  session: store.UiaSessionRow;
  /** Forgets the session once the operation is done. */
  finish(): Promise<void>;
  /** What finish would run, for an operation that commits it with its own writes. */
  finishing(): string[];
}

const SESSION_LIFETIME_MS = 60 * 60 * 1000;

/** User-Interactive Authentication: sessions, flows and the stages this server offers. */
export class Uia {
  private readonly stages = new Map<string, Stage>();

  constructor(
    private readonly db: Knex,
    private readonly now: () => number = Date.now,
  ) {
    this.stages.set('m.login.dummy', async () => undefined);
    this.stages.set('m.login.registration_token', registrationTokenStage(now));
  }

  addStage(type: string, stage: Stage): void {
    this.stages.set(type, stage);
  }

  /** Resolves when a flow is complete; otherwise throws the 401 challenge (or another error). */
  async check(req: UiaRequest): Promise<UiaResult> {
    const challenge = (session: store.UiaSessionRow, failure?: { errcode: string; error: string }): UiaChallenge =>
      new UiaChallenge(
        {
          flows: req.flows.map((stages) => ({ stages })),
          params: req.params ?? {},
          session: session.session_id,
          ...(session.completed.length > 0 ? { completed: session.completed } : {}),
        },
        failure,
      );

    let session: store.UiaSessionRow | undefined;
    const sessionId = req.auth?.session;
    if (sessionId !== undefined) {
      session = await store.getSession(this.db, sessionId);
      if (!session || this.now() - session.created_ts > SESSION_LIFETIME_MS) {
        throw new MatrixError(400, 'M_UNKNOWN', 'Unknown session ID');
      }
      if (session.operation !== req.operation || session.user_id !== (req.userId ?? null)) {
        throw new MatrixError(403, 'M_FORBIDDEN', 'Requested operation has changed during the UI authentication session.');
      }
    }
    // A new session is stored only once the client must come back with it: a flow completed by
    // its first request (m.login.dummy) writes nothing.
    const fresh = session === undefined;
    session ??= { session_id: newOpaqueId(), operation: req.operation, user_id: req.userId ?? null, completed: [], registration_token: null, created_ts: this.now() };
    const stored = session;
    const challengeStored = async (failure?: { errcode: string; error: string }): Promise<never> => {
      if (fresh) await store.insertSession(this.db, stored);
      throw challenge(stored, failure);
    };

    const done = (s: store.UiaSessionRow): boolean => req.flows.some((f) => f.every((stage) => s.completed.includes(stage)));
    let kept = !fresh;
    const finish = async (): Promise<void> => {
      if (kept) await store.deleteSession(this.db, stored.session_id);
    };
    const finishing = (): string[] => (kept ? [store.deleteSessionSql(stored.session_id)] : []);

    const type = req.auth?.type;
    if (type === undefined || done(session)) {
      // A bare session (a stage completed out of band), or a retry after completion.
      if (done(session)) return { session, finish, finishing };
      return challengeStored();
    }
    // The stage must be the next one of some flow whose earlier stages are complete.
    const allowed = req.flows.some((f) => {
      const i = f.indexOf(type);
      return i >= 0 && f.slice(0, i).every((s) => session.completed.includes(s)) && !session.completed.includes(type);
    });
    const stage = this.stages.get(type);
    if (!allowed || !stage) {
      return challengeStored({ errcode: 'M_UNRECOGNIZED', error: `Authentication type ${type} is not expected here` });
    }
    try {
      await stage({ db: this.db, session, auth: req.auth! });
    } catch (err) {
      if (err instanceof StageFailure) return challengeStored({ errcode: err.errcode, error: err.message });
      throw err;
    }
    session.completed = [...session.completed, type];
    // A held registration-token use is given back by the sweep of expired sessions, should the
    // operation fail: that needs the row.
    if (fresh && (!done(session) || session.registration_token !== null)) {
      await store.insertSession(this.db, session);
      kept = true;
    } else if (!fresh) {
      await store.updateSession(this.db, session.session_id, { completed: session.completed, registration_token: session.registration_token });
    }
    if (done(session)) return { session, finish, finishing };
    throw challenge(session);
  }

  /** Drops expired sessions and gives back the registration-token uses they held. */
  async sweep(): Promise<void> {
    const held = await store.deleteExpiredSessions(this.db, this.now() - SESSION_LIFETIME_MS);
    for (const token of held) await releasePendingUse(this.db, token);
  }
}

function registrationTokenStage(now: () => number): Stage {
  return async ({ db, session, auth }) => {
    const token = auth.token;
    if (typeof token !== 'string' || token.length === 0 || token.length > 64) throw new StageFailure('M_UNAUTHORIZED', 'Invalid registration token');
    if (!(await claimPendingUse(db, token, now()))) throw new StageFailure('M_UNAUTHORIZED', 'Invalid registration token');
    session.registration_token = token;
  };
}
