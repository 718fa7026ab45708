import { readFileSync } from 'node:fs';
import net from 'node:net';

/**
 * Ports are chosen before the servers start (a restarted server must come back on the same ones),
 * so something else could take one in between. Ports the kernel hands out for "any free port"
 * (its ephemeral range) are taken by every other test all the time; ours come from below it.
 */

const LOWEST = 10_000;

function ephemeralStart(): number {
  try {
    const [low] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/).map(Number);
    if (low !== undefined && Number.isInteger(low)) return low;
  } catch {
    // Not Linux: the IANA dynamic range.
  }
  return 49_152;
}

function bind(server: net.Server, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => resolve(true));
  });
}

/**
 * `count` distinct ports free on 127.0.0.1 right now, picked at random below the ephemeral range
 * (or anywhere when that range starts too low). All are held open until every one is found.
 */
export async function freePorts(count: number): Promise<number[]> {
  const high = ephemeralStart() - 1;
  const servers: net.Server[] = [];
  const ports: number[] = [];
  try {
    for (let attempts = 0; ports.length < count; attempts++) {
      if (attempts > count * 50) throw new Error('could not find free ports on 127.0.0.1');
      const wanted = high - LOWEST > 1000 ? LOWEST + Math.floor(Math.random() * (high - LOWEST)) : 0;
      if (ports.includes(wanted)) continue;
      const server = net.createServer();
      if (await bind(server, wanted)) {
        servers.push(server);
        ports.push((server.address() as net.AddressInfo).port);
      }
    }
    return ports;
  } finally {
    await Promise.all(servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
  }
}
