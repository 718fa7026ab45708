import { registerUser, type MatrixUser } from './client.js';
import type { Network } from './network.js';

/** Registers one user per entry (`{ alice: 'hs1.test' }`) and gives each an initial sync. */
export async function registerCast<K extends string>(network: Network, homes: Record<K, string>): Promise<Record<K, MatrixUser>> {
  const entries = await Promise.all(
    Object.entries<string>(homes).map(async ([localpart, server]) => {
      const user = await registerUser(network.server(server), network.sharedSecret, localpart);
      await user.syncOnce();
      return [localpart, user] as const;
    }),
  );
  return Object.fromEntries(entries) as Record<K, MatrixUser>;
}

/**
 * Steps of a scenario that later tests build on (a room everyone joined): a later test fails at
 * once with the reason instead of waiting out its own timeouts on a room that never formed.
 */
export class Prerequisite<T> {
  private value: T | undefined;
  private failure: string | undefined;

  constructor(private readonly what: string) {}

  async establish(make: () => Promise<T>): Promise<T> {
    try {
      this.value = await make();
      return this.value;
    } catch (err) {
      this.failure = err instanceof Error ? err.message : String(err);
      throw err;
    }
  }

  get(): T {
    if (this.value !== undefined) return this.value;
    throw new Error(`needs ${this.what}, which failed earlier: ${this.failure ?? 'not set up'}`);
  }
}
