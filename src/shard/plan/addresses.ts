import { PlanInfeasibleError } from './plan-errors.js';

/**
 * Secondary private IPs for the planned processes, per AZ from policy.private_cidrs. AWS keeps the
 * first four addresses and the last one of every subnet; addresses the inventory names as current
 * servers are skipped too. Without a range, each process gets `auto:<host>/<slot>` and the apply
 * phase lets EC2 choose (and reads the address back).
 */
export function toInt(ip: string): number {
  const parts = ip.split('.').map(Number);
  return (((parts[0] as number) << 24) | ((parts[1] as number) << 16) | ((parts[2] as number) << 8) | (parts[3] as number)) >>> 0;
}

export function fromInt(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

export interface AddressPool {
  next(host: string, slot: number): string;
}

export function placeholderPool(): AddressPool {
  return { next: (host, slot) => `auto:${host}/${slot}` };
}

export function cidrPool(az: string, cidr: string, needed: number, taken: ReadonlySet<string>): AddressPool {
  const [base, bits] = cidr.split('/') as [string, string];
  const prefix = Number(bits);
  const size = 2 ** (32 - prefix);
  const network = (toInt(base) & (prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0)) >>> 0;
  const first = network + 4;
  const last = network + size - 2;
  let free = 0;
  for (let n = first; n <= last && free < needed; n++) if (!taken.has(fromInt(n))) free++;
  if (free < needed) {
    throw new PlanInfeasibleError(`policy.private_cidrs.${az} (${cidr}) has ${free} free addresses, but the plan puts ${needed} mysqld in ${az}`, {
      next: 'give a larger range for that AZ, or leave private_cidrs out and let EC2 choose the addresses',
      details: { az, cidr, free, needed },
    });
  }
  let cursor = first;
  return {
    next: () => {
      while (taken.has(fromInt(cursor))) cursor++;
      return fromInt(cursor++);
    },
  };
}
