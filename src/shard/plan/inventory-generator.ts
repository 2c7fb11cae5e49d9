import type { InventoryInput } from './inventory-schema.js';
import { SeededRandom } from './seeded-random.js';

/**
 * Local-NVMe instance types (AWS i3 / i3en). IOPS are the 4 KiB random-write figures (writes are
 * what a shard saturates); max_private_ips is ENIs x IPv4 addresses per ENI; hourly_cost is an
 * approximate ap-northeast-1 on-demand price, for comparing types only: use your own prices.
 */
export const LOCAL_NVME_HOST_TYPES = [
  { name: 'i3.xlarge', vcpu: 4, memory_gb: 30.5, nvme_gb: 950, nvme_iops: 70_000, max_private_ips: 60, hourly_cost: 0.366 },
  { name: 'i3.2xlarge', vcpu: 8, memory_gb: 61, nvme_gb: 1900, nvme_iops: 180_000, max_private_ips: 60, hourly_cost: 0.732 },
  { name: 'i3.4xlarge', vcpu: 16, memory_gb: 122, nvme_gb: 3800, nvme_iops: 360_000, max_private_ips: 240, hourly_cost: 1.464 },
  { name: 'i3.8xlarge', vcpu: 32, memory_gb: 244, nvme_gb: 7600, nvme_iops: 720_000, max_private_ips: 240, hourly_cost: 2.928 },
  { name: 'i3en.xlarge', vcpu: 4, memory_gb: 32, nvme_gb: 2500, nvme_iops: 65_000, max_private_ips: 60, hourly_cost: 0.542 },
  { name: 'i3en.2xlarge', vcpu: 8, memory_gb: 64, nvme_gb: 5000, nvme_iops: 130_000, max_private_ips: 60, hourly_cost: 1.085 },
  { name: 'i3en.3xlarge', vcpu: 12, memory_gb: 96, nvme_gb: 7500, nvme_iops: 200_000, max_private_ips: 60, hourly_cost: 1.627 },
  { name: 'i3en.6xlarge', vcpu: 24, memory_gb: 192, nvme_gb: 15_000, nvme_iops: 400_000, max_private_ips: 240, hourly_cost: 3.254 },
];

export const TOKYO_AZS = ['ap-northeast-1a', 'ap-northeast-1c', 'ap-northeast-1d'];

export interface GenerateOptions {
  shards: number;
  seed: number;
  /** Replicas each shard has today (the seed's rule: three). */
  currentReplicas?: number;
  hostTypes?: InventoryInput['host_types'];
  policy?: Partial<InventoryInput['policy']>;
}

const round1 = (n: number): number => Math.round(n * 10) / 10;
const clamp = (n: number, lo: number, hi: number): number => Math.min(hi, Math.max(lo, n));

/**
 * A fleet some weeks after launch: load has fallen, data keeps growing (the seed's story). Three
 * kinds of shard: most have settled (hundreds of GB, under a vCPU at peak), some are still hot
 * (more CPU and IOPS, a bigger buffer pool), some are big and cold (a lot of data, a small
 * working set). Each runs today on its own master and replicas, one server per copy.
 */
export function generateInventory(o: GenerateOptions): InventoryInput {
  const rng = new SeededRandom(o.seed);
  const replicas = o.currentReplicas ?? 3;
  const azs = o.policy?.azs ?? TOKYO_AZS;
  const shards: InventoryInput['shards'] = [];
  let serverNo = 0;
  const server = (): { host: string; az: string } => {
    const n = serverNo++;
    return { host: `10.${1 + Math.floor(n / 65_024)}.${Math.floor((n % 65_024) / 254)}.${1 + (n % 254)}`, az: azs[n % azs.length] as string };
  };
  const width = String(o.shards).length;
  for (let i = 0; i < o.shards; i++) {
    const kind = rng.next();
    let data: number;
    let pool: number;
    let cpu: number;
    let iops: number;
    if (kind < 0.7) {
      data = rng.logNormal(250, 0.5);
      pool = data * rng.between(0.02, 0.06);
      cpu = rng.logNormal(0.6, 0.5);
      iops = rng.logNormal(1500, 0.6);
    } else if (kind < 0.85) {
      data = rng.logNormal(150, 0.5);
      pool = data * rng.between(0.1, 0.2);
      cpu = rng.logNormal(2.5, 0.4);
      iops = rng.logNormal(6000, 0.5);
    } else {
      data = rng.logNormal(900, 0.4);
      pool = data * rng.between(0.005, 0.015);
      cpu = rng.logNormal(0.3, 0.5);
      iops = rng.logNormal(800, 0.5);
    }
    shards.push({
      name: `shard-${String(i + 1).padStart(Math.max(4, width), '0')}`,
      master: server(),
      replicas: Array.from({ length: replicas }, server),
      // Operators split a shard long before it outgrows a server: the tails are capped.
      data_gb: clamp(Math.round(data), 20, 2400),
      peak_cpu: clamp(round1(cpu), 0.1, 6),
      peak_iops: clamp(Math.round(iops / 10) * 10, 50, 30_000),
      buffer_pool_gb: clamp(Math.round(pool), 1, 40),
    });
  }
  return {
    shards,
    host_types: o.hostTypes ?? LOCAL_NVME_HOST_TYPES,
    policy: { azs, ...o.policy },
  };
}
