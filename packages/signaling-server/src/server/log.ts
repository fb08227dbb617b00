/** Where the server's log lines go unless the caller says otherwise: stdout, each with an ISO timestamp. */
export type Log = (line: string) => void

export const stdoutLog: Log = (line) => console.log(`${new Date().toISOString()} ${line}`)
