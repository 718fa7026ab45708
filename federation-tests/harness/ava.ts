import type { TestFn } from 'ava';
import { startNetwork, type Network, type NetworkOptions } from './network.js';

const START_MS = 180_000;

/** Hooks see the test's title behind "beforeEach hook for …". */
const testTitle = (hookTitle: string): string => hookTitle.replace(/^\S+ hook for /, '');

/**
 * Gives a test file one network for all its tests: started before the first test, closed after
 * the last (also when tests fail). After a failed test, each server's last log lines written
 * during that test are printed; FEDERATION_TESTS_LOG_LINES changes how many (default 40).
 */
export function useNetwork(test: TestFn, options: NetworkOptions = {}): () => Network {
  let network: Network | undefined;
  const marks = new Map<string, Map<string, number>>();
  // Serial, so that the test file's own `before` hooks run after it, with the network up.
  test.serial.before(async (t) => {
    t.timeout(START_MS, 'starting three homeservers');
    network = await startNetwork(options);
  });
  test.beforeEach((t) => {
    if (network) marks.set(testTitle(t.title), network.logMarks());
  });
  test.afterEach.always((t) => {
    if (t.passed || !network) return;
    const lines = Number(process.env['FEDERATION_TESTS_LOG_LINES'] ?? 40);
    const title = testTitle(t.title);
    process.stderr.write(`\n"${title}" failed; what the servers logged meanwhile (last ${lines} lines each):\n${network.logTails(lines, marks.get(title))}\n`);
  });
  test.after.always(async () => {
    await network?.close();
  });
  return () => {
    if (!network) throw new Error('the network did not start');
    return network;
  };
}
