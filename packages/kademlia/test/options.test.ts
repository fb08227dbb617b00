import { describe, expect, it } from 'vitest'
import { ErrorCode } from '../src/errors.ts'
import { ID_BYTES } from '../src/keyspace/id.ts'
import { KademliaNode } from '../src/node/node.ts'
import { DEFAULTS, resolveTunables } from '../src/node/options.ts'
import { seededRandom } from '../src/platform/seeded-random.ts'
import { VirtualClock } from '../src/platform/virtual-clock.ts'
import { MemoryNetwork } from '../src/transport/memory-network.ts'
import { codeOf } from './support.ts'

const invalid = expect.objectContaining({ code: ErrorCode.INVALID_OPTION })

describe('the lookup options', () => {
  it('default maxIntroducedPerPeer to ⌈k / 2⌉, following k unless set', () => {
    expect(resolveTunables({}).maxIntroducedPerPeer).toBe(Math.ceil(DEFAULTS.k / 2))
    expect(resolveTunables({ k: 7 }).maxIntroducedPerPeer).toBe(4)
    expect(resolveTunables({ k: 1 }).maxIntroducedPerPeer).toBe(1)
    expect(resolveTunables({ k: 7, maxIntroducedPerPeer: 2 }).maxIntroducedPerPeer).toBe(2)
  })

  it('refuse disjointPaths and maxIntroducedPerPeer that are not positive integers, or more than 64 paths', () => {
    for (const bad of [0, 1.5, 65]) expect(() => resolveTunables({ disjointPaths: bad })).toThrow(invalid)
    for (const bad of [0, 2.5]) expect(() => resolveTunables({ maxIntroducedPerPeer: bad })).toThrow(invalid)
    expect(resolveTunables({ k: 2, disjointPaths: 8 }).disjointPaths).toBe(8)
  })

  it('refuse a per-call number of paths that is not an integer from 1 to 64', async () => {
    const clock = new VirtualClock()
    const random = seededRandom(1)
    const network = new MemoryNetwork({ clock, random })
    const [a, b] = [random.bytes(ID_BYTES), random.bytes(ID_BYTES)].map((id) => new KademliaNode({ id, transport: network.transport(id), clock, random }))
    await a!.start()
    await b!.start()
    await clock.run(a!.bootstrap([b!.id]))
    for (const paths of [0, 1.5, 65]) expect(await codeOf(a!.findNode(b!.id, { paths }))).toBe(ErrorCode.INVALID_OPTION)
    const { closest, trace } = await clock.run(a!.findNode(b!.id, { paths: 64 }))
    expect(closest).toEqual([b!.id])
    expect(trace.paths).toBe(1)
  })
})
