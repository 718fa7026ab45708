import * as sdk from '@matrix-org/matrix-sdk-crypto-wasm';
import type { HttpClient } from '../http';
import type { VerificationPhase, VerificationSnapshot } from './engine';
import { sendRequest, type OutgoingLike } from './requests';

/**
 * One interactive verification (SAS with emoji) with another device, driving matrix-sdk-crypto's
 * state machine: we only send what it asks and show what it computes.
 */
export class Verification {
  private sas: sdk.Sas | undefined;
  private listeners: Array<(s: VerificationSnapshot) => void> = [];
  private confirmed = false;

  constructor(
    private readonly request: sdk.VerificationRequest,
    private readonly http: HttpClient,
    private readonly machine: sdk.OlmMachine,
  ) {
    request.registerChangesCallback(() => this.changed());
  }

  onChange(listener: (s: VerificationSnapshot) => void): void {
    this.listeners.push(listener);
    listener(this.snapshot());
  }

  private async send(req: unknown): Promise<void> {
    if (!req) return;
    const r = req as OutgoingLike;
    const res = await sendRequest(this.http, r);
    if (r.id) await this.machine.markRequestAsSent(r.id, r.type, res);
  }

  private async changed(): Promise<void> {
    // The other side started SAS (or we did): take the Sas object and go along with it.
    if (!this.sas) {
      const v = this.request.getVerification();
      if (v instanceof sdk.Sas) this.adopt(v);
    }
    if (this.sas && !this.sas.weStarted() && !this.sas.hasBeenAccepted() && !this.sas.isCancelled()) {
      await this.send(this.sas.accept());
    }
    const s = this.snapshot();
    for (const l of this.listeners) l(s);
  }

  private adopt(sas: sdk.Sas): void {
    this.sas = sas;
    sas.registerChangesCallback(() => this.changed());
  }

  snapshot(): VerificationSnapshot {
    const r = this.request;
    let phase: VerificationPhase = 'requested';
    const p = r.phase();
    if (p === sdk.VerificationRequestPhase.Ready) phase = 'ready';
    if (p === sdk.VerificationRequestPhase.Transitioned) phase = 'started';
    if (this.sas?.canBePresented()) phase = this.confirmed ? 'confirmed' : 'emoji';
    if (r.isDone() || this.sas?.isDone()) phase = 'done';
    if (r.isCancelled() || this.sas?.isCancelled()) phase = 'cancelled';
    const emoji = phase === 'emoji' || phase === 'confirmed' ? (this.sas?.emoji() ?? []).map((e) => ({ symbol: e.symbol, description: e.description })) : [];
    return {
      flowId: r.flowId,
      otherUserId: r.otherUserId.toString(),
      otherDeviceId: r.otherDeviceId?.toString(),
      weStarted: r.weStarted(),
      phase,
      emoji,
      cancelReason: r.cancelInfo?.reason() ?? this.sas?.cancelInfo()?.reason(),
    };
  }

  /** The other side asked: say we are ready (SAS only). */
  async accept(): Promise<void> {
    await this.send(this.request.acceptWithMethods([sdk.VerificationMethod.SasV1]));
    await this.changed();
  }

  /** Both ready: the side that asked starts the emoji comparison. */
  async startSas(): Promise<void> {
    const started = await this.request.startSas();
    if (!started) return;
    const [sas, outgoing] = started;
    this.adopt(sas);
    await this.send(outgoing);
    await this.changed();
  }

  /** The emoji match on both screens. */
  async confirm(): Promise<void> {
    if (!this.sas) return;
    this.confirmed = true;
    for (const r of await this.sas.confirm()) await this.send(r);
    await this.changed();
  }

  async cancel(): Promise<void> {
    await this.send(this.sas && !this.sas.isDone() ? this.sas.cancel() : this.request.cancel());
    await this.changed();
  }
}
