import type { Context } from 'koa';
import type { z } from 'zod';
import { errors } from './errors.js';

const decoder = new TextDecoder('utf-8', { fatal: true });

/** Reads the raw request body, refusing more than `limit` bytes before buffering it all. */
export async function readRawBody(ctx: Context, limit: number): Promise<Buffer> {
  const declared = Number(ctx.get('content-length') || NaN);
  if (Number.isFinite(declared) && declared > limit) throw errors.tooLarge();
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of ctx.req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) {
      // Stop reading; the connection is closed after the response so the rest is not parsed.
      ctx.set('Connection', 'close');
      throw errors.tooLarge();
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks, size);
}

export interface ReadJsonOptions {
  /** Some endpoints (logout, leave) accept an absent body as `{}`. */
  allowEmpty?: boolean;
}

/** The request body as a JSON object: 400 M_NOT_JSON when it is not JSON, M_BAD_JSON when not an object. */
export async function readJsonObject(ctx: Context, options: ReadJsonOptions = {}): Promise<Record<string, unknown>> {
  const limit = (ctx.state as { maxJsonBodyBytes?: number }).maxJsonBodyBytes ?? 1024 * 1024;
  const raw = await readRawBody(ctx, limit);
  if (raw.length === 0 && options.allowEmpty) return {};
  let text: string;
  try {
    text = decoder.decode(raw);
  } catch {
    throw errors.notJson('Content is not valid UTF-8');
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw errors.notJson('Content not JSON.');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw errors.badJson('Content must be a JSON object.');
  }
  return value as Record<string, unknown>;
}

/** Checks a value against an endpoint's schema; the first problem becomes 400 M_BAD_JSON naming the field. */
export function validate<S extends z.ZodType>(schema: S, value: unknown): z.output<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const where = issue && issue.path.length > 0 ? `${issue.path.join('.')}: ` : '';
  throw errors.badJson(`${where}${issue?.message ?? 'invalid content'}`);
}

/** Reads and validates a JSON body in one step. */
export async function jsonBody<S extends z.ZodType>(ctx: Context, schema: S, options?: ReadJsonOptions): Promise<z.output<S>> {
  return validate(schema, await readJsonObject(ctx, options));
}
