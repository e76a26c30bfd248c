// Canonical N-Quads (RDFC-1.0) of each document in a JSON array, by jsonld.js, offline with the pinned
// contexts; one JSON string per line (or {"error": message}). Used to compare engines on the same input.
// usage: node canonize.mjs --contexts DIR DOCUMENTS.json
import {readFileSync} from 'node:fs';
import {join} from 'node:path';
import {parseArgs} from 'node:util';

import jsonld from 'jsonld';

const {values: args, positionals} = parseArgs({options: {contexts: {type: 'string'}}, allowPositionals: true});
const index = JSON.parse(readFileSync(join(args.contexts, 'index.json'), 'utf8')).contexts;
const documentLoader = async url => {
  if(!index[url]) {
    throw new Error(`offline: ${url} is not a pinned context`);
  }
  return {contextUrl: null, documentUrl: url, document: JSON.parse(readFileSync(join(args.contexts, index[url].file)))};
};
for(const doc of JSON.parse(readFileSync(positionals[0], 'utf8'))) {
  try {
    console.log(JSON.stringify(await jsonld.canonize(doc, {
      algorithm: 'RDFC-1.0', format: 'application/n-quads', documentLoader, safe: true, rdfDirection: 'i18n-datatype',
    })));
  } catch(e) {
    console.log(JSON.stringify({error: e.message}));
  }
}
