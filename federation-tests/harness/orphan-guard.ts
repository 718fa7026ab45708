/**
 * Loaded into each homeserver child with `--import`: the harness holds the write end of the
 * child's stdin, and the operating system closes it however the harness ends (even SIGKILL). When
 * it closes, the server stops as on SIGTERM, and is killed outright if that takes too long, so no
 * server outlives the tests that started it.
 */

const HARD_EXIT_MS = 5000;

process.stdin.on('end', () => {
  setTimeout(() => process.exit(1), HARD_EXIT_MS).unref();
  process.kill(process.pid, 'SIGTERM');
});
process.stdin.on('error', () => process.kill(process.pid, 'SIGTERM'));
process.stdin.resume();
// Reading stdin must not by itself keep the server alive once it has stopped.
(process.stdin as unknown as { unref?: () => void }).unref?.();
