/** The MySQL admin layer: everything above src/mysql imports from here or from admin.ts. */
export type * from './admin.js';
export { connectAdmin, type ConnectAdminOptions } from './connect-admin.js';
export { DialectAdmin } from './dialect-admin.js';
export type { Dialect, DialectName, WaitOutcome, WaitPlan, BinlogStatusRow } from './dialect.js';
export { dialectFor } from './pick-dialect.js';
export { openSession, type OpenSessionOptions } from './mysql2-session.js';
export { describeServer } from './server-name.js';
export { parseServerVersion, versionAtLeast, describeVersion, VERSION_QUERY, versionVariablesFromRows, type VersionVariables } from './server-version.js';
export { parseReplicaStatus } from './replica-status.js';
export {
  FlavorMismatchError,
  InvalidMysqlArgumentError,
  MysqlErrorCode,
  UnsupportedOperationError,
  UnsupportedServerError,
} from './mysql-errors.js';
export type { Statement } from './statement.js';
