import { deflateSync } from 'node:zlib';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ExecutionContext } from 'ava';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { startTestServer, type TestServer } from '../../homeserver/test/helpers/server.js';
import { createLogger } from '../../homeserver/src/log/logger.js';

export const DIST = fileURLToPath(new URL('../dist/', import.meta.url));
/** Git-ignored: looked at by people after a run, never compared by the tests. */
export const SCREENSHOTS = fileURLToPath(new URL('./screenshots/', import.meta.url));
export const CHROMIUM = process.env.HEARTH_CHROMIUM ?? '/usr/bin/chromium';

export const PHONE = { width: 390, height: 844 };
export const DESKTOP = { width: 1280, height: 800 };

/** Debian's Chromium, headless, with everything that would phone home turned off. */
/**
 * One Chromium for a test file: launched before its tests, closed after them. Call at the top of
 * the file; the returned function gives the browser inside tests.
 */
export function browserForFile(t: { before: (f: () => Promise<void>) => void; after: { always: (f: () => Promise<void>) => void } }): () => Browser {
  let launched: { browser: Browser; close: () => Promise<void> } | undefined;
  t.before(async () => {
    launched = await launchBrowser();
  });
  t.after.always(async () => {
    await launched?.close();
  });
  return () => {
    if (!launched) throw new Error('the browser is not launched yet');
    return launched.browser;
  };
}

export async function launchBrowser(): Promise<{ browser: Browser; close: () => Promise<void> }> {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install -y chromium`);
  if (!existsSync(path.join(DIST, 'index.html'))) throw new Error('client/dist is missing: npm run build --workspace client');
  // Playwright gives each launch a fresh --user-data-dir of its own; we only make sure of its place.
  const tmp = mkdtempSync(path.join(tmpdir(), 'hearth-e2e-'));
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      // A synthetic microphone (a tone), allowed without asking: voice messages can be recorded.
      '--use-fake-ui-for-media-stream',
      '--use-fake-device-for-media-stream',
      '--autoplay-policy=no-user-gesture-required',
    ],
    env: { ...process.env, TMPDIR: tmp },
  });
  return {
    browser,
    close: async () => {
      await browser.close();
      rmSync(tmp, { recursive: true, force: true });
    },
  };
}

/** A real Hearth with open registration, serving the production build of the client. */
export function startServer(t: ExecutionContext): Promise<TestServer> {
  return startTestServer(t, {
    HS_OPEN_REGISTRATION: '1',
    HS_RATE_LIMIT_REGISTER_BURST: '1000',
    HS_RATE_LIMIT_LOGIN_BURST: '1000',
    HS_WEBCLIENT_DIR: DIST,
  });
}

/** A server as `npm start` makes it: no open registration, a first-run token in its log. */
export async function startFirstRunServer(t: ExecutionContext): Promise<{ server: TestServer; token: string }> {
  let token: string | undefined;
  const log = createLogger('warn', {
    write(line: string) {
      const m = /"firstRunRegistrationToken":"([^"]+)"/.exec(line);
      if (m) token = m[1];
    },
  });
  const server = await startTestServer(t, { HS_RATE_LIMIT_REGISTER_BURST: '1000', HS_WEBCLIENT_DIR: DIST }, { log });
  if (!token) throw new Error('the server logged no first-run registration token');
  return { server, token };
}

export async function newPage(browser: Browser, t: ExecutionContext, viewport = DESKTOP): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({ viewport, reducedMotion: 'reduce' });
  t.teardown(() => context.close());
  const page = await context.newPage();
  page.setDefaultTimeout(15_000);
  page.on('pageerror', (err) => t.log(`page error: ${err.message}`));
  page.on('console', (msg) => {
    if (msg.type() === 'error' || msg.type() === 'warning') t.log(`console ${msg.type()}: ${msg.text()}`);
  });
  return { context, page };
}

export async function register(page: Page, url: string, username: string, password = 'correct horse battery'): Promise<void> {
  await page.goto(`${url}/register`);
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password', { exact: true }).fill(password);
  await page.getByLabel('Confirm password').fill(password);
  await page.getByRole('button', { name: 'Create account' }).click();
  await page.getByRole('heading', { name: 'Hearth', exact: true }).waitFor();
}

/** Signs in an existing account (a new session of it). */
export async function login(page: Page, url: string, username: string, password = 'correct horse battery'): Promise<void> {
  await page.goto(`${url}/login`);
  await page.getByLabel('Username or Matrix ID').fill(username);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  // Exact: the sign-in page's own heading ("Sign in to Hearth") must not count.
  await page.getByRole('heading', { name: 'Hearth', exact: true }).waitFor();
}

export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: path.join(SCREENSHOTS, `${name}.png`) });
}

/** A solid-colour PNG, made here so the tests ship no binary fixtures. */
export function makePng(width: number, height: number, rgb: [number, number, number]): Buffer {
  const crcTable = Array.from({ length: 256 }, (_, n) => {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c >>> 0;
  });
  const crc = (buf: Buffer): number => {
    let c = 0xffffffff;
    for (const b of buf) c = crcTable[(c ^ b) & 0xff]! ^ (c >>> 8);
    return (c ^ 0xffffffff) >>> 0;
  };
  const chunk = (type: string, data: Buffer): Buffer => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
    const sum = Buffer.alloc(4);
    sum.writeUInt32BE(crc(body));
    return Buffer.concat([len, body, sum]);
  };
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header[8] = 8; // bit depth
  header[9] = 2; // truecolour
  const row = Buffer.concat([Buffer.from([0]), Buffer.from(Array.from({ length: width }, () => rgb).flat())]);
  const raw = Buffer.concat(Array.from({ length: height }, () => row));
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', header), chunk('IDAT', deflateSync(raw)), chunk('IEND', Buffer.alloc(0))]);
}

/** `a` starts a direct chat with `b` (by Matrix ID) and `b` accepts it; both end up in the room. */
export async function startDm(a: Page, b: Page, bUserId: string): Promise<void> {
  await a.getByRole('button', { name: 'New direct message' }).click();
  await a.getByLabel('Search people by name or Matrix ID').fill(bUserId);
  await a.getByRole('button', { name: `Message ${bUserId}` }).click();
  await a.waitForURL(/\/room\//);
  await a.getByLabel('Message', { exact: true }).waitFor();
  await b.getByRole('button', { name: 'Accept' }).first().click();
  await b.waitForURL(/\/room\//);
  await b.getByLabel('Message', { exact: true }).waitFor();
}

export async function send(page: Page, text: string, label = 'Message'): Promise<void> {
  const box = page.getByRole('textbox', { name: label, exact: true });
  await box.fill(text);
  await box.press('Enter');
}

/** The access token of the page's session, for checking what reached the server. */
export async function accessToken(page: Page): Promise<string> {
  const raw = await page.evaluate(() => localStorage.getItem('hearth.session'));
  return (JSON.parse(raw ?? '{}') as { accessToken: string }).accessToken;
}
