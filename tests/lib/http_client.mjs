// One HTTP(S) request with node's own client, for what fetch() cannot do in a test: trust a
// throwaway CA (`ca`), or go through a forward proxy. Resolves with {status, headers, text,
// json()} once the whole body is in.

import http from 'node:http';
import https from 'node:https';

export function httpRequest(url, { method = 'GET', headers = {}, body, ca, agent = false } = {}) {
  return new Promise((resolve, reject) => {
    const lib = url.startsWith('https:') ? https : http;
    const payload = body === undefined ? undefined
                  : typeof body === 'string' || Buffer.isBuffer(body) ? body : JSON.stringify(body);
    const allHeaders = { ...headers };
    if (payload !== undefined && !Object.keys(allHeaders).some((k) => /^content-type$/i.test(k))) {
      allHeaders['content-type'] = 'application/json';
    }
    const req = lib.request(url, { method, headers: allHeaders, agent, ...(ca && { ca }) },
                            (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('error', reject);
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        resolve({ status: res.statusCode, headers: res.headers, text,
                  json: () => JSON.parse(text) });
      });
    });
    req.on('error', reject);
    req.end(payload);
  });
}
