// Throwaway certificates for HTTP client tests, made with the openssl CLI at test time so no key
// material lives in the repository: a CA, a server certificate for 127.0.0.1/localhost, one valid only
// for the name "scrape.test" (to exercise server_name), a client certificate, and a stranger CA.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

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

function openssl(dir: string, args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
}

function makeCa(dir: string, name: string): void {
  openssl(dir, [
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
    '-keyout', `${name}.key`, '-out', `${name}.crt`, '-days', '2', '-subj', `/CN=${name}`,
  ]); // prettier-ignore
}

function makeLeaf(dir: string, ca: string, name: string, ext: string): void {
  fs.writeFileSync(path.join(dir, `${name}.ext`), ext);
  openssl(dir, [
    'req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
    '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${name}`,
  ]); // prettier-ignore
  openssl(dir, [
    'x509', '-req', '-in', `${name}.csr`, '-CA', `${ca}.crt`, '-CAkey', `${ca}.key`,
    '-set_serial', String(Math.floor(Math.random() * 1e9)), '-days', '2',
    '-out', `${name}.crt`, '-extfile', `${name}.ext`,
  ]); // prettier-ignore
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
