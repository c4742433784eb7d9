import { spawn, type ChildProcess } from 'node:child_process';
import { eventually } from './deferred.js';
import { accepts, freePort, sigkill } from './private-redis.js';
import { onProcessDeath } from './process-death.js';

const HOST = '127.0.0.1';

/** The command line of each broker on a given port, with no persistence. */
const COMMANDS = {
  redis: (port: number) => ['redis-server', ['--port', String(port), '--bind', HOST, '--save', '', '--appendonly', 'no']],
  nats: (port: number) => ['nats-server', ['-a', HOST, '-p', String(port)]],
  mqtt: (port: number) => ['mosquitto', ['-p', String(port)]],
} as const satisfies Record<string, (port: number) => readonly [string, readonly string[]]>;

export type BrokerKind = keyof typeof COMMANDS;

/**
 * A Redis, NATS or MQTT broker private to one test (a child process on a free port) that the
 * test may SIGKILL: faults are injected on it, never on the machine's shared services.
 */
export class PrivateBroker {
  readonly host = HOST;
  private process?: ChildProcess;
  private forgetCleanup?: () => void;

  private constructor(
    readonly kind: BrokerKind,
    readonly port: number,
  ) {}

  static async start(kind: BrokerKind): Promise<PrivateBroker> {
    const broker = new PrivateBroker(kind, await freePort());
    const [command, args] = COMMANDS[kind](broker.port);
    broker.process = spawn(command, args, { stdio: 'ignore' });
    broker.forgetCleanup = onProcessDeath(() => broker.process?.kill('SIGKILL'));
    await eventually(() => accepts(broker.port), 10_000, 20);
    return broker;
  }

  /** Kills the broker (SIGKILL: a crash) and waits until it is gone. */
  async kill(): Promise<void> {
    await sigkill(this.process);
    this.forgetCleanup?.();
  }
}
