/** Waiting for something another server does, with a deadline that names what never came. */

export const DEFAULT_WAIT_MS = 15_000;

export class WaitTimeout extends Error {
  override name = 'WaitTimeout';
}

/**
 * Calls `probe` until it returns a value other than undefined/false (which is returned), every
 * `intervalMs`; throws WaitTimeout naming `what` (and the last error `probe` threw, if any).
 */
export async function eventually<T>(what: string, probe: () => Promise<T | undefined | false> | T | undefined | false, timeoutMs = DEFAULT_WAIT_MS, intervalMs = 200): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined && value !== false) return value;
      lastError = undefined;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() >= deadline) {
      const cause = lastError instanceof Error ? ` (last error: ${lastError.message})` : '';
      throw new WaitTimeout(`timed out after ${timeoutMs / 1000} s waiting for ${what}${cause}`);
    }
    await sleep(intervalMs);
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
