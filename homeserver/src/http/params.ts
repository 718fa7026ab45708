import type { Context } from 'koa';
import { errors } from './errors.js';

const PARSED = Symbol('query');

/**
 * The first value of each parameter of a query string, decoded as URLSearchParams decodes them.
 * koa's `ctx.query` builds an object with every repeated value through URLSearchParams on each
 * request; a long-polling client asks for a handful of names on every request, and that was a
 * visible part of the cost of an answer.
 */
export function parseQuery(querystring: string): Map<string, string> {
  const out = new Map<string, string>();
  if (querystring === '') return out;
  try {
    for (const pair of querystring.split('&')) {
      if (pair === '') continue;
      const eq = pair.indexOf('=');
      const name = decodeComponent(eq < 0 ? pair : pair.slice(0, eq));
      if (!out.has(name)) out.set(name, eq < 0 ? '' : decodeComponent(pair.slice(eq + 1)));
    }
    return out;
  } catch {
    // Stray `%` or bytes that are not UTF-8: URLSearchParams keeps or replaces them; so do we.
    out.clear();
    for (const [name, value] of new URLSearchParams(querystring)) if (!out.has(name)) out.set(name, value);
    return out;
  }
}

function decodeComponent(s: string): string {
  if (s.indexOf('+') >= 0) s = s.replaceAll('+', ' ');
  return s.indexOf('%') >= 0 ? decodeURIComponent(s) : s;
}

/** The request's query, parsed once. */
function query(ctx: Context): Map<string, string> {
  const state = ctx.state as Record<symbol, Map<string, string> | undefined>;
  return (state[PARSED] ??= parseQuery(ctx.querystring));
}

/** One query parameter as a string (the first when repeated), or undefined. */
export function queryString(ctx: Context, name: string): string | undefined {
  return query(ctx).get(name);
}

/** An integer query parameter within bounds; anything else is 400 M_INVALID_PARAM. */
export function queryInt(ctx: Context, name: string, options: { min?: number; max?: number; fallback: number }): number;
export function queryInt(ctx: Context, name: string, options: { min?: number; max?: number }): number | undefined;
export function queryInt(ctx: Context, name: string, options: { min?: number; max?: number; fallback?: number }): number | undefined {
  return parseInteger(queryString(ctx, name), name, options);
}

/** queryInt of a parameter's value already read. */
export function parseInteger(s: string | undefined, name: string, options: { min?: number; max?: number; fallback: number }): number;
export function parseInteger(s: string | undefined, name: string, options: { min?: number; max?: number; fallback?: number }): number | undefined;
export function parseInteger(s: string | undefined, name: string, options: { min?: number; max?: number; fallback?: number }): number | undefined {
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
