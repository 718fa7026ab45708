import type Router from '@koa/router';

/**
 * What the composition root knows of a component: its routes, and what to do at start and stop
 * (its schema steps are listed in db/schema.ts). Everything else a component offers other components goes through its api.ts.
 */
export interface Component {
  readonly name: string;
  routes?(router: Router): void;
  start?(): Promise<void>;
  /** Called after the listener stopped accepting and in-flight requests finished. */
  stop?(): Promise<void>;
}
