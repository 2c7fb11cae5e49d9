/**
 * Whether a replica can apply what its source writes, judged from both servers' @@gtid_mode (pure,
 * table-tested). A source at OFF or OFF_PERMISSIVE writes anonymous transactions, one at
 * ON_PERMISSIVE or ON writes GTID transactions; a replica at OFF applies only anonymous ones, a
 * replica at ON only GTID ones, the two permissive modes either. A GTID_MODE=ON replica applies an
 * anonymous source with ASSIGN_GTIDS_TO_ANONYMOUS_TRANSACTIONS (MySQL 8.0.23+, Aurora 3):
 * dbfleet's step 9 sets it to LOCAL, so the replica numbers those transactions in its own
 * server_uuid's sequence, which no other server allocates (a source's UUID could collide with the
 * numbers that source gives itself once it turns GTIDs on). Nothing makes a replica at OFF apply
 * GTID transactions: that pair is refused.
 */
export const GTID_MODES = ['OFF', 'OFF_PERMISSIVE', 'ON_PERMISSIVE', 'ON'] as const;
export type GtidMode = (typeof GTID_MODES)[number];

export type GtidPairPlan =
  | { kind: 'plain'; why: string }
  | { kind: 'assign'; why: string }
  | { kind: 'refuse'; why: string; next: string };

export function asGtidMode(v: unknown): GtidMode | undefined {
  const t = String(v ?? '').trim().toUpperCase();
  return (GTID_MODES as readonly string[]).includes(t) ? (t as GtidMode) : undefined;
}

/**
 * What a change of source by position needs for `replica` (mode, and whether its server can assign
 * GTIDs) to apply what `source` writes. Undefined modes (MariaDB) need nothing.
 */
export function gtidPairPlan(replica: { name: string; mode: GtidMode | undefined; canAssign: boolean }, source: { name: string; mode: GtidMode | undefined }): GtidPairPlan {
  if (replica.mode === undefined || source.mode === undefined) return { kind: 'plain', why: 'no gtid_mode on one side (MariaDB): nothing to reconcile' };
  const modes = `${replica.name} gtid_mode ${replica.mode}, ${source.name} gtid_mode ${source.mode}`;
  const anonymous = source.mode === 'OFF' || source.mode === 'OFF_PERMISSIVE';
  if (replica.mode === 'OFF' && !anonymous) {
    return {
      kind: 'refuse',
      why: `${modes}: a replica at gtid_mode OFF cannot apply the GTID transactions ${source.name} writes`,
      next: `set gtid_mode on ${replica.name} to OFF_PERMISSIVE (online: SET GLOBAL gtid_mode = OFF_PERMISSIVE), or ${source.name}'s to OFF_PERMISSIVE`,
    };
  }
  if (replica.mode === 'ON' && anonymous) {
    if (replica.canAssign) return { kind: 'assign', why: `${modes}: ${source.name} writes anonymous transactions; ASSIGN_GTIDS_TO_ANONYMOUS_TRANSACTIONS = LOCAL on ${replica.name} gives them GTIDs of its own server_uuid` };
    return {
      kind: 'refuse',
      why: `${modes}: a replica at gtid_mode ON cannot apply the anonymous transactions ${source.name} writes, and ${replica.name} has no ASSIGN_GTIDS_TO_ANONYMOUS_TRANSACTIONS (MySQL 8.0.23+, Aurora 3)`,
      next: `set gtid_mode on ${source.name} to ON_PERMISSIVE, or on ${replica.name} to ON_PERMISSIVE (online, one step at a time)`,
    };
  }
  return { kind: 'plain', why: `${modes}: ${replica.name} applies what ${source.name} writes as it is` };
}
