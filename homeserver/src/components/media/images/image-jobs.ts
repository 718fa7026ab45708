import { availableParallelism } from 'node:os';
import sharp from 'sharp';

// libvips threads per image: with a few images at once this keeps the machine's cores busy
// without each job fanning out over all of them.
sharp.concurrency(2);
// libvips' operation cache helps repeated work on one image; ours are one-shot and would only
// hold memory.
sharp.cache(false);

/**
 * Bounds the image work in flight. sharp runs on libuv's thread pool, which file reads and DNS
 * lookups share: unbounded decoding would starve them and grow memory with every upload.
 */
export class ImageJobs {
  private running = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(readonly limit = Math.max(1, Math.min(4, availableParallelism() - 1))) {}

  async run<T>(job: () => Promise<T>): Promise<T> {
    if (this.running >= this.limit) await new Promise<void>((resolve) => this.waiting.push(resolve));
    this.running++;
    try {
      return await job();
    } finally {
      this.running--;
      this.waiting.shift()?.();
    }
  }
}
