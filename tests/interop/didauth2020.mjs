// DIDAuth presentations with Ed25519Signature2020, by Digital Bazaar's suite (the one the Learner
// Credential Wallet's stack derives from), offline: contexts only from the --contexts folder
// (lerconnect's pinned ones), did:key resolved locally as an Ed25519VerificationKey2020.
//
// usage: node didauth2020.mjs --contexts DIR sign --seed HEX --challenge C [--domain D]
//          prints the signed presentation (holder did:key of the seed)
//        node didauth2020.mjs --contexts DIR verify --presentation FILE --challenge C [--domain D]
//          prints {"verified": bool, "error": message|null}
import {createHash} from 'node:crypto';
import {readFileSync} from 'node:fs';
import {join} from 'node:path';
import {parseArgs} from 'node:util';

import * as vc from '@digitalbazaar/vc';
import {Ed25519Signature2020} from '@digitalbazaar/ed25519-signature-2020';
import {Ed25519VerificationKey2020} from '@digitalbazaar/ed25519-verification-key-2020';

const {values: args, positionals} = parseArgs({
  options: {
    contexts: {type: 'string'},
    seed: {type: 'string'},
    challenge: {type: 'string'},
    domain: {type: 'string'},
    presentation: {type: 'string'},
  },
  allowPositionals: true,
});

const contexts = new Map();
const index = JSON.parse(readFileSync(join(args.contexts, 'index.json'), 'utf8')).contexts;
for(const [url, {file, sha256}] of Object.entries(index)) {
  const bytes = readFileSync(join(args.contexts, file));
  const actual = createHash('sha256').update(bytes).digest('hex');
  if(actual !== sha256) {
    throw new Error(`context ${url}: ${file} has SHA-256 ${actual}, pinned ${sha256}`);
  }
  contexts.set(url, JSON.parse(bytes));
}

const SUITE_CONTEXT = 'https://w3id.org/security/suites/ed25519-2020/v1';

function didKeyDocument(url) {
  const [did, fragment] = url.split('#');
  const key = did.slice('did:key:'.length);
  if(!key.startsWith('z6Mk') || (fragment && fragment !== key)) {
    throw new Error(`only Ed25519 did:key is resolved offline, not ${url}`);
  }
  const vm = {id: `${did}#${key}`, type: 'Ed25519VerificationKey2020', controller: did, publicKeyMultibase: key};
  if(fragment) {
    return {'@context': SUITE_CONTEXT, ...vm};
  }
  return {
    '@context': ['https://www.w3.org/ns/did/v1', SUITE_CONTEXT],
    id: did,
    verificationMethod: [vm],
    authentication: [vm.id],
    assertionMethod: [vm.id],
  };
}

function documentLoader(url) {
  if(contexts.has(url)) {
    return {contextUrl: null, documentUrl: url, document: structuredClone(contexts.get(url))};
  }
  if(url.startsWith('did:key:')) {
    return {contextUrl: null, documentUrl: url, document: didKeyDocument(url)};
  }
  throw new Error(`offline document loader: ${url} is not a pinned context or a did:key`);
}

const {challenge, domain} = args;
if(positionals[0] === 'sign') {
  const key = await Ed25519VerificationKey2020.generate({seed: Buffer.from(args.seed, 'hex')});
  const did = `did:key:${key.fingerprint()}`;
  key.controller = did;
  key.id = `${did}#${key.fingerprint()}`;
  const presentation = vc.createPresentation({holder: did, version: 1.0});  // VC 1.1, as LCW sends
  const signed = await vc.signPresentation({
    presentation, suite: new Ed25519Signature2020({key}), challenge, domain, documentLoader,
  });
  console.log(JSON.stringify(signed));
} else if(positionals[0] === 'verify') {
  const presentation = JSON.parse(readFileSync(args.presentation, 'utf8'));
  const result = await vc.verify({
    presentation, suite: new Ed25519Signature2020(), challenge, domain, documentLoader,
  });
  const errors = [result.error, ...(result.presentationResult?.results || []).map(r => r.error)].filter(Boolean);
  const flat = errors.flatMap(e => e.errors || [e]).map(e => e.message || String(e));
  console.log(JSON.stringify({verified: result.verified, error: flat.join('; ') || null}));
} else {
  console.error('usage: node didauth2020.mjs --contexts DIR sign|verify ...');
  process.exit(2);
}
