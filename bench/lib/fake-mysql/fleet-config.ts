import { z } from 'zod';
import { DEFAULT_SECOND_OCTET, type FakeAddressing, type FakeFleetConfig } from './types.js';

/** Thrown when a fake fleet config is malformed; names the field. */
export class FakeConfigError extends Error {
  override readonly name = 'FakeConfigError';
}

const LOOPBACK = /^127\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;
/* Octets 1-254 for the last two: no network or broadcast-looking addresses in logs. */
const PER_OCTET = 254;

const addressingSchema = z.discriminatedUnion('kind', [
  z
    .object({
      kind: z.literal('loopback-addresses'),
      secondOctet: z.number().int().min(1).max(254).default(DEFAULT_SECOND_OCTET),
      port: z.number().int().min(1).max(65535).default(3306),
    })
    .strict(),
  z
    .object({
      kind: z.literal('ports'),
      host: z
        .string()
        .regex(LOOPBACK, 'must be a 127.x.y.z address: fake instances listen on loopback only')
        .refine((h) => h.split('.').every((o) => Number(o) <= 255), 'must be a valid IPv4 address')
        .default('127.0.0.1'),
      firstPort: z.number().int().min(1024).max(65535),
    })
    .strict(),
]);

const configSchema = z
  .object({
    clusters: z.number().int().min(1).default(1),
    instancesPerCluster: z.number().int().min(1).max(64).default(2),
    flavour: z.enum(['mysql-8.0', 'aurora-mysql-3']).default('aurora-mysql-3'),
    addressing: addressingSchema.default({ kind: 'loopback-addresses', secondOctet: DEFAULT_SECOND_OCTET, port: 3306 }),
    backlog: z.number().int().min(1).max(65535).default(511),
  })
  .strict();

/** Validates a config (from JSON or code), fills defaults, and checks the addresses suffice. */
export function parseFleetConfig(input: unknown): FakeFleetConfig {
  const parsed = configSchema.safeParse(input ?? {});
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const field = issue?.path.join('.') || '(config)';
    throw new FakeConfigError(`fake-mysql config: ${field}: ${issue?.message ?? 'invalid'}`);
  }
  const config = parsed.data;
  const total = config.clusters * config.instancesPerCluster;
  const capacity = config.addressing.kind === 'ports' ? 65536 - config.addressing.firstPort : PER_OCTET * PER_OCTET;
  if (total > capacity) {
    throw new FakeConfigError(`fake-mysql config: addressing: ${total} instances do not fit (at most ${capacity} with ${config.addressing.kind})`);
  }
  return config;
}

/** The address of instance k (0-based over the whole fleet; a cluster's instances are consecutive). */
export function addressOf(addressing: FakeAddressing, k: number): { host: string; port: number } {
  if (addressing.kind === 'ports') return { host: addressing.host, port: addressing.firstPort + k };
  return { host: `127.${addressing.secondOctet}.${1 + Math.floor(k / PER_OCTET)}.${1 + (k % PER_OCTET)}`, port: addressing.port };
}
