// A throwaway CA with a server certificate (for 127.0.0.1 and localhost) and a client certificate,
// made with the openssl CLI at test time so no key material lives in the repository.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

export interface TestPki {
  dir: string;
  caCert: string;
  serverCertFile: string;
  serverKeyFile: string;
  clientCert: string;
  clientKey: string;
  /** A client certificate from a different CA. */
  strangerCert: string;
  strangerKey: string;
}

function openssl(dir: string, args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
}

/** A self-signed CA `<name>.crt`/`<name>.key` in `dir`. */
export function makeCa(dir: string, name: string): void {
  openssl(dir, [
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
    '-keyout', `${name}.key`, '-out', `${name}.crt`, '-days', '2', '-subj', `/CN=${name}`,
  ]); // prettier-ignore
}

/** A certificate `<name>.crt`/`<name>.key` signed by CA `ca`, with openssl extension lines `ext`. */
export function makeLeaf(dir: string, ca: string, name: string, ext: string): void {
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

/** Creates the CA and certificates in `dir`. */
export function makeTestPki(dir: string): TestPki {
  makeCa(dir, 'ca');
  makeCa(dir, 'other-ca');
  makeLeaf(dir, 'ca', 'server', 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n');
  makeLeaf(dir, 'ca', 'client', 'subjectAltName=DNS:client.example\nextendedKeyUsage=clientAuth\n');
  makeLeaf(dir, 'other-ca', 'stranger', 'subjectAltName=DNS:stranger.example\nextendedKeyUsage=clientAuth\n');
  const read = (f: string): string => fs.readFileSync(path.join(dir, f), 'utf8');
  return {
    dir,
    caCert: read('ca.crt'),
    serverCertFile: path.join(dir, 'server.crt'),
    serverKeyFile: path.join(dir, 'server.key'),
    clientCert: read('client.crt'),
    clientKey: read('client.key'),
    strangerCert: read('stranger.crt'),
    strangerKey: read('stranger.key'),
  };
}
