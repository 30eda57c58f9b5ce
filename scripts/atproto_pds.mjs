// Starts a real AT Protocol PDS for candor's Bluesky integration test, and keeps it running.
//
// Usage: node scripts/atproto_pds.mjs <cache folder>
// The cache folder is where scripts/setup-atproto-pds.sh installed @atproto/dev-env. The PDS
// (TestNetworkNoAppView: a PLC directory and a PDS, SQLite, no Postgres) listens on 127.0.0.1;
// once an account exists, one JSON line goes to standard output:
//   {"service": "http://127.0.0.1:PORT", "handle": "...", "did": "...", "password": "..."}
// It stops on SIGTERM or SIGINT, or when standard input closes (the test that started it ended).
import path from 'node:path'
import { pathToFileURL } from 'node:url'

const cache = path.resolve(process.argv[2] ?? '.cache/atproto')
const devEnv = path.join(cache, 'node_modules', '@atproto', 'dev-env', 'dist', 'index.js')
const { TestNetworkNoAppView } = await import(pathToFileURL(devEnv).href)

const network = await TestNetworkNoAppView.create({
  pds: { hostname: 'localhost', devMode: true },
})
const handle = 'candor.test'
const password = 'candor-test-password'
const agent = network.pds.getAgent()
const { data: account } = await agent.com.atproto.server.createAccount({
  handle,
  email: 'status@candor.test',
  password,
})
process.stdout.write(
  JSON.stringify({
    service: `http://127.0.0.1:${network.pds.port}`,
    handle: account.handle,
    did: account.did,
    password,
  }) + '\n',
)

let closing = false
async function stop() {
  if (closing) return
  closing = true
  try {
    await network.close()
  } finally {
    process.exit(0)
  }
}
process.on('SIGTERM', stop)
process.on('SIGINT', stop)
process.stdin.on('end', stop)
process.stdin.resume()
