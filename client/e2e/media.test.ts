import test from 'ava';
import { DESKTOP, browserForFile, makePng, newPage, PHONE, register, screenshot, startServer } from './helpers.js';

const browser = browserForFile(test);

test.serial('files are previewed before sending and upload with a progress bar', async (t) => {
  const server = await startServer(t);
  const { page, context } = await newPage(browser(), t, PHONE);
  await register(page, server.url, 'gina');
  await page.getByRole('button', { name: 'New group' }).click();
  await page.getByLabel('Name').fill('Scrapbook');
  await page.getByRole('button', { name: 'Create group' }).click();
  await page.waitForURL(/\/room\//);

  await page.locator('.composer input[type=file]').setInputFiles([
    { name: 'photo.png', mimeType: 'image/png', buffer: makePng(200, 150, [220, 120, 40]) },
    { name: 'notes.txt', mimeType: 'text/plain', buffer: Buffer.from('remember the milk\n') },
    { name: 'oops.txt', mimeType: 'text/plain', buffer: Buffer.from('not this one') },
  ]);
  const tray = page.getByRole('list', { name: 'Files to send' });
  await tray.getByRole('img', { name: 'Preview of photo.png' }).waitFor();
  await tray.getByText('notes.txt').waitFor();
  await tray.getByRole('button', { name: 'Remove oops.txt' }).click();
  await tray.getByText('oops.txt').waitFor({ state: 'detached' });
  await screenshot(page, 'phone-attachments');

  // Uploads are held back a moment, so the progress bars can be seen.
  let release: () => void = () => undefined;
  const held = new Promise<void>((r) => (release = r));
  await context.route(/\/_matrix\/media\/v3\/upload/, async (route) => {
    await held;
    await route.continue();
  });
  await page.getByRole('button', { name: 'Send', exact: true }).click();
  await tray.getByRole('progressbar', { name: 'Uploading photo.png' }).waitFor();
  release();
  await page.locator('.event .media-image img').waitFor();
  await page.locator('.event', { hasText: 'notes.txt' }).getByRole('button', { name: 'Download notes.txt' }).waitFor();
  await tray.waitFor({ state: 'detached' });
  await screenshot(page, 'phone-media');

  // The image opens in a viewer.
  await page.getByRole('button', { name: 'Open image photo.png' }).click();
  await page.getByRole('dialog', { name: 'photo.png' }).waitFor();
  await page.getByRole('button', { name: 'Close' }).click();
  t.pass();
});

test.serial('a voice message is recorded with its waveform, sent and played', async (t) => {
  const server = await startServer(t);
  const { page } = await newPage(browser(), t, DESKTOP);
  await register(page, server.url, 'hugo');
  await page.getByRole('button', { name: 'New group' }).click();
  await page.getByLabel('Name').fill('Voice notes');
  await page.getByRole('button', { name: 'Create group' }).click();
  await page.waitForURL(/\/room\//);

  await page.getByRole('button', { name: 'Record a voice message' }).click();
  // Three seconds of sound: long enough that its playback is still running when looked for.
  await page.getByRole('status', { name: /^Recording, 0:0[3-9]/ }).waitFor({ timeout: 30_000 });
  await screenshot(page, 'desktop-voice-recording');
  await page.getByRole('button', { name: 'Send voice' }).click();
  const voice = page.locator('.event .media-file.voice');
  await voice.waitFor();
  // The recorded waveform has 64 bars (a message without one would draw a flat line of 40).
  t.is(await voice.locator('.waveform span').count(), 64);
  await voice.getByRole('button', { name: 'Play voice message' }).click();
  // Fetching and decrypting the recording can take a while on a loaded machine.
  await voice.getByRole('button', { name: 'Pause voice message' }).waitFor({ timeout: 30_000 });
  await screenshot(page, 'desktop-voice-message');
  await page.locator('.room-item .preview', { hasText: 'You: Voice message' }).waitFor();
  // The system's dark mode is followed (the theme setting defaults to it).
  await page.emulateMedia({ colorScheme: 'dark' });
  await screenshot(page, 'desktop-room-dark');
});
