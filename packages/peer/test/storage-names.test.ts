import { idFromHex } from '@browser-dht/kademlia'
import { describe, expect, it } from 'vitest'
import { parseSecretKey } from '../src/browser/session-identity.ts'
import { databaseNameOf, nodeIdOfDatabase } from '../src/browser/database-name.ts'

const hex = '0123456789abcdef0123456789abcdef01234567'

describe('node database names', () => {
  it('name a database after its node ID and read the ID back', () => {
    expect(nodeIdOfDatabase(databaseNameOf(idFromHex(hex)))).toBe(hex)
  })

  it('ignore databases that are not node databases', () => {
    for (const name of ['keyval-store', 'browser-dht-node-xyz', `browser-dht-node-${hex}0`, `browser-dht-node-${hex.toUpperCase()}`, undefined]) {
      expect(nodeIdOfDatabase(name)).toBeUndefined()
    }
  })
})

describe('parseSecretKey', () => {
  it('reads 32 bytes of lowercase hex', () => {
    const key = parseSecretKey('ab'.repeat(32))
    expect(key).toHaveLength(32)
    expect(key![0]).toBe(0xab)
  })

  it('rejects anything else, so the tab makes a new identity', () => {
    for (const raw of [null, '', 'ab'.repeat(31), 'zz'.repeat(32), 'AB'.repeat(32), 42]) expect(parseSecretKey(raw)).toBeUndefined()
  })
})
