import test from 'ava';
import { formatDuration, parseWaveform, resampleWaveform, rmsLevel } from '../src/ui/room/waveform';

test('loudness of a window of samples', (t) => {
  t.is(rmsLevel([]), 0);
  t.is(rmsLevel([0, 0, 0]), 0);
  t.is(rmsLevel([1, -1, 1, -1]), 1);
  t.true(Math.abs(rmsLevel([0.5, -0.5]) - 0.5) < 1e-9);
});

test('levels become bars: peaks per span, scaled to the loudest, 0–1024', (t) => {
  t.deepEqual(resampleWaveform([0.1, 0.2, 0.05, 0.4], 2), [512, 1024]);
  t.deepEqual(resampleWaveform([0.5], 3), [1024, 1024, 1024], 'fewer levels than bars repeat');
  t.deepEqual(resampleWaveform([0, 0], 2), [0, 0], 'silence stays flat');
  t.deepEqual(resampleWaveform([], 4), []);
  const many = Array.from({ length: 1000 }, (_, i) => (i % 100) / 100);
  const bars = resampleWaveform(many, 40);
  t.is(bars.length, 40);
  t.true(bars.every((b) => Number.isInteger(b) && b >= 0 && b <= 1024));
});

test('waveforms from others are cleaned before drawing', (t) => {
  t.deepEqual(parseWaveform([0, 2000, -5, 'x', 512.4, null]), [0, 1024, 0, 512]);
  t.deepEqual(parseWaveform('nope'), []);
  t.is(parseWaveform(Array(1000).fill(1)).length, 256);
  t.is(formatDuration(65_400), '1:05');
});
