import { RemoteError, TimeoutError } from '../core/errors.js';
import type { BinlogPosition, MysqlAdmin, ReplicaStatus } from '../mysql/admin.js';
import type { RecordedPosition } from './runbook.js';

/**
 * Orders binlog coordinates of one server by the file's numeric suffix, then the position: the
 * suffix is zero-padded to six digits and grows a seventh after .999999, so text order breaks there.
 */
export function comparePositions(a: { file: string; position: number }, b: { file: string; position: number }): number {
  if (a.file !== b.file) {
    const [na, nb] = [binlogIndex(a.file), binlogIndex(b.file)];
    if (na !== undefined && nb !== undefined && na !== nb) return na < nb ? -1 : 1;
    return a.file < b.file ? -1 : 1;
  }
  return a.position - b.position;
}

function binlogIndex(file: string): bigint | undefined {
  const m = /\.(\d+)$/.exec(file);
  return m ? BigInt(m[1] as string) : undefined;
}

/** True when the replica has applied the source's coordinate. */
export function applied(status: ReplicaStatus | null, pos: RecordedPosition): boolean {
  if (!status || status.relaySourceLogFile === '') return false;
  return comparePositions({ file: status.relaySourceLogFile, position: status.execSourceLogPos }, pos) >= 0;
}

export function threadsRunning(s: ReplicaStatus | null): boolean {
  return s !== null && s.ioRunning === 'yes' && s.sqlRunning;
}

export function threadsStopped(s: ReplicaStatus | null): boolean {
  return s === null || (s.ioRunning === 'no' && !s.sqlRunning);
}

export function toRecorded(p: BinlogPosition): RecordedPosition {
  return { file: p.file, position: p.position, ...(p.gtidSet ? { gtid: p.gtidSet } : {}) };
}

/**
 * Reads the binlog position until it has not moved for `stableMs`: writes have stopped. Another
 * account still writing keeps it moving, and the step fails at the deadline instead of guessing.
 */
export async function waitBinlogStill(admin: MysqlAdmin, stableMs: number, deadlineMs: number, sleep: (ms: number) => Promise<void>): Promise<RecordedPosition> {
  const until = performance.now() + deadlineMs;
  let last = await admin.binlogPosition();
  while (performance.now() < until) {
    await sleep(stableMs);
    const now = await admin.binlogPosition();
    if (comparePositions(now, last) === 0) return toRecorded(now);
    last = now;
  }
  throw new TimeoutError(`the binlog position of ${admin.endpoint.host}:${admin.endpoint.port} kept moving for ${deadlineMs} ms after the write users were renamed`, {
    next: 'another account (a heartbeat, a batch job) still writes there: stop it, then resume',
  });
}

/** Polls until both replication threads run from the expected source, or throws with the last error. */
export async function waitRunning(admin: MysqlAdmin, source: { host: string; port: number }, deadlineMs: number, sleep: (ms: number) => Promise<void>): Promise<void> {
  const until = performance.now() + deadlineMs;
  let last = 'no replica status';
  while (performance.now() < until) {
    const s = await admin.replicaStatus();
    if (s && threadsRunning(s) && s.sourceHost === source.host && s.sourcePort === source.port) return;
    if (s) last = `io=${s.ioRunning} sql=${s.sqlRunning} from ${s.sourceHost}:${s.sourcePort} ${s.lastIoError || s.lastSqlError}`.trim();
    if (s && s.lastSqlErrno !== 0) break;
    await sleep(50);
  }
  throw new RemoteError('MIGRATE_REPLICATION_NOT_RUNNING', `${admin.endpoint.host}:${admin.endpoint.port} does not replicate from ${source.host}:${source.port}: ${last}`, {
    next: "read the replica's error log; fix the cause, then resume",
  });
}
