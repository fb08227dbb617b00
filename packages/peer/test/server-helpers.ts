/** The signaling server's own test helpers (a server on 127.0.0.1, a raw WebSocket client), for the client's tests. */
export * from '../../signaling-server/test/helpers.ts'
