/**
 * An online switchover that kills itself (SIGKILL) right after one of its phases: a crash of the
 * executor with writes blocked, or just after the promotion. argv: the sandbox dir, the request
 * without secrets (JSON), and the phase to die after. The test then recovers from what the
 * servers say. The actor matches the test's, so recovery may release this dead run's lease.
 */
import { silentLogger } from '../../src/core/logger.js';
import { LocalHost } from '../../src/host/local-host.js';
import { connectAdmin } from '../../src/mysql/connect-admin.js';
import { openSession } from '../../src/mysql/mysql2-session.js';
import { readPasswords } from '../../src/sandbox/sandbox-secrets.js';
import { readState } from '../../src/sandbox/sandbox-state.js';
import { onlineSwitchover, type SwitchoverRequest } from '../../src/shard/switchover/online-switchover.js';

export const CRASH_CHILD_ACTOR = 'test-switchover';

const [dir = '', requestJson = '{}', dieAfter = ''] = process.argv.slice(2);
const passwords = await readPasswords(new LocalHost(), dir);
const state = await readState(dir);
if (!state) throw new Error(`no sandbox in ${dir}`);
const request = { ...(JSON.parse(requestJson) as Omit<SwitchoverRequest, 'admin' | 'repl'>), admin: { user: 'dbfleet', password: passwords.dbfleet }, repl: { user: 'repl', password: passwords.repl } };
const dns = { host: state.dnsDb.host, port: state.dnsDb.port, user: 'dbfleet', password: passwords.dbfleet, database: 'mydns' };
await onlineSwitchover(request, {
  connect: connectAdmin,
  openDns: () => openSession(dns, { connectTimeoutMs: 1_000, queryTimeoutMs: 5_000 }),
  logger: silentLogger,
  actor: CRASH_CHILD_ACTOR,
  failpoint: (point) => {
    if (point === `${request.shard}:${dieAfter}`) process.kill(process.pid, 'SIGKILL');
  },
});
// reaching here means the failpoint never fired: the parent sees a normal exit, not SIGKILL
process.stderr.write(`the switchover finished without reaching ${dieAfter}\n`);
