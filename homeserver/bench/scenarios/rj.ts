import { api, register, round, type BenchUser } from '../lib/client.js';
import { rawPgCommitRate } from '../lib/baselines.js';
import { romeoAndJuliet } from '../lib/play.js';
import { scaled } from '../lib/scale.js';
import { startBenchServer } from '../lib/server.js';

const PASSWORD = 'bench-password-1';
const enc = encodeURIComponent;

type Step = 'register' | 'login' | 'displayname' | 'join' | 'send';

interface Performance {
  seconds: number;
  ms: Record<Step, number>;
  characters: number;
}

/**
 * One performance of the play in a room of its own, strictly sequential: each character, the
 * first time they speak, registers, logs in (a second device, as a client after sign-up would),
 * sets their display name and joins; then every line is one send. `troupe` keeps the accounts of
 * two performances apart.
 */
async function perform(base: string, play: ReturnType<typeof romeoAndJuliet>, troupe: string): Promise<Performance> {
  const stage = await register(base, `stage${troupe}`);
  const { room_id: roomId } = await api(base, 'POST', '/_matrix/client/v3/createRoom', stage.token, { preset: 'public_chat', name: 'Romeo and Juliet' });
  const path = `/_matrix/client/v3/rooms/${enc(roomId)}`;
  const ms: Record<Step, number> = { register: 0, login: 0, displayname: 0, join: 0, send: 0 };
  const timed = async <T>(step: Step, fn: () => Promise<T>): Promise<T> => {
    const t = performance.now();
    try {
      return await fn();
    } finally {
      ms[step] += performance.now() - t;
    }
  };
  const cast = new Map<string, BenchUser>();
  const start = performance.now();
  for (const [n, { speaker, text }] of play.entries()) {
    let actor = cast.get(speaker.localpart);
    if (!actor) {
      const username = `${speaker.localpart}${troupe}`;
      await timed('register', () => api(base, 'POST', '/_matrix/client/v3/register', undefined, { username, password: PASSWORD, auth: { type: 'm.login.dummy' }, inhibit_login: true }));
      const login = await timed('login', () => api(base, 'POST', '/_matrix/client/v3/login', undefined, { type: 'm.login.password', identifier: { type: 'm.id.user', user: username }, password: PASSWORD }));
      actor = { userId: login.user_id, token: login.access_token };
      await timed('displayname', () => api(base, 'PUT', `/_matrix/client/v3/profile/${enc(actor!.userId)}/displayname`, actor!.token, { displayname: speaker.name }));
      await timed('join', () => api(base, 'POST', `${path}/join`, actor!.token, {}));
      cast.set(speaker.localpart, actor);
    }
    await timed('send', () => api(base, 'PUT', `${path}/send/m.room.message/l${n}`, actor!.token, { msgtype: 'm.text', body: text }));
  }
  return { seconds: (performance.now() - start) / 1000, ms, characters: cast.size };
}

function perRequest(p: Performance, lines: number): Record<Step, number> {
  return {
    register: round(p.ms.register / p.characters),
    login: round(p.ms.login / p.characters),
    displayname: round(p.ms.displayname / p.characters),
    join: round(p.ms.join / p.characters),
    send: round(p.ms.send / lines),
  };
}

/**
 * The Romeo-and-Juliet protocol over the client API. The clock covers the whole play on a freshly
 * started server (the target); each kind of request is also timed on its own. The play is then
 * given again, by a new cast in a new room, on the same server: the second figure is of a server
 * whose code the JavaScript engine has optimised by then, as on a server that has been running.
 */
export async function rj(): Promise<Record<string, unknown>> {
  const play = romeoAndJuliet({ speeches: scaled(950, 10) });
  const server = await startBenchServer();
  try {
    const base = server.url;
    const cold = await perform(base, play, '');
    const warm = await perform(base, play, '_2');
    const { seconds, ms, characters } = cold;

    const commitsPerSecond = await rawPgCommitRate();
    const sendsPerSecond = play.length / (ms.send / 1000);
    return {
      scenario: 'rj',
      lines: play.length,
      characters,
      seconds: round(seconds, 3),
      ms_by_step: Object.fromEntries(Object.entries(ms).map(([k, v]) => [k, round(v, 0)])),
      ms_per_request: perRequest(cold, play.length),
      sends_per_s: round(sendsPerSecond),
      requests_per_s: round((play.length + 4 * characters) / seconds),
      second_performance: {
        seconds: round(warm.seconds, 3),
        ms_by_step: Object.fromEntries(Object.entries(warm.ms).map(([k, v]) => [k, round(v, 0)])),
        ms_per_request: perRequest(warm, play.length),
      },
      server_rss_peak_mb: round(server.rss() / 1048576, 1),
      limit: { what: 'raw PostgreSQL single-row commits/s (one connection, sequential)', value: round(commitsPerSecond) },
      // How many of the machine's bare commits one of our sends costs, in time.
      ratio_of_limit: round(sendsPerSecond / commitsPerSecond, 4),
      target: { seconds_below: 5 },
      met: seconds < 5,
      summary: `${round(seconds, 2)} s for ${play.length} lines by ${characters} characters (${round(sendsPerSecond)} sends/s, ${round(ms.send / play.length)} ms each; joining the cast ${round((seconds * 1000 - ms.send) / 1000, 2)} s); played again on the warm server ${round(warm.seconds, 2)} s (${round(warm.ms.send / play.length)} ms a send); limit ${round(commitsPerSecond)} commits/s, ratio ${round(sendsPerSecond / commitsPerSecond, 3)}`,
    };
  } finally {
    await server.stop();
  }
}
