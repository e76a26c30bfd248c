// DIDAuth presentations with Ed25519Signature2020, by Digital Bazaar's suite (the one the Learner
// Credential Wallet's stack derives from), offline: contexts only from the --contexts folder
// (lerconnect's pinned ones), did:key resolved locally as an Ed25519VerificationKey2020.
//
// usage: node didauth2020.mjs --contexts DIR sign --seed HEX --challenge C [--domain D]
//          prints the signed presentation (holder did:key of the seed)
//        node didauth2020.mjs --contexts DIR verify --presentation FILE --challenge C [--domain D]
//          prints {"verified": bool, "error": message|null}
import {readFileSync} from 'node:fs';
import {parseArgs} from 'node:util';

import * as vc from '@digitalbazaar/vc';
import {Ed25519Signature2020} from '@digitalbazaar/ed25519-signature-2020';
import {Ed25519VerificationKey2020} from '@digitalbazaar/ed25519-verification-key-2020';

import {offlineLoader, pinnedContexts} from './offline.mjs';

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

const contexts = pinnedContexts(args.contexts);

const SUITE_CONTEXT = 'https://w3id.org/security/suites/ed25519-2020/v1';

const documentLoader = offlineLoader(contexts, {keyType: 'Ed25519VerificationKey2020', keyContext: SUITE_CONTEXT});

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
