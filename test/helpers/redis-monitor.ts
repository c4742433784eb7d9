import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { connect, type Socket } from 'node:net';

/** One command a Redis server executed, as `MONITOR` reports it. */
export interface MonitoredCommand {
  /** Upper-case command name (`MGET`). */
  name: string;
  args: string[];
  /** `'lua'` for commands a script ran, else the client's address. */
  source: string;
}

/** A Redis server to watch. */
export interface MonitoredNode {
  host: string;
  port: number;
}

/**
 * Runs `action` and returns the commands the servers at `nodes` executed meanwhile that touch a key
 * starting with `prefix` (the full Redis key: include the client's `keyPrefix`). Counts what Redis
 * really received, on a Redis other suites share: one private `MONITOR` connection per node, and
 * a keyless `ECHO` marker per node afterwards, so every command of `action` has been reported
 * once the marker is (MONITOR reports in execution order).
 *
 * Speaks RESP on a plain socket: ioredis' `monitor()` can fail with "Command queue state error"
 * when a busy server reports a command before the client has switched modes.
 *
 * @example
 * const commands = await commandsDuring([SERVICES.redis], prefix, () => store.getMany(keys));
 * assert.equal(commands.filter((c) => c.name === 'MGET').length, 1);
 */
export async function commandsDuring(
  nodes: readonly MonitoredNode[],
  prefix: string,
  action: () => Promise<unknown>,
): Promise<MonitoredCommand[]> {
  const marker = `commands-during:${randomUUID()}`;
  const seen: MonitoredCommand[] = [];
  const sockets: Socket[] = [];
  try {
    const monitors = await Promise.all(
      nodes.map(async (node) => {
        const socket = connect(node);
        sockets.push(socket);
        await once(socket, 'connect');
        return watch(socket, (command) => {
          if (command.args.some((arg) => arg.startsWith(prefix))) seen.push(command);
        }, marker);
      }),
    );
    await Promise.all(monitors.map(({ ready }) => ready));
    await action();
    for (const socket of sockets) socket.write(resp(['ECHO', marker]));
    await Promise.all(monitors.map(({ markerSeen }) => markerSeen));
    return seen;
  } finally {
    for (const socket of sockets) socket.destroy();
  }
}

/** Puts `socket` in MONITOR mode: `ready` once the server said OK, `markerSeen` once a command carried `marker`. */
function watch(socket: Socket, onCommand: (command: MonitoredCommand) => void, marker: string) {
  let buffered = '';
  let resolveReady!: () => void;
  let resolveMarker!: () => void;
  let fail!: (error: Error) => void;
  const ready = new Promise<void>((resolve, reject) => ((resolveReady = resolve), (fail = reject)));
  const markerSeen = new Promise<void>((resolve, reject) => {
    resolveMarker = resolve;
    socket.once('error', reject);
  });
  socket.once('error', (error) => fail(error));
  socket.setEncoding('latin1'); // MONITOR escapes every byte that is not printable ASCII
  socket.on('data', (chunk: string) => {
    buffered += chunk;
    let end: number;
    while ((end = buffered.indexOf('\r\n')) >= 0) {
      const line = buffered.slice(0, end);
      buffered = buffered.slice(end + 2);
      if (line === '+OK') resolveReady();
      else if (line.startsWith('-')) fail(new Error(`MONITOR refused: ${line.slice(1)}`));
      else if (line.startsWith('+')) {
        const command = parseMonitorLine(line.slice(1));
        if (command.args[0] === marker) resolveMarker();
        else onCommand(command);
      }
    }
  });
  socket.write(resp(['MONITOR']));
  return { ready, markerSeen };
}

/** A RESP array of bulk strings: how clients send commands. */
function resp(args: readonly string[]): string {
  return `*${args.length}\r\n${args.map((arg) => `$${Buffer.byteLength(arg)}\r\n${arg}\r\n`).join('')}`;
}

const ESCAPES: Record<string, string> = { n: '\n', r: '\r', t: '\t', a: '\x07', b: '\b' };

/** `1700000000.123 [0 127.0.0.1:5000] "mget" "a\xc3\xa9"` → MGET with its arguments (UTF-8 decoded). */
export function parseMonitorLine(line: string): MonitoredCommand {
  const bracket = line.indexOf('] ');
  const source = line.slice(line.indexOf(' ', line.indexOf('[')) + 1, bracket);
  const words: string[] = [];
  let i = bracket + 2;
  while (i < line.length) {
    if (line[i] !== '"') {
      i++;
      continue;
    }
    let bytes = '';
    for (i++; line[i] !== '"'; ) {
      if (line[i] !== '\\') bytes += line[i++];
      else if (line[i + 1] === 'x') {
        bytes += String.fromCharCode(parseInt(line.slice(i + 2, i + 4), 16));
        i += 4;
      } else {
        bytes += ESCAPES[line[i + 1]] ?? line[i + 1];
        i += 2;
      }
    }
    i++;
    words.push(Buffer.from(bytes, 'latin1').toString('utf8'));
  }
  return { name: words[0].toUpperCase(), args: words.slice(1), source };
}
