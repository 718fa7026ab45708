import test from 'ava';
import type { Page } from 'playwright-core';
import { DESKTOP, browserForFile, login, newPage, PHONE, register, screenshot, send, startDm, startServer } from './helpers.js';

const browser = browserForFile(test);

/** Both sides compare the emoji, find them equal, and confirm. */
async function compareEmoji(t: { is: (a: unknown, b: unknown, m?: string) => void }, a: Page, b: Page): Promise<void> {
  const emojiA = a.getByRole('list', { name: 'Emoji to compare' });
  const emojiB = b.getByRole('list', { name: 'Emoji to compare' });
  await emojiA.waitFor();
  await emojiB.waitFor();
  t.is(await emojiA.innerText(), await emojiB.innerText(), 'both screens show the same emoji');
  await a.getByRole('button', { name: 'They match' }).click();
  await b.getByRole('button', { name: 'They match' }).click();
  await a.getByText(/^Verified\. /).waitFor();
  await b.getByText(/^Verified\. /).waitFor();
  await a.getByRole('button', { name: 'Done' }).click();
  await b.getByRole('button', { name: 'Done' }).click();
}

test.serial('one person verifies another by emoji in their chat; the other’s sessions then count as verified', async (t) => {
  const server = await startServer(t);
  const alice = await newPage(browser(), t, DESKTOP);
  const bob = await newPage(browser(), t, PHONE);
  await register(alice.page, server.url, 'alice');
  await register(bob.page, server.url, 'bob');
  await startDm(alice.page, bob.page, '@bob:hs.test');
  await send(alice.page, 'shall we verify?');
  await bob.page.locator('.event .body', { hasText: 'shall we verify?' }).waitFor();

  await alice.page.getByRole('button', { name: 'Members' }).click();
  const members = alice.page.getByRole('complementary', { name: 'Members' });
  await members.getByRole('button', { name: /^bob/ }).click();
  await members.getByText('Not verified').first().waitFor();
  await members.getByRole('button', { name: 'Verify by emoji' }).click();

  // The request is a message in the chat; Bob's client answers it with a dialog.
  const incoming = bob.page.getByRole('dialog', { name: 'Verify alice (@alice:hs.test)' });
  await incoming.getByRole('button', { name: 'Accept' }).click();
  await screenshot(bob.page, 'phone-user-verification');
  await compareEmoji(t, alice.page, bob.page);

  // Alice's user-signing key now vouches for Bob, and Bob's cross-signing for his session.
  await members.getByText('Verified person').waitFor();
  await members.getByRole('list', { name: 'Sessions' }).locator('.verified').waitFor();
  t.is(await members.getByRole('list', { name: 'Sessions' }).locator('.unverified').count(), 0);
  await screenshot(alice.page, 'desktop-user-verified');
  // The chat says what happened, in words.
  await alice.page.getByText('alice asked bob to verify each other by comparing emoji').waitFor();
});

test.serial('a new session verified by emoji gets the cross-signing and backup keys from the old one', async (t) => {
  const server = await startServer(t);
  const old = await newPage(browser(), t, DESKTOP);
  await register(old.page, server.url, 'frank');
  await old.page.getByRole('button', { name: 'New group' }).click();
  await old.page.getByLabel('Name').fill('Diary');
  await old.page.getByRole('button', { name: 'Create group' }).click();
  await old.page.waitForURL(/\/room\//);
  await send(old.page, 'written before the new session');
  await old.page.locator('.event:not(.pending)', { hasText: 'written before the new session' }).waitFor();
  await old.page.getByRole('button', { name: 'Settings', exact: true }).click();
  await old.page.getByRole('button', { name: 'Set up key backup' }).click();
  await old.page.getByRole('button', { name: 'I have saved it' }).click();
  await old.page.getByText(/Keys are backed up/).waitFor();

  const fresh = await newPage(browser(), t, PHONE);
  await login(fresh.page, server.url, 'frank');
  await old.page.locator('.list li', { hasText: 'Not verified' }).getByRole('button', { name: 'Verify' }).click({ timeout: 30_000 });
  await fresh.page.getByRole('dialog', { name: /Verify/ }).getByRole('button', { name: 'Accept' }).click();
  await compareEmoji(t, old.page, fresh.page);

  // No recovery key typed: the secrets came by m.secret.request / m.secret.send.
  await fresh.page.getByRole('button', { name: 'Settings', exact: true }).click();
  await fresh.page.getByText(/Keys are backed up/).waitFor();
  await fresh.page.getByText(/This session holds your cross-signing keys/).waitFor();
  await screenshot(fresh.page, 'phone-secrets-received');
  await fresh.page.getByRole('button', { name: 'Back to conversations' }).click();
  await fresh.page.getByRole('link', { name: /Diary/ }).click();
  await fresh.page.locator('.event .body', { hasText: 'written before the new session' }).waitFor();
  t.pass();
});
