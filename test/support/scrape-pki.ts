// Throwaway certificates for HTTP client tests, made with the openssl CLI at test time so no key
// material lives in the repository: a CA, a server certificate for 127.0.0.1/localhost, one valid only
// for the name "scrape.test" (to exercise server_name), a client certificate, and a stranger CA.
import path from 'node:path';
import { makeCa, makeLeaf } from './tls-certs.js';

export interface ScrapePki {
  dir: string;
  /** File paths; read them with fs when the text is needed. */
  caFile: string;
  otherCaFile: string;
  serverCert: string;
  serverKey: string;
  namedCert: string;
  namedKey: string;
  clientCertFile: string;
  clientKeyFile: string;
}

/** Creates the certificates in `dir` (a fresh temporary directory). */
export function makeScrapePki(dir: string): ScrapePki {
  makeCa(dir, 'ca');
  makeCa(dir, 'other-ca');
  makeLeaf(dir, 'ca', 'server', 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n');
  makeLeaf(dir, 'ca', 'named', 'subjectAltName=DNS:scrape.test\nextendedKeyUsage=serverAuth\n');
  makeLeaf(dir, 'ca', 'client', 'subjectAltName=DNS:client.test\nextendedKeyUsage=clientAuth\n');
  const f = (name: string): string => path.join(dir, name);
  return {
    dir,
    caFile: f('ca.crt'),
    otherCaFile: f('other-ca.crt'),
    serverCert: f('server.crt'),
    serverKey: f('server.key'),
    namedCert: f('named.crt'),
    namedKey: f('named.key'),
    clientCertFile: f('client.crt'),
    clientKeyFile: f('client.key'),
  };
}
