import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

/**
 * The shared known-answer vectors live beside the repository (../shared/vectors from its root);
 * HS_VECTORS_DIR points elsewhere when a checkout is laid out differently.
 */
export const vectorsDir =
  process.env.HS_VECTORS_DIR ??
  path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../../shared/vectors');

export function loadVector<T = unknown>(relativePath: string): T {
  return JSON.parse(readFileSync(path.join(vectorsDir, relativePath), 'utf8')) as T;
}
