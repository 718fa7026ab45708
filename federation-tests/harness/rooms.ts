import type { MatrixUser } from './client.js';

/**
 * A room of `creator` that every one of `members` (on other servers) was invited to and joined,
 * with each join seen by the creator and by every other member.
 */
export async function formRoom(creator: MatrixUser, members: readonly MatrixUser[], createBody: Record<string, unknown> = {}, timeoutMs = 20_000): Promise<string> {
  const roomId = await creator.createRoom({ preset: 'private_chat', ...createBody, invite: members.map((m) => m.userId) });
  for (const m of members) {
    await m.waitForRoom(roomId, 'invite', timeoutMs);
    await m.join(roomId, [creator.server.name]);
  }
  await waitForMembers(roomId, [creator, ...members], timeoutMs);
  return roomId;
}

/** Waits until every one of `users` sees every other one joined in the room. */
export async function waitForMembers(roomId: string, users: readonly MatrixUser[], timeoutMs = 20_000): Promise<void> {
  await Promise.all(
    users.map((viewer) =>
      viewer.syncUntil(
        `${users.map((u) => u.userId).join(', ')} joined in ${roomId}`,
        (v) => users.every((u) => v.membershipOf(roomId, u.userId) === 'join'),
        timeoutMs,
      ),
    ),
  );
}
