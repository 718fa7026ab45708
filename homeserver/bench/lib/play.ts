/**
 * The speaker/line sequence of the rj scenario: a synthetic script with the shape of Romeo and
 * Juliet (the text itself is not needed, only its shape), generated deterministically so every
 * run sends the same bytes in the same order.
 *
 * Shape: 100 speakers; speeches per speaker follow Zipf's law (s = 1), which puts Romeo at about
 * 180 speeches and Juliet at about 120, close to the play's own counts; speeches have 1 to 40
 * lines, about 3.5 on average; lines are verse (about 40 characters) or, one in five, prose
 * (about 65). The top ranks carry the play's character names, the long tail numbered citizens,
 * servants, watchmen, musicians and guests, as in the play's crowd scenes.
 */
export interface PlayLine {
  speaker: Speaker;
  text: string;
}

export interface Speaker {
  /** Localpart: the name in lower case, spaces as underscores. */
  localpart: string;
  name: string;
}

const PRINCIPALS = [
  'Romeo', 'Juliet', 'Friar Laurence', 'Nurse', 'Capulet', 'Mercutio', 'Benvolio', 'Lady Capulet',
  'Prince Escalus', 'Paris', 'Tybalt', 'Montague', 'Balthasar', 'Peter', 'Sampson', 'Gregory',
  'Lady Montague', 'Friar John', 'Apothecary', 'Chorus', 'Abram', 'Page', 'Cousin Capulet',
];
const CROWD = ['Citizen', 'Servant', 'Watchman', 'Musician', 'Guest', 'Officer', 'Maskers'];
const ORDINALS = ['First', 'Second', 'Third', 'Fourth', 'Fifth', 'Sixth', 'Seventh', 'Eighth', 'Ninth', 'Tenth', 'Eleventh'];

// Common words of Early Modern English verse, enough to give lines realistic lengths and bytes.
const WORDS = (
  'thou thee thy thine art hast doth hath shall would love night day light heaven fair sweet ' +
  'death life name rose moon sun star eyes hand heart lips kiss blood sword house fortune fate ' +
  'good gentle noble lady lord sir friar nurse father mother cousin banished grief woe joy tears ' +
  'come go stay speak hear see swear know tell bid fly wilt nay yea ay o alas what where when why ' +
  'the and to of a in is that my with not for it be me as this but so him his her by your all ' +
  'no from more there now then if on here than must upon yet well tis dear true young old grave'
).split(' ');

/** mulberry32: a tiny seeded generator, so the play is the same on every machine. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function speakers(count: number): Speaker[] {
  const names = [...PRINCIPALS];
  for (let i = 0; names.length < count; i++) names.push(`${ORDINALS[Math.floor(i / CROWD.length) % ORDINALS.length]} ${CROWD[i % CROWD.length]}`);
  return names.slice(0, count).map((name) => ({ name, localpart: name.toLowerCase().replace(/ /g, '_') }));
}

function line(rand: () => number): string {
  const prose = rand() < 0.2;
  const target = Math.max(8, Math.round((prose ? 65 : 40) + (rand() + rand() + rand() - 1.5) * (prose ? 30 : 16)));
  const words: string[] = [];
  let length = 0;
  while (length < target) {
    const w = WORDS[Math.floor(rand() * WORDS.length)]!;
    words.push(words.length === 0 ? w[0]!.toUpperCase() + w.slice(1) : w);
    length += w.length + 1;
  }
  return `${words.join(' ')}${rand() < 0.3 ? '!' : rand() < 0.5 ? ',' : '.'}`;
}

export function romeoAndJuliet(o: { speakers?: number; speeches?: number; seed?: number } = {}): PlayLine[] {
  const cast = speakers(o.speakers ?? 100);
  const rand = random(o.seed ?? 1597);
  const speeches = o.speeches ?? 950;
  const harmonic = cast.reduce((h, _, k) => h + 1 / (k + 1), 0);
  // Every speaker speaks at least once; the order of speeches is a seeded shuffle.
  const order: Speaker[] = cast.flatMap((s, k) => Array.from({ length: Math.max(1, Math.round(speeches / ((k + 1) * harmonic))) }, () => s));
  for (let i = order.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  const play: PlayLine[] = [];
  for (const speaker of order) {
    const lines = Math.min(40, 1 + Math.floor(-Math.log(1 - rand()) * 3));
    for (let i = 0; i < lines; i++) play.push({ speaker, text: line(rand) });
  }
  return play;
}
