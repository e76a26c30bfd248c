// Verify a folder of exported credentials with two third-party verifiers, offline:
//   - Digital Bazaar: @digitalbazaar/vc + data-integrity + eddsa-rdfc-2022 (+ Bitstring Status List)
//   - LearnCard: @learncard/didkit-plugin (Rust ssi compiled to wasm)
// Contexts come only from the folder given with --contexts (index.json: url -> file + sha256, the
// contexts lerconnect pins); did:key resolves locally; status lists come from the credentials folder
// (matched by their `id`). Any other URL is refused, so nothing is fetched from the network.
//
// usage: node verify.mjs --contexts DIR --credentials DIR [--tamper] [--only db|learncard] [--sample N]
// (--sample N: only the first N credentials of each kind, by file name)
// prints one JSON summary line: {"db": {...}, "learncard": {...}} with per-type counts and failures.

import {readFileSync, readdirSync} from 'node:fs';
import {createRequire} from 'node:module';
import {join} from 'node:path';
import {parseArgs} from 'node:util';

import * as vc from '@digitalbazaar/vc';
import {DataIntegrityProof} from '@digitalbazaar/data-integrity';
import {cryptosuite as eddsaRdfc2022} from '@digitalbazaar/eddsa-rdfc-2022-cryptosuite';
import {checkStatus} from '@digitalbazaar/vc-bitstring-status-list';
import {getDidKitPlugin} from '@learncard/didkit-plugin';

import {offlineLoader, pinnedContexts} from './offline.mjs';

const {values: args} = parseArgs({
  options: {
    contexts: {type: 'string'},
    credentials: {type: 'string'},
    tamper: {type: 'boolean', default: false},
    only: {type: 'string'},
    sample: {type: 'string'},
  },
});
if(!args.contexts || !args.credentials) {
  console.error('usage: node verify.mjs --contexts DIR --credentials DIR [--tamper] [--only db|learncard]');
  process.exit(2);
}

const contexts = pinnedContexts(args.contexts);

// --- credentials and status lists ----------------------------------------------------------------
// credentials are *.json; status lists sit at their URL's path (e.g. `1`, no extension): read every file
const documents = readdirSync(args.credentials, {withFileTypes: true}).filter(e => e.isFile()).map(e => e.name)
  .sort().flatMap(file => {
    try {
      return [{file, doc: JSON.parse(readFileSync(join(args.credentials, file), 'utf8'))}];
    } catch {
      return [];
    }
  });
const statusLists = new Map();
for(const {doc} of documents) {
  if(doc.type?.includes('BitstringStatusListCredential')) {
    statusLists.set(doc.id, doc);
  }
}
function kind(doc) {
  return doc.type.includes('ClrCredential') ? 'clr' : 'ob';
}

let credentials = documents.filter(({doc}) => !doc.type?.includes('BitstringStatusListCredential'));
if(args.sample) {
  const n = Number(args.sample);
  credentials = ['ob', 'clr'].flatMap(k => credentials.filter(({doc}) => kind(doc) === k).slice(0, n));
}

function tamper(doc) {
  const copy = structuredClone(doc);
  copy.name = `${copy.name} (tampered)`;
  return copy;
}

const documentLoader = offlineLoader(
  contexts, {keyType: 'Multikey', keyContext: 'https://w3id.org/security/multikey/v1'}, statusLists);

// --- verifiers -----------------------------------------------------------------------------------
const suite = new DataIntegrityProof({cryptosuite: eddsaRdfc2022});

async function verifyDb(doc) {
  const result = await vc.verifyCredential({
    credential: doc,
    suite,
    documentLoader,
    checkStatus: options => checkStatus({...options, suite, documentLoader}),
  });
  if(!result.verified) {
    const errors = [result.error, result.statusResult?.error, ...(result.results || []).map(r => r.error)]
      .filter(Boolean);
    return errors.map(e => e.message || String(e)).join('; ') || 'not verified';
  }
  const statuses = result.statusResult?.results || [];
  const set = statuses.filter(s => s.status);
  if(set.length) {
    return `status bit set: ${set.map(s => s.credentialStatus.statusPurpose).join(', ')}`;
  }
  return null;
}

const require = createRequire(import.meta.url);
let learncard;
async function verifyLearnCard(doc) {
  if(!learncard) {
    const wasm = readFileSync(require.resolve('@learncard/didkit-plugin/dist/didkit_wasm_bg.wasm'));
    const plugin = await getDidKitPlugin(wasm, false);
    // the plugin asks its LearnCard for every @context URL; ours answers from the pinned folder only
    const host = {context: {resolveDocument: async url => documentLoader(url).document}};
    learncard = doc => plugin.methods.verifyCredential(host, doc, {proofPurpose: 'assertionMethod'});
  }
  const check = await learncard(doc);
  return check.errors?.length ? check.errors.join('; ') : null;
}

const verifiers = {db: verifyDb, learncard: verifyLearnCard};
const summary = {};
for(const [name, verify] of Object.entries(verifiers)) {
  if(args.only && args.only !== name) {
    continue;
  }
  const counts = {ob: {total: 0, accepted: 0}, clr: {total: 0, accepted: 0}};
  const failures = [];
  for(const {file, doc} of credentials) {
    const input = args.tamper ? tamper(doc) : doc;
    let error;
    try {
      error = await verify(input);
    } catch(e) {
      error = `threw: ${e.message || e}`;
    }
    const bucket = counts[kind(doc)];
    bucket.total++;
    if(error === null) {
      bucket.accepted++;
    } else {
      failures.push({file, error});
    }
  }
  summary[name] = {...counts, failures};
}
console.log(JSON.stringify(summary));
