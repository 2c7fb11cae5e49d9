import { UsageError } from '../core/errors.js';

const ENI_ID = /^eni-[0-9a-f]{8,17}$/;

/** Throws UsageError unless `eniId` looks like an ENI id (eni-0123abcd…). */
export function checkEniId(eniId: string): string {
  if (!ENI_ID.test(eniId)) throw new UsageError(`"${eniId}" is not a network interface id (expected eni- and 8 to 17 hex digits)`);
  return eniId;
}
