/**
 * Last-resort cleanup when the test process ends without closing its network (a crash, a timeout,
 * Ctrl-C): synchronous tasks, run once each, newest first, on `exit` and on the usual signals.
 * A normal close unregisters its tasks after doing the same work asynchronously.
 */

type Task = () => void;

const tasks = new Map<number, Task>();
let nextId = 0;
let installed = false;

function runAll(): void {
  const pending = [...tasks.entries()].reverse();
  tasks.clear();
  for (const [, task] of pending) {
    try {
      task();
    } catch {
      // Cleanup continues with the next task; there is no one left to report to.
    }
  }
}

function install(): void {
  if (installed) return;
  installed = true;
  process.on('exit', runAll);
  for (const [signal, code] of [['SIGINT', 130], ['SIGTERM', 143], ['SIGHUP', 129]] as const) {
    // Without a handler, a signal ends the process without 'exit' listeners running.
    process.once(signal, () => {
      runAll();
      process.exit(code);
    });
  }
}

/** Registers `task`; the returned function unregisters it (without running it). */
export function onProcessEnd(task: Task): () => void {
  install();
  const id = nextId++;
  tasks.set(id, task);
  return () => {
    tasks.delete(id);
  };
}
