import { isJsonObject, type JsonObject } from '../../../core/json.js';
import { errors } from '../../../http/errors.js';
import type { Logger } from '../../../log/logger.js';
import { KeyedQueue } from '../../../util/keyed-queue.js';
import type { ServerAclCheck } from '../auth/middleware.js';
import { MAX_TXN_EDUS, MAX_TXN_PDUS } from '../storage/outbound-queue.js';
import type { InboundTxnStore } from '../storage/inbound-txns.js';
import { applyServerAclToEdu } from './edu-acl.js';
import type { EduHandlers, InboundEdu } from './edus.js';

/** The outcome per PDU, keyed by event ID: `{}` when accepted, `{error}` when not. */
export type PduResults = Map<string, { error?: string }>;

/**
 * What the room layer implements to receive PDUs from `/send`: format, signature, hash and auth
 * checks, ACLs per PDU, persistence. The PDUs are as received, unchecked, in transaction order;
 * the result names each PDU by its event ID (which only the room version can compute).
 */
export interface InboundPduHandler {
  handlePdus(origin: string, pdus: readonly JsonObject[]): Promise<PduResults>;
}

export interface TransactionResponse {
  pdus: Record<string, { error?: string }>;
  [key: string]: unknown;
}

/** Answers are kept a day: senders retry a transaction until acknowledged, never for longer. */
export const TXN_RECORD_MS = 24 * 3600_000;

function parseList(body: Record<string, unknown>, field: 'pdus' | 'edus', max: number): unknown[] {
  const value = body[field];
  // Senders omit `edus` when there are none, and some omit an empty `pdus` too.
  if (value === undefined) return [];
  if (!Array.isArray(value)) throw errors.badJson(`${field} must be an array`);
  if (value.length > max) throw errors.badJson(`A transaction carries at most ${max} ${field.toUpperCase()}, this one has ${value.length}`);
  return value;
}

/**
 * `PUT /_matrix/federation/v1/send/{txnId}`: one origin's transactions are processed one at a
 * time in arrival order, and a transaction seen before gets the answer it got then.
 */
export class TransactionReceiver {
  private readonly perOrigin = new KeyedQueue();
  private pduHandler: InboundPduHandler | undefined;
  private aclCheck: ServerAclCheck | undefined;

  constructor(
    private readonly deps: {
      store: InboundTxnStore;
      edus: EduHandlers;
      log: Logger;
      now?: () => number;
    },
  ) {}

  setPduHandler(handler: InboundPduHandler): void {
    this.pduHandler = handler;
  }

  setAclCheck(check: ServerAclCheck): void {
    this.aclCheck = check;
  }

  acl(): ServerAclCheck | undefined {
    return this.aclCheck;
  }

  async receive(origin: string, txnId: string, body: Record<string, unknown>): Promise<TransactionResponse> {
    const pdus = parseList(body, 'pdus', MAX_TXN_PDUS);
    const edus = parseList(body, 'edus', MAX_TXN_EDUS);
    return (await this.perOrigin.run(origin, async () => {
      const seen = await this.deps.store.response(origin, txnId);
      if (seen) return seen;
      const response = await this.process(origin, pdus, edus);
      await this.deps.store.record(origin, txnId, response, (this.deps.now ?? Date.now)());
      return response;
    })) as TransactionResponse;
  }

  private async process(origin: string, rawPdus: unknown[], rawEdus: unknown[]): Promise<TransactionResponse> {
    // A PDU that is not even an object has no event ID to report it under: it is dropped.
    const pdus = rawPdus.filter(isJsonObject);
    const edus = rawEdus.filter((e): e is InboundEdu => isJsonObject(e) && typeof e['edu_type'] === 'string' && isJsonObject(e['content']));
    const [results] = await Promise.all([this.processPdus(origin, pdus), this.processEdus(origin, edus)]);
    return { pdus: Object.fromEntries(results) };
  }

  private async processPdus(origin: string, pdus: JsonObject[]): Promise<PduResults> {
    if (pdus.length === 0) return new Map();
    if (!this.pduHandler) {
      this.deps.log.debug({ origin, count: pdus.length }, 'no PDU handler yet; PDUs ignored');
      return new Map();
    }
    return this.pduHandler.handlePdus(origin, pdus);
  }

  private async processEdus(origin: string, edus: InboundEdu[]): Promise<void> {
    const acl = this.aclCheck;
    const kept: InboundEdu[] = [];
    for (const edu of edus) {
      const filtered = acl ? await applyServerAclToEdu(edu, origin, acl) : edu;
      if (filtered) kept.push(filtered);
    }
    await this.deps.edus.dispatch(origin, kept);
  }
}
