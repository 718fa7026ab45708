import test from 'ava';
import { splitStateKey, stateKey, type StateMap } from '../../../src/core/events.js';
import { roomVersion, type RoomVersion } from '../../../src/core/room-versions.js';
import { resolveState } from '../../../src/core/state-res/index.js';
import { memoryStore, type StateResEvent } from '../../../src/core/state-res/store.js';
import { loadVector } from '../../helpers/vectors.js';

interface Case {
  name: string;
  kind: 'batches' | 'state-maps';
  description: string;
  room_version: string;
  state_res: string;
  pdu_files: string[];
  state_map_files?: string[];
  expected: string;
}

interface ExpectedEntry {
  type: string;
  state_key: string;
  event_id: string;
}

const { cases } = loadVector<{ cases: Case[] }>('state-res/cases.json');

function loadPdus(file: string): StateResEvent[] {
  // The fixtures are simplified PDUs (no hashes or signatures, readable fake IDs) and are used as
  // they are; `test-comments` is a note for humans that nothing reads.
  return loadVector<StateResEvent[]>(`state-res/${file}`);
}

function single(event: StateResEvent): StateMap {
  return new Map([[stateKey(event.type, event.state_key as string), event.event_id]]);
}

function asObject(state: StateMap): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, id] of [...state].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    const [type, sk] = splitStateKey(key);
    out[`${type} | ${sk}`] = id;
  }
  return out;
}

function expectedOf(c: Case): Record<string, string> {
  const entries = loadVector<ExpectedEntry[]>(`state-res/${c.expected}`);
  return asObject(new Map(entries.map((e) => [stateKey(e.type, e.state_key), e.event_id])));
}

/** Walk the DAG forward along prev_events, resolving the state before and after every event. */
async function resolvePerPdu(rv: RoomVersion, pdus: StateResEvent[]): Promise<StateMap> {
  const store = memoryStore(pdus);
  const byId = new Map(pdus.map((e) => [e.event_id, e]));
  const children = new Map<string, string[]>();
  const waiting = new Map<string, number>();
  for (const e of pdus) {
    waiting.set(e.event_id, e.prev_events.length);
    for (const p of e.prev_events) children.set(p, [...(children.get(p) ?? []), e.event_id]);
  }
  const ready = pdus.filter((e) => e.prev_events.length === 0).map((e) => e.event_id);
  const after = new Map<string, StateMap>();
  while (ready.length > 0) {
    const id = ready.shift() as string;
    const event = byId.get(id) as StateResEvent;
    const before = await resolveState(
      rv,
      event.prev_events.map((p) => after.get(p) as StateMap),
      store,
    );
    const proposed = new Map(before);
    proposed.set(stateKey(event.type, event.state_key as string), id);
    after.set(id, await resolveState(rv, [before, proposed], store));
    for (const c of children.get(id) ?? []) {
      const left = (waiting.get(c) as number) - 1;
      waiting.set(c, left);
      if (left === 0) ready.push(c);
    }
  }
  if (after.size !== pdus.length) throw new Error('some events were never reached from the create event');
  const leaves = pdus.filter((e) => !children.has(e.event_id)).map((e) => after.get(e.event_id) as StateMap);
  return resolveState(rv, leaves, store);
}

/** File by file: the previous result against one single-entry state per PDU of the next file. */
async function resolvePerFile(rv: RoomVersion, files: StateResEvent[][]): Promise<StateMap> {
  let previous: StateMap | undefined;
  const seen: StateResEvent[] = [];
  for (const pdus of files) {
    seen.push(...pdus);
    const states = [...(previous === undefined ? [] : [previous]), ...pdus.map(single)];
    previous = await resolveState(rv, states, memoryStore(seen));
  }
  return previous ?? new Map();
}

async function resolveAllAtOnce(rv: RoomVersion, pdus: StateResEvent[]): Promise<StateMap> {
  return resolveState(rv, pdus.map(single), memoryStore(pdus));
}

async function resolveStateMaps(rv: RoomVersion, c: Case, pdus: StateResEvent[]): Promise<StateMap> {
  const byId = new Map(pdus.map((e) => [e.event_id, e]));
  const states = (c.state_map_files ?? []).map((file) => {
    const ids = loadVector<string[]>(`state-res/${file}`);
    return new Map(
      ids.map((id) => {
        const e = byId.get(id);
        if (e === undefined) throw new Error(`${file}: unknown event ${id}`);
        return [stateKey(e.type, e.state_key as string), id] as const;
      }),
    );
  });
  return resolveState(rv, states, memoryStore(pdus));
}

for (const c of cases) {
  const files = c.pdu_files.map(loadPdus);
  const pdus = files.flat();
  const version = (files[0]?.[0]?.content['room_version'] as string | undefined) ?? c.room_version;
  const rv = roomVersion(version);
  const expected = expectedOf(c);

  const modes: Array<[mode: string, run: (rv: RoomVersion) => Promise<StateMap>]> =
    c.kind === 'batches'
      ? [
          ['per PDU', (r) => resolvePerPdu(r, pdus)],
          ['per file', (r) => resolvePerFile(r, files)],
          ['all at once', (r) => resolveAllAtOnce(r, pdus)],
        ]
      : [['state maps', (r) => resolveStateMaps(r, c, pdus)]];

  for (const [mode, run] of modes) {
    test(`${c.name} (v${version}, ${c.state_res}) ${mode}`, async (t) => {
      if (rv === undefined) return t.fail(`unknown room version ${version}`);
      t.is(rv.stateRes as string, c.state_res);
      t.deepEqual(asObject(await run(rv)), expected, c.description);
    });
  }
}
