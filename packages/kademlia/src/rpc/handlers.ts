/**
 * One handler per request type, dispatched from a map. Each turns a request into its response;
 * failures become ERROR responses with a code, never exceptions that reach the transport.
 */
import { isDhtError, ErrorCode } from '../errors.ts'
import { type Id, idEquals } from '../keyspace/id.ts'
import type { Records } from '../records/records.ts'
import type { Contact } from '../routing-table/k-bucket.ts'
import type { RoutingTable } from '../routing-table/routing-table.ts'
import { RemoteError, type Request, type Response, type StoreMode } from '../wire/messages.ts'

export interface HandlerContext {
  readonly table: RoutingTable
  readonly records: Records
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
function nodes(ctx: HandlerContext, from: Id, target: Id, count: number, rid: number): Response {
  const skip = (contact: Contact): boolean => contact.failures > 0 || idEquals(contact.id, from)
  return { type: 'NODES', rid, nodes: ctx.table.closest(target, count, skip) }
}

const REMOTE_CODE: Partial<Record<ErrorCode, number>> = {
  [ErrorCode.STORAGE_FULL]: RemoteError.STORAGE_FULL,
  [ErrorCode.INVALID_TTL]: RemoteError.INVALID_TTL,
  [ErrorCode.VALUE_TOO_LARGE]: RemoteError.VALUE_TOO_LARGE,
}

export const HANDLERS: { [T in Request['type']]: Handler<T> } = {
  PING: (_ctx, _from, { rid }) => ({ type: 'PONG', rid }),

  FIND_NODE: (ctx, from, { rid, target, count }) => nodes(ctx, from, target, count, rid),

  FIND_VALUE: async (ctx, from, { rid, key, count }) => {
    const record = await ctx.records.read(key, ctx.now())
    if (record === undefined) return nodes(ctx, from, key, count, rid)
    return { type: 'VALUE', rid, value: record.value, ttlMs: record.ttlMs }
  },

  STORE: async (ctx, from, { rid, key, value, ttlMs, mode }) => {
    try {
      const outcome = await ctx.records.accept(key, value, ttlMs, mode, ctx.now())
      if (outcome === 'stored') ctx.stored(key, mode, from)
      return { type: 'STORED', rid }
    } catch (error) {
      const code = isDhtError(error) ? REMOTE_CODE[error.code] : undefined
      return { type: 'ERROR', rid, code: code ?? RemoteError.STORAGE_FULL }
    }
  },
}

export function handle(ctx: HandlerContext, from: Id, request: Request): Response | Promise<Response> {
  const handler = HANDLERS[request.type] as Handler<Request['type']>
  return handler(ctx, from, request)
}
