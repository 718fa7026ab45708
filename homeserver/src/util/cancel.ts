/** What a long wait needs to learn that it should stop early. */
export interface Cancellation {
  readonly cancelled: boolean;
  /** Calls `fn` once on cancellation (at once if already cancelled); the returned function unregisters it. */
  onCancel(fn: () => void): () => void;
}

const noop = (): void => undefined;

/**
 * A cancellation flag with listeners. Each long-poll /sync needs one to stop waiting when its
 * client goes away; AbortController did the job, but building one (an EventTarget, and on abort a
 * DOMException with a stack) was a measurable share of a request at thousands a second.
 */
export class Cancel implements Cancellation {
  private done = false;
  private listeners: Array<() => void> | undefined;

  get cancelled(): boolean {
    return this.done;
  }

  cancel(): void {
    if (this.done) return;
    this.done = true;
    const listeners = this.listeners;
    this.listeners = undefined;
    if (listeners) for (const fn of listeners) fn();
  }

  onCancel(fn: () => void): () => void {
    if (this.done) {
      fn();
      return noop;
    }
    (this.listeners ??= []).push(fn);
    return () => {
      const i = this.listeners?.indexOf(fn) ?? -1;
      if (i >= 0) this.listeners!.splice(i, 1);
    };
  }
}
