// Offline resolution for the interop scripts: lerconnect's pinned contexts (each checked against its
// SHA-256), did:key resolved locally, and whatever documents a script adds (e.g. exported status lists).
import {createHash} from 'node:crypto';
import {readFileSync} from 'node:fs';
import {join} from 'node:path';

export function pinnedContexts(folder) {
  const contexts = new Map();
  const index = JSON.parse(readFileSync(join(folder, 'index.json'), 'utf8')).contexts;
  for(const [url, {file, sha256}] of Object.entries(index)) {
    const bytes = readFileSync(join(folder, file));
    const actual = createHash('sha256').update(bytes).digest('hex');
    if(actual !== sha256) {
      throw new Error(`context ${url}: ${file} has SHA-256 ${actual}, pinned ${sha256}`);
    }
    contexts.set(url, JSON.parse(bytes));
  }
  return contexts;
}

// An Ed25519 did:key's DID document (or, with a fragment, its key) with the key as `keyType`
// described by `keyContext`: Multikey for Data Integrity, Ed25519VerificationKey2020 for the 2020 suite.
export function didKeyDocument(url, {keyType, keyContext}) {
  const [did, fragment] = url.split('#');
  const key = did.slice('did:key:'.length);
  if(!key.startsWith('z6Mk') || (fragment && fragment !== key)) {
    throw new Error(`only Ed25519 did:key is resolved offline, not ${url}`);
  }
  const vm = {id: `${did}#${key}`, type: keyType, controller: did, publicKeyMultibase: key};
  if(fragment) {
    return {'@context': keyContext, ...vm};
  }
  return {
    '@context': ['https://www.w3.org/ns/did/v1', keyContext],
    id: did,
    verificationMethod: [vm],
    assertionMethod: [vm.id],
    authentication: [vm.id],
  };
}

// A document loader that never goes to the network: pinned contexts, did:key, then `documents`.
export function offlineLoader(contexts, keys, documents = new Map()) {
  return function documentLoader(url) {
    const known = contexts.get(url) ?? documents.get(url);
    if(known !== undefined) {
      return {contextUrl: null, documentUrl: url, document: structuredClone(known)};
    }
    if(url.startsWith('did:key:')) {
      return {contextUrl: null, documentUrl: url, document: didKeyDocument(url, keys)};
    }
    throw new Error(`offline document loader: ${url} is not a pinned context, a did:key or a document given`);
  };
}
