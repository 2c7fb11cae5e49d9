import { z } from 'zod';
import type { FakeFleet } from './fake-fleet.js';
import type { FakeFleetStats, FakeInstanceInfo, InstanceSelector } from './types.js';

/**
 * The control protocol of a fake fleet running as a child process: one JSON object per line.
 *
 * Parent -> child (stdin), each with an optional `id` echoed in the response:
 *   {"id":1,"cmd":"list"}                                   -> result: FakeInstanceInfo[]
 *   {"id":2,"cmd":"set","select":{"ids":["c1-i1"]},"mode":"hang"}
 *   {"id":3,"cmd":"set","select":{"clusters":["c7"]},"role":"reader","flavour":"mysql-8.0"}
 *   {"id":4,"cmd":"set","select":{"all":true},"mode":"up"} -> result: {"changed": n}
 *   {"id":5,"cmd":"promote","instance":"c1-i2"}            -> result: {}
 *   {"id":6,"cmd":"stats"} / {"id":6,"cmd":"stats","select":{...},"resetEventLoop":true}
 *                                                           -> result: FakeFleetStats
 *   {"id":7,"cmd":"shutdown"}                               -> result: {}, then the child exits 0
 * Child -> parent (stdout): first one event line, {"event":"ready","pid":n,"instances":[...]} or
 * {"event":"failed","error":"..."}; then one response per request, in request order:
 *   {"id":1,"ok":true,"result":...} or {"id":1,"ok":false,"error":"..."}.
 * Closing the child's stdin shuts it down too, so it never outlives its parent.
 */

const selectorSchema = z.union([
  z.object({ all: z.literal(true) }).strict(),
  z.object({ ids: z.array(z.string()).min(1) }).strict(),
  z.object({ clusters: z.array(z.string()).min(1) }).strict(),
]);

const idSchema = z.union([z.number(), z.string()]).optional();
const roleSchema = z.enum(['writer', 'reader']);
const modeSchema = z.enum(['up', 'down', 'hang', 'refuse-new']);
const flavourSchema = z.enum(['mysql-8.0', 'aurora-mysql-3']);

const requestSchema = z.discriminatedUnion('cmd', [
  z.object({ id: idSchema, cmd: z.literal('list'), select: selectorSchema.optional() }).strict(),
  z
    .object({ id: idSchema, cmd: z.literal('set'), select: selectorSchema, role: roleSchema.optional(), mode: modeSchema.optional(), flavour: flavourSchema.optional() })
    .strict(),
  z.object({ id: idSchema, cmd: z.literal('promote'), instance: z.string() }).strict(),
  z.object({ id: idSchema, cmd: z.literal('stats'), select: selectorSchema.optional(), resetEventLoop: z.boolean().optional() }).strict(),
  z.object({ id: idSchema, cmd: z.literal('shutdown') }).strict(),
]);

export type ControlRequest = z.infer<typeof requestSchema>;
export type ControlResponse = { id?: number | string; ok: true; result: unknown } | { id?: number | string; ok: false; error: string };
export type ControlEvent = { event: 'ready'; pid: number; instances: FakeInstanceInfo[] } | { event: 'failed'; error: string };

export interface ControlOutcome {
  response: ControlResponse;
  /** The request asked the fleet to stop: the caller closes it and exits after replying. */
  shutdown: boolean;
}

/** Runs one control line against the fleet. Never throws: problems become `ok: false` responses. */
export async function handleControlLine(fleet: FakeFleet, line: string): Promise<ControlOutcome> {
  let json: unknown;
  try {
    json = JSON.parse(line);
  } catch {
    return { response: { ok: false, error: 'not a JSON object' }, shutdown: false };
  }
  const parsed = requestSchema.safeParse(json);
  const rawId = (json as { id?: unknown } | null)?.id;
  const echo = typeof rawId === 'number' || typeof rawId === 'string' ? { id: rawId } : {};
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return { response: { ...echo, ok: false, error: `bad request: ${issue?.path.join('.') || '(request)'}: ${issue?.message ?? 'invalid'}` }, shutdown: false };
  }
  const req = parsed.data;
  try {
    const result = await run(fleet, req);
    return { response: { ...echo, ok: true, result }, shutdown: req.cmd === 'shutdown' };
  } catch (e) {
    return { response: { ...echo, ok: false, error: e instanceof Error ? e.message : String(e) }, shutdown: false };
  }
}

async function run(fleet: FakeFleet, req: ControlRequest): Promise<unknown> {
  switch (req.cmd) {
    case 'list':
      return fleet.list(req.select as InstanceSelector | undefined);
    case 'set': {
      const change = { ...(req.role ? { role: req.role } : {}), ...(req.mode ? { mode: req.mode } : {}), ...(req.flavour ? { flavour: req.flavour } : {}) };
      return { changed: await fleet.set(req.select as InstanceSelector, change) };
    }
    case 'promote':
      await fleet.promote(req.instance);
      return {};
    case 'stats':
      return fleet.stats(req.select as InstanceSelector | undefined, { resetEventLoop: req.resetEventLoop ?? false }) satisfies FakeFleetStats;
    case 'shutdown':
      return {};
  }
}
