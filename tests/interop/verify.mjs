// Independent verification of IRS signatures with panva/jose (not the library that signed them).
//
// Usage:
//   node verify.mjs --jwks JWKS.json --tokens TOKENS.txt [--issuer ISS] [--typ vc+jwt] [--now RFC3339]
//
// TOKENS.txt holds one compact JWS per line. For each token one JSON line is printed:
//   {"ok": true,  "alg": ..., "kid": ..., "typ": ..., "iss": ..., "payload": {...}}
//   {"ok": false, "code": "ERR_JWS_SIGNATURE_VERIFICATION_FAILED", "message": ...}
// Exit status: 0 if every token verified, 1 if any was rejected, 2 on a usage error.
//
// Verification is jwtVerify against a local JWK Set: the key is chosen by the protected
// header's kid, the signature checked, then iss/typ/exp/nbf; only ES256 and Ed25519 allowed.

import { readFileSync } from 'node:fs'
import { parseArgs } from 'node:util'
import { createLocalJWKSet, jwtVerify } from 'jose'

const ALGORITHMS = ['ES256', 'Ed25519']

function usage(message) {
  process.stderr.write(`${message}\nusage: node verify.mjs --jwks FILE --tokens FILE [--issuer ISS] [--typ TYP] [--now RFC3339]\n`)
  process.exit(2)
}

let values
try {
  ;({ values } = parseArgs({
    options: {
      jwks: { type: 'string' },
      tokens: { type: 'string' },
      issuer: { type: 'string' },
      typ: { type: 'string' },
      now: { type: 'string' },
    },
    strict: true,
  }))
} catch (err) {
  usage(err.message)
}
if (!values.jwks || !values.tokens) usage('--jwks and --tokens are required')

const jwks = createLocalJWKSet(JSON.parse(readFileSync(values.jwks, 'utf8')))
const tokens = readFileSync(values.tokens, 'utf8').split('\n').map((l) => l.trim()).filter(Boolean)
const options = { algorithms: ALGORITHMS }
if (values.issuer) options.issuer = values.issuer
if (values.typ) options.typ = values.typ
if (values.now) {
  const now = new Date(values.now)
  if (Number.isNaN(now.getTime())) usage('--now must be an RFC 3339 date-time')
  options.currentDate = now
}

let allOk = true
for (const token of tokens) {
  try {
    const { payload, protectedHeader } = await jwtVerify(token, jwks, options)
    const { alg, kid, typ } = protectedHeader
    process.stdout.write(`${JSON.stringify({ ok: true, alg, kid, typ, iss: payload.iss, payload })}\n`)
  } catch (err) {
    allOk = false
    process.stdout.write(`${JSON.stringify({ ok: false, code: err.code ?? 'ERR_UNKNOWN', message: String(err.message) })}\n`)
  }
}
process.exit(allOk ? 0 : 1)
