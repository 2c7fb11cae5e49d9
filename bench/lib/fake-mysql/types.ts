/** Shared vocabulary of the fake MySQL fleet (a benchmark stand-in; see fake-fleet.ts). */

export type FakeRole = 'writer' | 'reader';

/** What the instance reports itself as: plain MySQL 8.0, or Aurora MySQL 3 (8.0-compatible). */
export type FakeFlavour = 'mysql-8.0' | 'aurora-mysql-3';

/**
 * - up: answers normally.
 * - down: like a killed mysqld on a live host: the port refuses connections, open ones are closed.
 * - hang: like SIGSTOP: TCP connects still complete (the kernel accepts), but nothing is answered;
 *   back to 'up', held connections are greeted and queued commands answered, as after SIGCONT.
 * - refuse-new: open connections keep working, new ones are refused (the seed's outage: a full
 *   connection-tracking table), which only a probe that opens a new connection notices.
 */
export type FakeMode = 'up' | 'down' | 'hang' | 'refuse-new';

export const FAKE_ROLES: readonly FakeRole[] = ['writer', 'reader'];
export const FAKE_FLAVOURS: readonly FakeFlavour[] = ['mysql-8.0', 'aurora-mysql-3'];
export const FAKE_MODES: readonly FakeMode[] = ['up', 'down', 'hang', 'refuse-new'];

/** The state a query's answer depends on. */
export interface AnswerState {
  role: FakeRole;
  flavour: FakeFlavour;
}

/** One fake instance as the benchmark sees it: enough to write a checker config. */
export interface FakeInstanceInfo {
  id: string;
  cluster: string;
  host: string;
  port: number;
  role: FakeRole;
  flavour: FakeFlavour;
  mode: FakeMode;
}

/**
 * How instances get addresses.
 * - loopback-addresses: instance k (0-based, clusters consecutive) listens on
 *   127.<secondOctet>.<1 + floor(k / 254)>.<1 + k % 254>:<port>; any 127.x address works on
 *   Linux loopback without configuration, and one address per instance on port 3306 mirrors one
 *   mysqld per secondary IP, like the sandbox.
 * - ports: every instance on `host`, instance k on firstPort + k (for systems where only
 *   127.0.0.1 is configured, e.g. macOS).
 */
export type FakeAddressing =
  | { kind: 'loopback-addresses'; secondOctet: number; port: number }
  | { kind: 'ports'; host: string; firstPort: number };

export interface FakeFleetConfig {
  /** Number of clusters; cluster n (1-based) is named `c<n>`. */
  clusters: number;
  /** Instances per cluster: `c<n>-i1` starts as the writer, the others as readers. */
  instancesPerCluster: number;
  flavour: FakeFlavour;
  addressing: FakeAddressing;
  /** listen(2) backlog per instance. */
  backlog: number;
}

/** Octets 100-239 belong to sandboxes and the tests below 100: fake fleets default above both. */
export const DEFAULT_SECOND_OCTET = 250;

export const DEFAULT_FLEET_CONFIG: FakeFleetConfig = {
  clusters: 1,
  instancesPerCluster: 2,
  flavour: 'aurora-mysql-3',
  addressing: { kind: 'loopback-addresses', secondOctet: DEFAULT_SECOND_OCTET, port: 3306 },
  backlog: 511,
};

/** Which instances a change applies to. */
export type InstanceSelector = { all: true } | { ids: readonly string[] } | { clusters: readonly string[] };

export interface InstanceChange {
  role?: FakeRole;
  mode?: FakeMode;
  flavour?: FakeFlavour;
}

export interface FakeCounters {
  /** Connections accepted since start (including those held while hung). */
  connectionsAccepted: number;
  /** Handshakes completed (authenticated sessions). */
  handshakes: number;
  /** COM_QUERY answered (rows, OK or ERR). */
  queries: number;
  /** Of those, answered with ERR (unsupported statement). */
  queryErrors: number;
  pings: number;
}

export interface FakeFleetStats extends FakeCounters {
  instances: number;
  /** Instances whose port is open (mode up or hang). */
  listening: number;
  connectionsOpen: number;
  byMode: Record<FakeMode, number>;
  byRole: Record<FakeRole, number>;
  /** This process's own cost, so a benchmark can report what the stand-in consumed. */
  process: {
    pid: number;
    cpuUserMs: number;
    cpuSystemMs: number;
    rssMb: number;
    uptimeMs: number;
    /**
     * Event-loop delay since start (or the last stats call with resetEventLoop): when its p99 is
     * small, the stand-in answered promptly and any slowness measured is the client's.
     */
    eventLoopDelayMs: { p50: number; p99: number; max: number };
  };
}
