import type { Knex } from 'knex';
import { redactsOf } from '../../../core/auth/index.js';
import type { PDU } from '../../../core/events.js';
import { isJsonObject, type JsonObject } from '../../../core/json.js';
import type { RoomVersion } from '../../../core/room-versions.js';
import { likeEscape } from './summaries.js';
import { sqlLiteral } from '../../../db/sql-literal.js';

/** The keys of the spec's `room_events` search, one per searchable event type. */
export const SEARCH_KEYS = ['content.body', 'content.name', 'content.topic'] as const;
export type SearchKey = (typeof SEARCH_KEYS)[number];

/**
 * Text search configuration: `simple` lower-cases and splits words without stemming or stop
 * words, so it treats every language alike.
 */
const CONFIG = 'simple';

/** Bounds for open ends of visible stretches of history: beyond any depth or stream position. */
const LOWEST = -Number.MAX_SAFE_INTEGER;
const HIGHEST = Number.MAX_SAFE_INTEGER;

/** Search and highlighting read text; control characters (NUL, the highlight markers) are spaces. */
// eslint-disable-next-line no-control-regex -- control characters are what it removes
const clean = (s: string): string => s.replace(/[\u0000-\u0008\u000e-\u001f]/g, ' ');

function plainTopic(content: JsonObject): string[] {
  const out: string[] = [];
  if (typeof content.topic === 'string') out.push(content.topic);
  const block = content['m.topic'];
  const texts = isJsonObject(block) ? block['m.text'] : undefined;
  if (Array.isArray(texts)) {
    for (const t of texts) {
      if (!isJsonObject(t) || typeof t.body !== 'string') continue;
      if (t.mimetype !== undefined && t.mimetype !== 'text/plain') continue;
      if (!out.includes(t.body)) out.push(t.body);
    }
  }
  return out;
}

/**
 * What an event offers to search ("Server Side Search"): the body of a message, the name of a
 * room, its topic (with the plain-text representation in `m.topic`). Encrypted events offer
 * nothing: the server cannot read them.
 */
export function searchableText(pdu: Pick<PDU, 'type' | 'state_key' | 'content'>): { key: SearchKey; text: string } | undefined {
  const { content } = pdu;
  let found: { key: SearchKey; text: string } | undefined;
  if (pdu.type === 'm.room.message' && pdu.state_key === undefined) {
    if (typeof content.body === 'string') found = { key: 'content.body', text: content.body };
  } else if (pdu.type === 'm.room.name' && pdu.state_key === '') {
    if (typeof content.name === 'string') found = { key: 'content.name', text: content.name };
  } else if (pdu.type === 'm.room.topic' && pdu.state_key === '') {
    found = { key: 'content.topic', text: plainTopic(content).join('\n') };
  }
  if (!found) return undefined;
  const text = clean(found.text);
  return text.trim() === '' ? undefined : { key: found.key, text };
}

/**
 * The statements that keep the search index in step with accepted timeline events, as SQL for a
 * WriteBatch in their persist transaction: searchable events are indexed, and a redaction takes its
 * target out (its words are gone).
 */
export function searchIndexSql(events: ReadonlyArray<{ streamOrdering: number; pdu: PDU }>, rv: RoomVersion): string[] {
  const rows: string[] = [];
  const redacted: string[] = [];
  for (const e of events) {
    if (e.pdu.type === 'm.room.redaction') {
      const target = redactsOf(e.pdu, rv);
      if (target) redacted.push(target);
      continue;
    }
    const found = searchableText(e.pdu);
    if (!found) continue;
    // Keyed by the event's stream position (a number, not the ID text): the index costs less per event.
    const url = typeof e.pdu.content.url === 'string';
    rows.push(`(${sqlLiteral(e.streamOrdering)},${sqlLiteral(found.key)},${sqlLiteral(url)},to_tsvector('${CONFIG}',${sqlLiteral(found.text)}))`);
  }
  const out: string[] = [];
  if (rows.length > 0) out.push(`INSERT INTO event_search (stream_ordering, key, contains_url, vector) VALUES ${rows.join(',')} ON CONFLICT (stream_ordering) DO NOTHING`);
  if (redacted.length > 0) {
    out.push(`DELETE FROM event_search WHERE stream_ordering IN (SELECT stream_ordering FROM events WHERE event_id IN (${redacted.map(sqlLiteral).join(',')}))`);
  }
  return out;
}

/** A search term as a text-search query: an SQL expression with its bindings. */
export interface SearchQuery {
  sql: string;
  bindings: string[];
}

/**
 * The search term as PostgreSQL's web-search syntax reads it (words, "quoted phrases", `-word`,
 * `or`), with the last word also matching as a prefix while it is being typed: in the query's
 * text form its lexeme gets `:*`. Undefined when the term holds no word at all.
 */
export function searchQueryOf(term: string): SearchQuery | undefined {
  const cleaned = clean(term);
  if (!/[\p{L}\p{N}]/u.test(cleaned)) return undefined;
  const last = /(^|\s)([\p{L}\p{N}]+)$/u.exec(cleaned);
  const quotes = (cleaned.match(/"/g) ?? []).length;
  if (last && quotes % 2 === 0 && last[2]!.toLowerCase() !== 'or') {
    // The text form ends with that word's lexeme, then perhaps closing parentheses: `'a' & ( 'b' | 'c' )`.
    return { sql: `regexp_replace(websearch_to_tsquery('${CONFIG}', ?)::text, ?, ?)::tsquery`, bindings: [cleaned, "'((\\s*\\))*)$", "':*\\1"] };
  }
  return { sql: `websearch_to_tsquery('${CONFIG}', ?)`, bindings: [cleaned] };
}

/** A stretch of one room's history the searcher may see: (after, upTo] by (depth, stream). */
export interface VisibleWindow {
  roomId: string;
  after?: { depth: number; stream: number } | undefined;
  upTo?: { depth: number; stream: number } | undefined;
}

export interface SearchCriteria {
  query: SearchQuery;
  keys: readonly SearchKey[];
  windows: readonly VisibleWindow[];
  senders?: readonly string[] | undefined;
  notSenders?: readonly string[] | undefined;
  types?: readonly string[] | undefined;
  notTypes?: readonly string[] | undefined;
  containsUrl?: boolean | undefined;
  /** Only this room or only this sender: a page within one group of the results. */
  scope?: { key: 'room_id' | 'sender'; value: string } | undefined;
}

/** Where a page ends in the order of the results; the next page starts after it. */
export interface SearchPosition {
  rank?: number | undefined;
  stream: number;
}

export interface SearchHit {
  eventId: string;
  roomId: string;
  sender: string;
  stream: number;
  rank: number;
}

/** ts_headline gives back the whole text with each matched word between \u0001 and \u0002 (`clean` removed those from the text). */
const HEADLINE_OPTIONS = 'StartSel=\u0001, StopSel=\u0002, HighlightAll=true';

/** A type filter pattern (`*` a wildcard) as a LIKE pattern. */
const likeType = (p: string): string => p.split('*').map(likeEscape).join('%');

/**
 * The `event_search` table: one row with a text-search vector per searchable accepted event, read
 * together with the event rows, the searcher's visible stretches of history and redactions.
 */
export class SearchStore {
  constructor(private readonly db: Knex) {}

  /** FROM and WHERE of every search query, with their bindings in order. */
  private base(c: SearchCriteria): { sql: string; bindings: Knex.RawBinding[] } {
    const windows = c.windows.map((w) => ({
      room_id: w.roomId,
      lo_depth: w.after?.depth ?? LOWEST,
      lo_stream: w.after?.stream ?? LOWEST,
      hi_depth: w.upTo?.depth ?? HIGHEST,
      hi_stream: w.upTo?.stream ?? HIGHEST,
    }));
    const bindings: Knex.RawBinding[] = [JSON.stringify(windows), ...c.query.bindings];
    const where: string[] = [
      `s.vector @@ ${c.query.sql}`,
      'e.outlier = false',
      'e.rejected_reason IS NULL',
      'e.soft_failed = false',
      `NOT EXISTS (SELECT 1 FROM redactions r JOIN events re ON re.event_id = r.event_id
                   WHERE r.redacts = e.event_id AND re.rejected_reason IS NULL AND re.soft_failed = false)`,
    ];
    const list = (column: string, values: readonly string[], negate: boolean, like: boolean): void => {
      if (values.length === 0) {
        if (!negate) where.push('false');
        return;
      }
      const any = like ? values.map(() => `${column} LIKE ?`).join(' OR ') : `${column} IN (${values.map(() => '?').join(', ')})`;
      where.push(negate ? `NOT (${any})` : `(${any})`);
      bindings.push(...(like ? values.map(likeType) : values));
    };
    list('s.key', c.keys, false, false);
    if (c.senders) list('e.sender', c.senders, false, false);
    if (c.notSenders) list('e.sender', c.notSenders, true, false);
    if (c.types) list('e.type', c.types, false, true);
    if (c.notTypes) list('e.type', c.notTypes, true, true);
    if (c.containsUrl !== undefined) {
      where.push('s.contains_url = ?');
      bindings.push(c.containsUrl);
    }
    if (c.scope) {
      where.push(c.scope.key === 'room_id' ? 'e.room_id = ?' : 'e.sender = ?');
      bindings.push(c.scope.value);
    }
    const sql = `FROM event_search s
      JOIN events e ON e.stream_ordering = s.stream_ordering
      JOIN jsonb_to_recordset(?::jsonb) AS w(room_id text, lo_depth bigint, lo_stream bigint, hi_depth bigint, hi_stream bigint)
        ON w.room_id = e.room_id
       AND (e.depth, e.stream_ordering) > (w.lo_depth, w.lo_stream)
       AND (e.depth, e.stream_ordering) <= (w.hi_depth, w.hi_stream)
      WHERE ${where.join('\n AND ')}`;
    return { sql, bindings };
  }

  /** One page of hits, best first (`rank`) or newest first (`recent`), after `from`. */
  async hits(c: SearchCriteria, order: 'rank' | 'recent', from: SearchPosition | undefined, limit: number): Promise<SearchHit[]> {
    if (c.windows.length === 0) return [];
    const rank = `ts_rank(s.vector, ${c.query.sql})`;
    const base = this.base(c);
    const bindings: Knex.RawBinding[] = [...c.query.bindings, ...base.bindings];
    let after = '';
    if (from && order === 'rank') {
      // ts_rank is a real: comparing with the real the client was given finds the same place.
      after = ` AND (${rank}, e.stream_ordering) < (?::real, ?)`;
      bindings.push(...c.query.bindings, from.rank ?? 0, from.stream);
    } else if (from) {
      after = ' AND e.stream_ordering < ?';
      bindings.push(from.stream);
    }
    const orderBy = order === 'rank' ? 'rank DESC, e.stream_ordering DESC' : 'e.stream_ordering DESC';
    const { rows } = (await this.db.raw(
      `SELECT e.event_id, e.room_id, e.sender, e.stream_ordering, ${rank} AS rank ${base.sql}${after} ORDER BY ${orderBy} LIMIT ?`,
      [...bindings, limit],
    )) as { rows: Array<{ event_id: string; room_id: string; sender: string; stream_ordering: number | string; rank: number | string }> };
    return rows.map((r) => ({ eventId: r.event_id, roomId: r.room_id, sender: r.sender, stream: Number(r.stream_ordering), rank: Number(r.rank) }));
  }

  /** How many hits there are in all (within the scope, if any). */
  async count(c: SearchCriteria): Promise<number> {
    if (c.windows.length === 0) return 0;
    const base = this.base(c);
    const { rows } = (await this.db.raw(`SELECT count(*) AS n ${base.sql}`, base.bindings)) as { rows: Array<{ n: number | string }> };
    return Number(rows[0]?.n ?? 0);
  }

  /** Which of `values` (rooms or senders) still have hits after `from`. */
  async groupsWithMore(c: SearchCriteria, order: 'rank' | 'recent', from: SearchPosition, key: 'room_id' | 'sender', values: readonly string[]): Promise<Set<string>> {
    if (c.windows.length === 0 || values.length === 0) return new Set();
    const base = this.base(c);
    const column = key === 'room_id' ? 'e.room_id' : 'e.sender';
    const bindings: Knex.RawBinding[] = [...base.bindings];
    let after: string;
    if (order === 'rank') {
      after = `(ts_rank(s.vector, ${c.query.sql}), e.stream_ordering) < (?::real, ?)`;
      bindings.push(...c.query.bindings, from.rank ?? 0, from.stream);
    } else {
      after = 'e.stream_ordering < ?';
      bindings.push(from.stream);
    }
    bindings.push(...values);
    const { rows } = (await this.db.raw(
      `SELECT DISTINCT ${column} AS value ${base.sql} AND ${after} AND ${column} IN (${values.map(() => '?').join(', ')})`,
      bindings,
    )) as { rows: Array<{ value: string }> };
    return new Set(rows.map((r) => r.value));
  }

  /**
   * The words to highlight: the query's own words (prefixes included) and the words of `texts` it
   * matched, lower-cased, without repeats.
   */
  async highlights(query: SearchQuery, texts: readonly string[]): Promise<string[]> {
    const { rows } = (await this.db.raw(
      `SELECT (${query.sql})::text AS query,
              (SELECT coalesce(jsonb_agg(ts_headline('${CONFIG}', t, ${query.sql}, ?)), '[]'::jsonb)
                 FROM jsonb_array_elements_text(?::jsonb) AS t) AS marked`,
      [...query.bindings, ...query.bindings, HEADLINE_OPTIONS, JSON.stringify(texts.map(clean))],
    )) as { rows: Array<{ query: string; marked: string[] | string }> };
    const row = rows[0];
    if (!row) return [];
    const out = new Set<string>();
    // Lexemes of the query's text form, `'word'` or `'word':*`; negated ones (`!'word'`) are not wanted.
    for (const m of row.query.matchAll(/(!?)'((?:[^']|'')*)'/g)) {
      if (m[1] !== '!') out.add(m[2]!.replace(/''/g, "'"));
    }
    const marked = typeof row.marked === 'string' ? (JSON.parse(row.marked) as string[]) : row.marked;
    for (const text of marked) {
      // eslint-disable-next-line no-control-regex -- the highlight markers
      for (const m of text.matchAll(/\u0001([^\u0002]*)\u0002/g)) out.add(m[1]!.toLowerCase());
    }
    return [...out].filter((w) => w !== '');
  }
}
