import { azBounds } from './az-spread.js';
import { EPS as IMPORTED_EPS, NDIMS as IMPORTED_NDIMS, type Vec } from './demand.js';

// Local copies: an imported binding can be a getter call per access (tsx), in the hottest loops.
const NDIMS = IMPORTED_NDIMS;
const EPS = IMPORTED_EPS;
/**
 * A provisional master copy scores this much higher than a replica of the same size while the
 * host has master room: hosts of big shards then take some small shards' masters early, instead
 * of leaving them all to the last hosts (which hit the master cap and need extra hosts).
 */
const MASTER_PREFERENCE = 1.3;

/** One target host while packing: its AZ, its load as a fraction of usable capacity, its copies. */
export interface Bin {
  az: number;
  load: Float64Array;
  /** One shard index per copy placed here (never the same shard twice). */
  shards: number[];
  members: Set<number>;
  /** The shards whose provisional master copy is here (at most the master cap). */
  masters: Set<number>;
}

export interface PackInput {
  /** Each shard's per-copy demand as a fraction of one host's usable capacity, per dimension. */
  norm: readonly Vec[];
  /** Shards, biggest first (sizeOrder). */
  order: readonly number[];
  copies: number;
  nAz: number;
  /** [shard * nAz + az]: copies of the shard in the AZ (spreadAcrossAzs); updated by moves. */
  azCounts: Int32Array;
  /** A lower bound on the hosts: the improvement pass stops when it reaches it. */
  lowerBound: number;
  /** Per shard, the AZ of its provisional master copy (masterAzs). */
  masterAz: Int32Array;
  /** The most provisional masters one host may take, so that small shards' masters spread out. */
  masterCap: number;
}

/**
 * How much each dimension matters: its total demand in hosts. A scarce resource (the one that
 * sets the lower bound) weighs most, so "size" and "fullness" are measured mostly in it.
 */
export function dimensionWeights(norm: readonly Vec[]): Float64Array {
  const w = new Float64Array(NDIMS);
  for (const v of norm) for (let d = 0; d < NDIMS; d++) w[d] = (w[d] as number) + (v[d] as number);
  const total = w.reduce((a, b) => a + b, 0) || 1;
  for (let d = 0; d < NDIMS; d++) w[d] = (w[d] as number) / total;
  return w;
}

function weighted(v: ArrayLike<number>, w: Float64Array): number {
  let s = 0;
  for (let d = 0; d < NDIMS; d++) s += (v[d] as number) * (w[d] as number);
  return s;
}

/** Shards biggest first: by weighted size, then by largest single share, then by input order. */
export function sizeOrder(norm: readonly Vec[], w: Float64Array): number[] {
  const size = norm.map((v) => weighted(v, w));
  const peak = norm.map((v) => Math.max(...v));
  return norm.map((_, i) => i).sort((a, b) => (size[b] as number) - (size[a] as number) || (peak[b] as number) - (peak[a] as number) || a - b);
}

function fitsBin(bin: Bin, v: Vec, master: boolean, masterCap: number): boolean {
  if (master && bin.masters.size >= masterCap) return false;
  const l = bin.load;
  for (let d = 0; d < NDIMS; d++) if ((l[d] as number) + (v[d] as number) > 1 + EPS) return false;
  return true;
}

function place(bin: Bin, s: number, v: Vec, master: boolean): void {
  for (let d = 0; d < NDIMS; d++) bin.load[d] = (bin.load[d] as number) + (v[d] as number);
  bin.shards.push(s);
  bin.members.add(s);
  if (master) bin.masters.add(s);
}

function unplace(bin: Bin, s: number, v: Vec): void {
  for (let d = 0; d < NDIMS; d++) bin.load[d] = (bin.load[d] as number) - (v[d] as number);
  const i = bin.shards.lastIndexOf(s);
  bin.shards.splice(i, 1);
  bin.members.delete(s);
  bin.masters.delete(s);
}

function newBin(az: number): Bin {
  return { az, load: new Float64Array(NDIMS), shards: [], members: new Set(), masters: new Set() };
}

/**
 * Packs every copy onto as few hosts as it can. Per AZ, hosts are filled one at a time: the next
 * copy for the open host is the one whose demand lines up best with the host's remaining capacity
 * (largest weighted dot product of demand and free space) among those that fit and whose shard is
 * not on the host yet; when nothing fits, the host is closed and a new one opened. This keeps
 * memory-heavy and disk-heavy shards mixed on a host instead of filling one resource early.
 * One copy of each shard is its provisional master, and a host takes at most masterCap of them,
 * so that hosts full of small shards cannot end up holding every copy of those shards (their
 * masters would then all have to be there). Then an improvement pass empties the least-loaded
 * hosts into the others.
 */
export function packCopies(input: PackInput): Bin[] {
  const w = dimensionWeights(input.norm);
  const bins: Bin[] = [];
  for (let a = 0; a < input.nAz; a++) bins.push(...fillAz(input, a, w));
  return eliminate(bins, input, w);
}

function fillAz(input: PackInput, az: number, w: Float64Array): Bin[] {
  // Items are shard * 2 + 1 for the shard's provisional master copy, shard * 2 for a replica.
  let remaining: number[] = [];
  for (const s of input.order) {
    for (let k = input.azCounts[s * input.nAz + az] as number; k > 0; k--) remaining.push(s * 2 + (k === 1 && input.masterAz[s] === az ? 1 : 0));
  }
  const bins: Bin[] = [];
  while (remaining.length > 0) {
    const bin = newBin(az);
    bins.push(bin);
    const used = new Uint8Array(remaining.length);
    for (;;) {
      let best = -1;
      let bestScore = -1;
      for (let i = 0; i < remaining.length; i++) {
        if (used[i] === 1) continue;
        const item = remaining[i] as number;
        const s = item >> 1;
        if (bin.members.has(s)) continue;
        if ((item & 1) === 1 && bin.masters.size >= input.masterCap) continue;
        const v = input.norm[s] as Vec;
        let score = 0;
        let ok = true;
        for (let d = 0; d < NDIMS; d++) {
          const free = 1 - (bin.load[d] as number);
          if ((v[d] as number) > free + EPS) {
            ok = false;
            break;
          }
          score += (v[d] as number) * free * (w[d] as number);
        }
        if ((item & 1) === 1) score *= MASTER_PREFERENCE;
        if (ok && score > bestScore) {
          best = i;
          bestScore = score;
        }
      }
      if (best < 0) break;
      used[best] = 1;
      const item = remaining[best] as number;
      place(bin, item >> 1, input.norm[item >> 1] as Vec, (item & 1) === 1);
    }
    remaining = remaining.filter((_, i) => used[i] !== 1);
  }
  return bins;
}

/**
 * Tries to empty hosts, least loaded first, by moving each of their copies to the best other host
 * that takes it. A copy may move to another AZ only if the shard's AZ spread stays balanced (the
 * source AZ keeps at least floor, the target gets at most ceil of copies / AZs). An attempt that
 * cannot move every copy is rolled back.
 */
function eliminate(bins: Bin[], input: PackInput, w: Float64Array): Bin[] {
  const { min, max } = azBounds(input.copies, input.nAz);
  const counts = input.azCounts;
  const nAz = input.nAz;
  let live = bins;
  const emptied = new Set<Bin>();
  // Moves only fill the other hosts, so a host that could not be emptied will (nearly) never be
  // later: each pass tries every host once, emptiest first, and passes repeat while one empties.
  for (let pass = 0; pass < 3; pass++) {
    const victims = [...live].sort((x, y) => weighted(x.load, w) - weighted(y.load, w));
    for (const victim of victims) {
      if (live.length - emptied.size <= input.lowerBound) break;
      if (tryEmpty(victim)) emptied.add(victim);
    }
    const before = live.length;
    live = live.filter((b) => !emptied.has(b));
    if (live.length === before) break;
  }
  return live;

  function tryEmpty(victim: Bin): boolean {
    const moved: [number, Bin, boolean][] = [];
    const items = [...victim.shards].sort((x, y) => weighted(input.norm[y] as Vec, w) - weighted(input.norm[x] as Vec, w));
    for (const s of items) {
      const v = input.norm[s] as Vec;
      const master = victim.masters.has(s);
      const canLeaveAz = (counts[s * nAz + victim.az] as number) > min;
      let best: Bin | undefined;
      let bestFill = -1;
      for (const bin of live) {
        if (bin === victim || emptied.has(bin) || bin.members.has(s)) continue;
        if (bin.az !== victim.az && (!canLeaveAz || (counts[s * nAz + bin.az] as number) >= max)) continue;
        if (!fitsBin(bin, v, master, input.masterCap)) continue;
        const fill = weighted(bin.load, w);
        if (fill > bestFill) {
          best = bin;
          bestFill = fill;
        }
      }
      if (!best) {
        for (const [t, bin, m] of moved.reverse()) moveCopy(t, bin, victim, m);
        return false;
      }
      moveCopy(s, victim, best, master);
      moved.push([s, best, master]);
    }
    return true;
  }

  function moveCopy(s: number, from: Bin, to: Bin, master: boolean): void {
    const v = input.norm[s] as Vec;
    unplace(from, s, v);
    place(to, s, v, master);
    if (master) input.masterAz[s] = to.az;
    counts[s * nAz + from.az] = (counts[s * nAz + from.az] as number) - 1;
    counts[s * nAz + to.az] = (counts[s * nAz + to.az] as number) + 1;
  }
}
