/**
 * One handler per request type, dispatched from a map. Each turns a request into its response;
 * failures become ERROR responses with a code, never exceptions that reach the transport.
 */
import { isDhtError } from '../errors.ts'
import { type Id, ID_BYTES, idEquals } from '../keyspace/id.ts'
import type { Records } from '../records/records.ts'
import type { Contact } from '../routing-table/k-bucket.ts'
import type { RoutingTable } from '../routing-table/routing-table.ts'
import { HEADER_BYTES } from '../wire/codec.ts'
import { recordBytes } from '../wire/record-codec.ts'
import { REMOTE_CODE_OF, RemoteError, type Request, type Response, type StoreMode, type TimedRecord } from '../wire/messages.ts'

export interface HandlerContext {
  /** Kademlia's k: the most contacts a replica STORE's answer names. */
  readonly k: number
  readonly table: RoutingTable
  readonly records: Records
  /** Largest message this node sends: a VALUE carries the records that fit in it. */
  readonly maxMessageBytes: number
  now(): number
  /** A record was stored because `from` asked. */
  stored(key: Id, mode: StoreMode, from: Id): void
}

type Handler<T extends Request['type']> = (
  ctx: HandlerContext,
  from: Id,
  request: Extract<Request, { type: T }>,
) => Response | Promise<Response>

/**
 * The `count` contacts closest to `target`. Never the asker (it knows itself), and never a contact
 * whose last request failed: we do not vouch for nodes we could not reach.
 */
function closestTo(ctx: HandlerContext, from: Id, target: Id, count: number): Id[] {
  const skip = (contact: Contact): boolean => contact.failures > 0 || idEquals(contact.id, from)
  return ctx.table.closest(target, count, skip)
}

/**
 * The records a VALUE answer carries: newest seq first, as many as fit beside the contacts in
 * one message (a single record always fits: `wireLimits` makes room for the largest).
 */
function fitting(records: readonly TimedRecord[], room: number): TimedRecord[] {
  const out: TimedRecord[] = []
  for (const timed of records) {
    const bytes = 4 + recordBytes(timed.record)
    if (bytes > room && out.length > 0) break
    out.push(timed)
    room -= bytes
  }
  return out
}

export const HANDLERS: { [T in Request['type']]: Handler<T> } = {
  PING: (_ctx, _from, { rid }) => ({ type: 'PONG', rid }),

  FIND_NODE: (ctx, from, { rid, target, count }) => ({ type: 'NODES', rid, nodes: closestTo(ctx, from, target, count) }),

  FIND_VALUE: (ctx, from, { rid, key, count }) => {
    const held = ctx.records.read(key, ctx.now())
    const nodes = closestTo(ctx, from, key, count)
    if (held.length === 0) return { type: 'NODES', rid, nodes }
    // Header, contact count and contacts, record count: what the records share the message with.
    const room = ctx.maxMessageBytes - (HEADER_BYTES + 1 + nodes.length * ID_BYTES + 1)
    return { type: 'VALUE', rid, nodes, records: fitting(held, room) }
  },

  STORE: async (ctx, from, { rid, key, record, ttlMs, mode, cas }) => {
    try {
      const outcome = await ctx.records.accept({ key, record, ttlMs, mode, cas, from, now: ctx.now() })
      if (outcome === 'stored') ctx.stored(key, mode, from)
      // A replica STORE is a lookup's request (`storeAround`): its answer names our k closest, as NODES does.
      return { type: 'STORED', rid, nodes: mode === 'replicate' ? closestTo(ctx, from, key, ctx.k) : [] }
    } catch (error) {
      const code = isDhtError(error) ? REMOTE_CODE_OF[error.code] : undefined
      return { type: 'ERROR', rid, code: code ?? RemoteError.STORAGE_FULL }
    }
  },
}

export function handle(ctx: HandlerContext, from: Id, request: Request): Response | Promise<Response> {
  const handler = HANDLERS[request.type] as Handler<Request['type']>
  return handler(ctx, from, request)
}
