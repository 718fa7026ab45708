import type { MatrixApi } from '../api';
import type { SyncResponse } from '../types';
import { SYNC_FILTER, type SyncTransport } from './transport';

/** Classic /sync long-polling: works with every homeserver. */
export class LongPollTransport implements SyncTransport {
  readonly kind = 'longpoll';

  constructor(
    private readonly api: MatrixApi,
    private readonly timeoutMs = 30_000,
  ) {}

  async run(since: string | undefined, onSync: (res: SyncResponse) => Promise<void>, signal: AbortSignal): Promise<void> {
    let token = since;
    const filter = JSON.stringify(SYNC_FILTER);
    while (!signal.aborted) {
      let res: SyncResponse;
      try {
        // The first request returns at once so the app fills in without waiting for news.
        res = await this.api.sync({ since: token, timeout: token ? this.timeoutMs : 0, filter }, signal);
      } catch (err) {
        if (signal.aborted) return;
        throw err;
      }
      await onSync(res);
      token = res.next_batch;
    }
  }
}
