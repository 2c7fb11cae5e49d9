import { quote } from './sql-literal.js';
import { MASK } from './statement.js';

/**
 * Removes secrets from text that came back from a server or the driver. Servers echo statement
 * text in errors ("... near 'MASTER_PASSWORD = 'x...' at line 1"), possibly cut mid-secret, and
 * in escaped form, so each secret is removed raw and escaped, and when the statement carried a
 * secret the echoed fragment is dropped entirely.
 */
export function scrubSecrets(text: string, secrets: readonly string[], statementHadSecrets: boolean): string {
  let out = text;
  if (statementHadSecrets) {
    out = out.replace(/near '[\s\S]*' at line \d+/g, 'near [statement text withheld: it holds a secret]');
    out = out.replace(/String '[\s\S]*' is too long/g, `String '${MASK}' is too long`);
  }
  for (const secret of secrets) {
    if (secret.length === 0) continue;
    const escaped = quote(secret).slice(1, -1);
    for (const form of new Set([secret, escaped])) out = out.split(form).join(MASK);
  }
  return out;
}
