import type { Dim } from './demand.js';
import type { Headroom } from './inventory-schema.js';

/**
 * The plan is data: `shard plan --json` prints it whole, `shard apply` runs its moves, and the
 * audit log can store it. Nothing in it depends on the clock, so the same inventory always gives
 * the same plan, byte for byte.
 */
export const PLAN_FORMAT = 'dbfleet-shard-plan/1';

export type Role = 'master' | 'replica';

/** Resources in their units: vCPU, GB, GB, IOPS, private IPs. */
export interface Resources {
  cpu: number;
  memory_gb: number;
  disk_gb: number;
  iops: number;
  ips: number;
}

export interface PlannedProcess {
  shard: string;
  role: Role;
  /** An address from policy.private_cidrs, or `auto:<host>/<slot>` for EC2 to choose at apply time. */
  secondary_ip: string;
  port: number;
  /** Unique across the whole plan. */
  server_id: number;
  config_path: string;
  buffer_pool_mb: number;
  /** What this copy needs on the host (memory includes the per-mysqld overhead). */
  demand: Omit<Resources, 'ips'>;
}

export interface PlannedHost {
  name: string;
  type: string;
  az: string;
  masters: number;
  usage: Resources;
  /** Usage as a fraction of the usable (headroom) capacity, per resource. */
  utilisation: Record<Dim, number>;
  processes: PlannedProcess[];
}

/** One mysqld of the plan, as the steps refer to it. */
export interface ProcessRef {
  host: string;
  ip: string;
  port: number;
  server_id: number;
}

export type MoveStep =
  /** Attach each secondary IP, write my-<shard>.cnf, create the datadir, start mysqld. */
  | { step: 'provision'; processes: (ProcessRef & { role: Role; config_path: string; buffer_pool_mb: number })[] }
  /** Copy the data (dump with binlog coordinates, or a physical backup) from a current server. */
  | { step: 'seed'; source: string; targets: ProcessRef[] }
  /** Replicate from the current master until the new copies are caught up. */
  | { step: 'catch_up'; source_master: string; targets: ProcessRef[] }
  /** Compare table checksums with a current replica (reference), both stopped at one master position. */
  | { step: 'verify'; reference: string; targets: ProcessRef[] }
  /** Online master switch to the new master; the other new copies follow it. */
  | { step: 'switchover'; from: string; to: ProcessRef }
  /** Servers that hold no shard any more after this move: stop them after an observation period, on confirmation. */
  | { step: 'retire'; hosts: string[] };

export interface ShardMove {
  /** 1-based position in the order of moves. */
  order: number;
  /** Moves in the same wave touch disjoint hosts (up to policy.seeds_per_host each) and may run together. */
  wave: number;
  shard: string;
  from: { master: string; replicas: string[] };
  to: { master: ProcessRef; replicas: ProcessRef[] };
  steps: MoveStep[];
}

export interface CandidateType {
  host_type: string;
  /** chosen; packed (worse than the chosen one); skipped (its lower bound cannot beat the chosen); too_small. */
  status: 'chosen' | 'packed' | 'skipped' | 'too_small';
  lower_bound?: number;
  hosts?: number;
  hourly_cost?: number;
  reason?: string;
}

export interface PlanSummary {
  shards: number;
  copies_per_shard: number;
  processes: number;
  hosts_before: number;
  hosts_after: number;
  /** 100 * (1 - after / before). */
  saving_pct: number;
  host_type: string;
  lower_bound: number;
  lower_bound_by: Record<Dim | 'copies', number>;
  binding: Dim | 'copies';
  /** 100 * (hosts_after / lower_bound - 1): how far the plan may be from the best possible. */
  gap_pct: number;
  hourly_cost_after?: number;
  /** Total demand as a fraction of the usable capacity of all target hosts, per resource. */
  utilisation: Record<Dim, number>;
  masters_per_host: { min: number; max: number; cap: number };
  hosts_per_az: Record<string, number>;
  masters_per_az: Record<string, number>;
  waves: number;
}

export interface ShardPlan {
  format: typeof PLAN_FORMAT;
  policy: { copies: number; az_spread: 'balanced' | 'strict'; azs: string[]; headroom: Headroom; objective: 'hosts' | 'cost'; mysqld_overhead_gb: number };
  host_type: { name: string; vcpu: number; memory_gb: number; nvme_gb: number; nvme_iops: number; max_private_ips: number; hourly_cost?: number; usable: Resources };
  summary: PlanSummary;
  candidates: CandidateType[];
  hosts: PlannedHost[];
  moves: ShardMove[];
}
