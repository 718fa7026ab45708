import type { Migration } from './migrations.js';
import { migrations as federation } from '../components/federation/migrations/index.js';
import { migrations as users } from '../components/users/migrations/index.js';
import { migrations as rooms } from '../components/rooms/migrations/index.js';
import { migrations as sync } from '../components/sync/migrations/index.js';
import { migrations as keys } from '../components/keys/migrations/index.js';
import { migrations as media } from '../components/media/migrations/index.js';

/**
 * Every component's schema steps in the order a new database applies them. A component's steps
 * touch only its own tables, so the order between components matters only for first installs.
 */
export function allMigrations(): Migration[] {
  return [...federation, ...users, ...rooms, ...sync, ...keys, ...media];
}
