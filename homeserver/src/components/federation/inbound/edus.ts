import type { JsonObject } from '../../../core/json.js';
import type { Logger } from '../../../log/logger.js';

export interface InboundEdu {
  edu_type: string;
  content: JsonObject;
}

/** Handles one received EDU of the type it was registered for; `origin` is the authenticated sender. */
export type EduHandler = (origin: string, content: JsonObject) => Promise<void> | void;

/** EDU handlers by type; the components that own each kind of data register theirs. */
export class EduHandlers {
  private readonly handlers = new Map<string, Set<EduHandler>>();

  constructor(private readonly log: Logger) {}

  register(eduType: string, handler: EduHandler): () => void {
    let set = this.handlers.get(eduType);
    if (!set) this.handlers.set(eduType, (set = new Set()));
    set.add(handler);
    return () => set.delete(handler);
  }

  /** Runs the handlers of each EDU. A failing handler is logged; EDUs are not retried by the sender anyway. */
  async dispatch(origin: string, edus: readonly InboundEdu[]): Promise<void> {
    for (const edu of edus) {
      const set = this.handlers.get(edu.edu_type);
      if (!set || set.size === 0) {
        this.log.debug({ origin, eduType: edu.edu_type }, 'no handler for EDU type; ignored');
        continue;
      }
      for (const handler of set) {
        try {
          await handler(origin, edu.content);
        } catch (err) {
          this.log.warn({ err, origin, eduType: edu.edu_type }, 'EDU handler failed');
        }
      }
    }
  }
}
