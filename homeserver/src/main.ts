import { parseArgs } from 'node:util';
import { ConfigError } from './config/config.js';
import { loadConfig } from './config/load.js';
import { startHomeserver } from './homeserver.js';

const USAGE = 'usage: hearth [--config PATH]\n  Settings come from the YAML file and the environment (see deploy/homeserver.example.yaml).';

async function main(): Promise<void> {
  let args;
  try {
    args = parseArgs({ options: { config: { type: 'string', short: 'c' }, help: { type: 'boolean', short: 'h' } } });
  } catch (err) {
    console.error(`${(err as Error).message}\n${USAGE}`);
    process.exit(2);
  }
  if (args.values.help) {
    console.log(USAGE);
    return;
  }
  let config;
  try {
    config = loadConfig({ file: args.values.config ?? process.env.HS_CONFIG });
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(`config error: ${err.message}`);
      process.exit(2);
    }
    throw err;
  }
  const hs = await startHomeserver(config);
  let signals = 0;
  const shutdown = (signal: string): void => {
    signals++;
    if (signals > 1) {
      hs.log.warn({ signal }, 'second signal: exiting now');
      process.exit(1);
    }
    hs.stop().then(
      () => process.exit(0),
      (err: unknown) => {
        hs.log.error({ err }, 'error while stopping');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
  // Renewed certificates are taken without a restart.
  process.on('SIGHUP', () => {
    try {
      hs.reloadTls();
    } catch (err) {
      hs.log.error({ err }, 'could not reload the federation TLS certificate; the old one stays');
    }
  });
}

main().catch((err: unknown) => {
  console.error('hearth failed to start:', err);
  process.exit(1);
});
