import type { Context } from 'koa';
import { errors } from './errors.js';

/** One query parameter as a string (the first when repeated), or undefined. */
export function queryString(ctx: Context, name: string): string | undefined {
  const v = ctx.query[name];
  const s = Array.isArray(v) ? v[0] : v;
  return s === undefined ? undefined : s;
}

/** An integer query parameter within bounds; anything else is 400 M_INVALID_PARAM. */
export function queryInt(ctx: Context, name: string, options: { min?: number; max?: number; fallback: number }): number;
export function queryInt(ctx: Context, name: string, options: { min?: number; max?: number }): number | undefined;
export function queryInt(ctx: Context, name: string, options: { min?: number; max?: number; fallback?: number }): number | undefined {
  const s = queryString(ctx, name);
  if (s === undefined || s === '') return options.fallback;
  if (!/^-?\d+$/.test(s)) throw errors.invalidParam(`${name} must be an integer`);
  const n = Number(s);
  if (!Number.isSafeInteger(n) || (options.min !== undefined && n < options.min)) throw errors.invalidParam(`${name} is out of range`);
  return options.max !== undefined ? Math.min(n, options.max) : n;
}

/** A JSON-valued query parameter (filters). */
export function queryJson(ctx: Context, name: string): unknown {
  const s = queryString(ctx, name);
  if (s === undefined || s === '') return undefined;
  try {
    return JSON.parse(s) as unknown;
  } catch {
    throw errors.notJson(`${name} is not valid JSON`);
  }
}
