import { checkFields, fail, isPlainObject, type OptionCheck } from '../common/option-checks.js';

/** `Transport` enum values of `@nestjs/microservices` the `TransportBus` runs on (the package is loaded only when a bus connects). */
export const SUPPORTED_TRANSPORTS: Readonly<Record<number, string>> = { 1: 'REDIS', 2: 'NATS', 3: 'MQTT' };

const EXPECTED_TRANSPORT = 'Transport.REDIS, Transport.NATS or Transport.MQTT (from @nestjs/microservices)';

/**
 * Checks Nest transport options given as the `bus` option (`{ transport, options?, client? }`):
 * `transport` present and supported, `options` an object, nothing else; `path` names the option.
 * A `{ host, port }` without `transport` fails on `bus.transport`, not later at connect.
 * @throws InvalidOptionsError naming `bus.transport`, `bus.options`, `bus.client` or the unknown field
 */
export const checkTransportBusOptions: OptionCheck = (value, path) => {
  if (!isPlainObject(value)) fail(path, `Nest transport options { transport: ${EXPECTED_TRANSPORT}, options }`, value);
  // The missing transport first: `{ host, port }` is a bus without one, more than a stray `host`.
  const { transport } = value as { transport?: unknown };
  if (transport === undefined) fail(`${path}.transport`, `${EXPECTED_TRANSPORT}, with connection settings under "${path}.options"`, transport);
  checkFields(value, TRANSPORT_FIELDS, path);
};

const TRANSPORT_FIELDS: Readonly<Record<string, OptionCheck>> = {
  transport: (value, path) => {
    if (typeof value !== 'number' || !(value in SUPPORTED_TRANSPORTS)) fail(path, EXPECTED_TRANSPORT, value);
  },
  options: (value, path) => {
    if (!isPlainObject(value)) fail(path, 'the transport\'s client options, e.g. { host, port } for Redis, { servers } for NATS, { url } for MQTT', value);
  },
  client: (value, path) => {
    const client = value as { emit?: unknown; connect?: unknown } | null;
    if (typeof client?.emit !== 'function' || typeof client.connect !== 'function') fail(path, 'a ClientProxy (from ClientsModule)', value);
  },
};

/**
 * Where transport options point, for error messages: `host:port` (Redis and MQTT host/port), the
 * NATS servers or the MQTT url; the transport's default host and port when none are given.
 */
export function describeTransportEndpoint(transport: unknown, options: unknown): string {
  const o = (isPlainObject(options) ? options : {}) as Record<string, unknown>;
  switch (SUPPORTED_TRANSPORTS[Number(transport)]) {
    case 'REDIS':
      return o.path !== undefined ? String(o.path) : `${String(o.host ?? 'localhost')}:${String(o.port ?? 6379)}`;
    case 'NATS': {
      const servers = o.servers ?? 'nats://localhost:4222';
      return Array.isArray(servers) ? servers.map(String).join(', ') : String(servers);
    }
    case 'MQTT':
      // Nest's MQTT server connects to `url` (default below); host/port in options refine it.
      return o.url !== undefined ? String(o.url) : o.host !== undefined || o.port !== undefined ? `${String(o.host ?? 'localhost')}:${String(o.port ?? 1883)}` : 'mqtt://localhost:1883';
    default:
      return 'an unsupported transport';
  }
}
