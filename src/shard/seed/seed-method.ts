import { StateError } from '../../core/errors.js';

/** How a new copy gets its data: a physical copy over the MySQL protocol, or a logical dump. */
export type SeedMethod = 'clone' | 'dump';

/** What the operator asked for (consolidation.seed_method): `auto` clones where both sides allow it. */
export type SeedMethodChoice = 'auto' | SeedMethod;

/** What the seed read from both servers before choosing. Plain data, so the choice is pure. */
export interface SeedMethodFacts {
  asked: SeedMethodChoice;
  donor: CloneSide & {
    /** The seed account holds BACKUP_ADMIN on the donor (granted directly; a role's is not seen). */
    backupAdmin: boolean;
    account: string;
    /** User tables not in InnoDB (schema.table (engine)): CLONE copies only InnoDB data, others arrive empty. */
    nonInnodbTables: string[];
  };
  recipient: CloneSide;
}

export interface CloneSide {
  host: string;
  /** e.g. "MySQL 9.7.4", "MariaDB 10.11.6" */
  engine: string;
  /** major.minor.patch */
  version: string;
  /** The engine can clone at all (MySQL 8.0.17+). */
  cloneSupported: boolean;
  /** information_schema.plugins' PLUGIN_STATUS of `clone`, or undefined when it is not installed. */
  clonePlugin: string | undefined;
}

export interface SeedMethodDecision {
  method: SeedMethod;
  /** One sentence for the journal and the log: why this method. */
  why: string;
}

/**
 * Chooses CLONE where both sides allow it (MySQL 8.0.17+ on both, of one series, the plugin active
 * on both, BACKUP_ADMIN for the account on the donor, and every user table InnoDB), else the
 * logical dump, saying why. `clone` asked and not possible is refused rather than silently
 * dumped. Pure.
 */
export function chooseSeedMethod(f: SeedMethodFacts): SeedMethodDecision {
  if (f.asked === 'dump') return { method: 'dump', why: 'consolidation.seed_method is dump' };
  const obstacle = cloneObstacle(f);
  if (obstacle === undefined) {
    const engines = f.donor.engine === f.recipient.engine ? `${f.donor.engine} on both sides` : `${f.donor.engine} on the donor and ${f.recipient.engine} on the new copy (one series)`;
    return { method: 'clone', why: `${engines} with the clone plugin active, and ${f.donor.account} holds BACKUP_ADMIN on the donor ${f.donor.host}` };
  }
  if (f.asked === 'clone') {
    throw new StateError('SEED_CLONE_IMPOSSIBLE', `consolidation.seed_method is clone, but ${obstacle}`, {
      next: 'make CLONE possible (see docs/shard-apply.md, "Seeding"), or set consolidation.seed_method to auto or dump',
    });
  }
  return { method: 'dump', why: `no CLONE: ${obstacle}` };
}

function cloneObstacle(f: SeedMethodFacts): string | undefined {
  for (const side of [f.donor, f.recipient]) {
    if (!side.cloneSupported) return `${side.host} runs ${side.engine}, which has no CLONE over the MySQL protocol (MySQL 8.0.17 and later have)`;
  }
  if (!sameCloneSeries(f.donor.version, f.recipient.version)) return `the donor ${f.donor.host} runs ${f.donor.engine} and the new copy ${f.recipient.engine}: CLONE needs one series (from 8.0.37; the same release before)`;
  if (f.donor.clonePlugin !== 'ACTIVE') return `the donor ${f.donor.host} has the clone plugin ${f.donor.clonePlugin === undefined ? 'not installed' : f.donor.clonePlugin} (load it there with plugin-load-add = mysql_clone.so)`;
  if (f.recipient.clonePlugin !== 'ACTIVE') return `the new copy could not load the clone plugin (${f.recipient.clonePlugin ?? 'not installed'}: is mysql_clone.so in its plugin_dir?)`;
  if (!f.donor.backupAdmin) return `${f.donor.account} has no BACKUP_ADMIN on the donor ${f.donor.host}`;
  if (f.donor.nonInnodbTables.length > 0) return `the donor ${f.donor.host} has tables CLONE would copy empty (it copies InnoDB data only): ${f.donor.nonInnodbTables.slice(0, 5).join(', ')}${f.donor.nonInnodbTables.length > 5 ? ', ...' : ''}`;
  return undefined;
}

/**
 * MySQL clones within one series (major.minor) from 8.0.37, and 8.4 and later; before 8.0.37 the
 * donor and the recipient must be the same release.
 */
export function sameCloneSeries(a: string, b: string): boolean {
  const parse = (v: string): number[] => v.split('.').map(Number);
  const [x, y] = [parse(a), parse(b)];
  if (x[0] !== y[0] || x[1] !== y[1]) return false;
  const from8037 = (v: number[]): boolean => (v[0] ?? 0) > 8 || ((v[0] ?? 0) === 8 && ((v[1] ?? 0) > 0 || (v[2] ?? 0) >= 37));
  return (from8037(x) && from8037(y)) || x[2] === y[2];
}
