import { pino, type Logger } from 'pino';
import type { LogLevel } from '../config/config.js';

export type { Logger };

/**
 * Structured JSON logs on stdout. Secrets never reach a log line: request logs carry the route
 * template and the path without its query (access tokens travel in queries too), and these paths
 * are blanked should a caller ever log a request or config object by mistake.
 */
export function createLogger(level: LogLevel, destination?: pino.DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: 'hearth' },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: {
        paths: [
          'access_token',
          'refresh_token',
          'password',
          'new_password',
          'token',
          '*.access_token',
          '*.password',
          '*.refresh_token',
          'headers.authorization',
          'req.headers.authorization',
          'registration.sharedSecret',
          'config.registration.sharedSecret',
        ],
        censor: '[redacted]',
      },
    },
    destination,
  );
}
