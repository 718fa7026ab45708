import type { Context, Middleware } from 'koa';
import { z } from 'zod';
import { errors } from '../../../http/errors.js';

/** An integer query parameter; values above `max` are lowered to it, as servers do with limits. */
export const queryInteger = (o: { min?: number; max?: number } = {}) =>
  z
    .string()
    .regex(/^-?\d+$/, 'must be an integer')
    .transform(Number)
    .pipe(
      z
        .number()
        .int()
        .min(o.min ?? Number.MIN_SAFE_INTEGER)
        .max(Number.MAX_SAFE_INTEGER),
    )
    .transform((n) => (o.max !== undefined ? Math.min(n, o.max) : n));

/** PostgreSQL text cannot hold NUL: such input is refused at the edge instead of failing in a query. */
const hasNul = (s: string): boolean => s.includes('\u0000');

/** A string body field that reaches the database as text. */
export const text = () => z.string().refine((s) => !hasNul(s), 'must not contain NUL characters');

/** Refuses path parameters the database could not compare (400 M_INVALID_PARAM). */
export const checkPathParams: Middleware = async (ctx, next) => {
  const params = (ctx as Context & { params?: Record<string, string | undefined> }).params ?? {};
  for (const [name, value] of Object.entries(params)) {
    if (value !== undefined && hasNul(value)) throw errors.invalidParam(`${name} must not contain NUL characters`);
  }
  await next();
};

export const queryBoolean = z.enum(['true', 'false'], 'must be true or false').transform((v) => v === 'true');

/**
 * Validates the query string against an endpoint's schema: a missing required parameter is
 * 400 M_MISSING_PARAM, any other problem 400 M_INVALID_PARAM naming the parameter.
 */
export function parseQuery<S extends z.ZodType>(ctx: Context, schema: S): z.output<S> {
  const raw: Record<string, string> = {};
  for (const [k, v] of Object.entries(ctx.query)) {
    const first = Array.isArray(v) ? v[0] : v;
    if (first === undefined) continue;
    if (hasNul(first)) throw errors.invalidParam(`${k} must not contain NUL characters`);
    raw[k] = first;
  }
  const result = schema.safeParse(raw);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const name = issue?.path.join('.') ?? '';
  if (name && raw[name] === undefined) throw errors.missingParam(`Missing query parameter ${name}`);
  throw errors.invalidParam(`${name ? `${name}: ` : ''}${issue?.message ?? 'invalid query parameter'}`);
}
