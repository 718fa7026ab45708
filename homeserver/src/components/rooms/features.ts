import type Router from '@koa/router';
import type { Knex } from 'knex';
import type { Authenticate } from '../../http/auth.js';
import type { Logger } from '../../log/logger.js';
import { RoomAdmin } from './admin.js';
import { BackgroundTasks } from './background.js';
import { Directory } from './directory.js';
import type { ProfileSource } from './membership.js';
import type { RoomEventBus } from './pipeline/bus.js';
import type { RoomWriter } from './pipeline/writer.js';
import type { RoomReader } from './reader.js';
import { RelationPages } from './relation-pages.js';
import { Reports } from './reports.js';
import { RoomSummaries } from './room-summaries.js';
import { adminRoomRoutes } from './routes/admin-rooms.js';
import { directoryRoutes } from './routes/directory.js';
import { relationRoutes } from './routes/relations.js';
import { reportRoutes } from './routes/reports.js';
import { searchRoutes } from './routes/search.js';
import { timestampRoutes } from './routes/timestamp.js';
import { upgradeRoutes } from './routes/upgrade.js';
import { userDirectoryRoutes } from './routes/user-directory.js';
import { MessageSearch } from './search.js';
import type { CurrentState } from './state/current-state.js';
import type { StateGroups } from './state/state-groups.js';
import type { AliasStore } from './storage/aliases.js';
import { DirectoryStore } from './storage/directory.js';
import type { EventStore } from './storage/events.js';
import { RelationsStore } from './storage/relations.js';
import { ReportStore } from './storage/reports.js';
import { SearchStore } from './storage/search.js';
import { SummaryStore } from './storage/summaries.js';
import { TimelineStore } from './storage/timeline.js';
import { UserDirectoryStore } from './storage/user-directory.js';
import { TimestampLookup } from './timestamp-lookup.js';
import { RoomUpgrader } from './upgrade.js';
import { UserDirectory } from './user-directory.js';

export interface RoomFeaturesDeps {
  db: Knex;
  log: Logger;
  serverName: string;
  authenticate: Authenticate;
  profiles: ProfileSource;
  writer: RoomWriter;
  bus: RoomEventBus;
  events: EventStore;
  current: CurrentState;
  aliases: AliasStore;
  reader: RoomReader;
  groups: StateGroups;
}

export interface RoomFeatures {
  readonly directory: Directory;
  readonly timestamps: TimestampLookup;
  routes(router: Router): void;
  /** Rebuilds derived data a crash (or a new table) left stale. */
  start(): Promise<void>;
  /** Lets background work on committed events finish. */
  stop(): Promise<void>;
}

/**
 * Relations and threads, aliases and the room directory, the user directory, upgrades, reports,
 * timestamp lookup, message search and the rooms admin API, built on the writer, reader and
 * stores of the rooms component.
 */
export function createRoomFeatures(deps: RoomFeaturesDeps): RoomFeatures {
  const { db, log, serverName, authenticate, writer, events, current } = deps;
  const tasks = new BackgroundTasks(log);
  const settled = () => tasks.settled();
  const summaryStore = new SummaryStore(db);
  const directoryStore = new DirectoryStore(db);
  const summaries = new RoomSummaries(summaryStore, current, events, tasks, serverName);
  const userDirectory = new UserDirectory(new UserDirectoryStore(db), deps.profiles, tasks, serverName, settled);
  deps.bus.subscribe((persisted) => {
    summaries.onPersisted(persisted);
    userDirectory.onPersisted(persisted);
  });
  const directory = new Directory(directoryStore, deps.aliases, current, writer, serverName, log, settled);
  const relations = new RelationPages(db, new RelationsStore(db), events, current, deps.reader);
  const reportStore = new ReportStore(db);
  const reports = new Reports(db, reportStore, events, current);
  const timestamps = new TimestampLookup(db, new TimelineStore(db), events, current);
  const upgrader = new RoomUpgrader({ db, writer, current, events, directory: directoryStore, profiles: deps.profiles, serverName, log });
  const search = new MessageSearch(db, new SearchStore(db), events, deps.groups, current, deps.reader);
  const admin = new RoomAdmin(db, summaryStore, reportStore, events, current, serverName, settled);

  return {
    directory,
    timestamps,
    routes(router) {
      relationRoutes(router, relations, authenticate);
      directoryRoutes(router, directory, serverName, authenticate);
      userDirectoryRoutes(router, userDirectory, authenticate);
      upgradeRoutes(router, upgrader, authenticate);
      reportRoutes(router, reports, authenticate);
      timestampRoutes(router, timestamps, authenticate);
      adminRoomRoutes(router, admin, authenticate);
      searchRoutes(router, search, authenticate);
    },
    start() {
      // In the background: after an upgrade every room needs a summary, and readers wait anyway.
      tasks.schedule('summary-repair', () => summaries.repair());
      return Promise.resolve();
    },
    stop: settled,
  };
}
