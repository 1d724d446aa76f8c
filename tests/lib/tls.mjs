// Throwaway TLS material for tests: a fresh certificate authority and a server certificate
// it signed for 127.0.0.1 and localhost, made with the `openssl` command (Debian has it:
// ca-certificates depends on it). Nothing is trusted by the system: a client accepts the
// server only when told about ca.pem (CLAUDEGPT_CA_BUNDLE, SSL_CERT_FILE, node's `ca`).

import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

function openssl(args, cwd) {
  try {
    execFileSync('openssl', args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (err) {
    throw new Error(`openssl ${args.join(' ')} failed: ${err.stderr?.toString() ?? err.message}`);
  }
}

// Makes the files in a new temp directory (or `dir`). Returns {dir, caFile, certFile,
// keyFile, ca, cert, key (PEM text), remove()}. `names` are the server's subject names.
export function makeTestCertificates({ dir, names = ['127.0.0.1', 'localhost'],
                                       caName = 'claudegpt test CA' } = {}) {
  const where = dir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'claudegpt-tls-'));
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  openssl(['req', '-x509', ...ec, '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '2',
           '-subj', `/CN=${caName}`,
           '-addext', 'basicConstraints=critical,CA:TRUE',
           '-addext', 'keyUsage=critical,keyCertSign,cRLSign'], where);
  openssl(['req', ...ec, '-keyout', 'server.key', '-out', 'server.csr',
           '-subj', `/CN=${names[0]}`], where);
  const san = names.map((n) => (/^[\d.]+$|:/.test(n) ? `IP:${n}` : `DNS:${n}`)).join(',');
  fs.writeFileSync(path.join(where, 'server.ext'),
                   `subjectAltName=${san}\nbasicConstraints=critical,CA:FALSE\n` +
                   'keyUsage=critical,digitalSignature,keyEncipherment\n' +
                   'extendedKeyUsage=serverAuth\n');
  openssl(['x509', '-req', '-in', 'server.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key',
           '-CAcreateserial', '-out', 'server.pem', '-days', '2', '-extfile', 'server.ext'], where);
  const file = (name) => path.join(where, name);
  return {
    dir: where,
    caFile: file('ca.pem'),
    certFile: file('server.pem'),
    keyFile: file('server.key'),
    ca: fs.readFileSync(file('ca.pem'), 'utf8'),
    cert: fs.readFileSync(file('server.pem'), 'utf8'),
    key: fs.readFileSync(file('server.key'), 'utf8'),
    remove() { fs.rmSync(where, { recursive: true, force: true }); },
  };
}
