/**
 * Voice message waveforms: loudness sampled while recording, sent as MSC3246's
 * `org.matrix.msc1767.audio.waveform` (integers 0–1024), drawn as bars when played. Pure.
 */

/** The loudness (root mean square, 0–1) of one window of samples (-1…1). */
export function rmsLevel(samples: ArrayLike<number>): number {
  if (samples.length === 0) return 0;
  let sum = 0;
  for (let i = 0; i < samples.length; i++) sum += samples[i]! * samples[i]!;
  return Math.min(1, Math.sqrt(sum / samples.length));
}

/**
 * `bars` values from any number of levels (0–1): each bar the loudest level of its span, scaled so
 * the loudest bar is full height (quiet recordings still show their shape), as integers 0–1024.
 */
export function resampleWaveform(levels: readonly number[], bars: number): number[] {
  if (levels.length === 0 || bars <= 0) return [];
  const out: number[] = [];
  for (let b = 0; b < bars; b++) {
    const from = Math.floor((b * levels.length) / bars);
    const to = Math.max(from + 1, Math.floor(((b + 1) * levels.length) / bars));
    let peak = 0;
    for (let i = from; i < to && i < levels.length; i++) peak = Math.max(peak, levels[i]!);
    out.push(peak);
  }
  const max = Math.max(...out);
  return out.map((v) => (max > 0 ? Math.round((v / max) * 1024) : 0));
}

/** A received waveform, made safe to draw: numbers only, clamped to 0–1024, at most 256 of them. */
export function parseWaveform(value: unknown): number[] {
  if (!Array.isArray(value)) return [];
  return value
    .slice(0, 256)
    .filter((v): v is number => typeof v === 'number' && Number.isFinite(v))
    .map((v) => Math.max(0, Math.min(1024, Math.round(v))));
}

export function formatDuration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
}
