// A webhook receiver for Insignia's tests, built the way each format's own documentation
// shows, with code no one here wrote doing the checking:
//
// - Wix format: `createClient({ auth: AppStrategy({ appId, publicKey }), modules: { badges } })`,
//   the five `badges.on…` handlers, and `client.webhooks.process(body)` on every POST.
// - Standard Webhooks: `new Webhook(secret).verify(body, headers)` of the `standardwebhooks`
//   package.
//
// Run `node webhook-receiver.mjs`; it prints `{"port": N}` once listening on 127.0.0.1.
//   POST /configure  {"format": "wix", "publicKey": PEM} or {"format": "standard", "secret": "whsec_…"},
//                    optional "failFirst": N (answer 500 to the next N deliveries)
//   POST /webhook    a delivery: 200 when verified and handled, 401 when verification fails
//   GET  /received   {"handled": [...], "rejected": [...], "failed": N, "requests": N}
import http from 'node:http';
import { createClient, AppStrategy } from '@wix/sdk';
import * as badges from '@wix/members_badges';
import { Webhook } from 'standardwebhooks';

let format = null;
let wixClient = null;
let standard = null;
let failFirst = 0;
const state = { handled: [], rejected: [], failed: 0, requests: 0 };

function wixReceiver(publicKey) {
  const client = createClient({
    auth: AppStrategy({ appId: 'insignia-test-app', publicKey }),
    modules: { badges },
  });
  const record = (handler) => (event) => {
    state.handled.push({ handler, entity: event.entity, data: event.data, metadata: event.metadata });
  };
  client.badges.onBadgeCreated(record('onBadgeCreated'));
  client.badges.onBadgeUpdated(record('onBadgeUpdated'));
  client.badges.onBadgeDeleted(record('onBadgeDeleted'));
  client.badges.onBadgeAssigned(record('onBadgeAssigned'));
  client.badges.onBadgeUnassigned(record('onBadgeUnassigned'));
  return client;
}

function readBody(req) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

const server = http.createServer(async (req, res) => {
  const body = await readBody(req);
  const reply = (status, value) => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(value ?? {}));
  };
  if (req.method === 'POST' && req.url === '/configure') {
    const config = JSON.parse(body);
    format = config.format;
    failFirst = config.failFirst ?? 0;
    if (format === 'wix') wixClient = wixReceiver(config.publicKey);
    if (format === 'standard') standard = new Webhook(config.secret);
    return reply(200, { ok: true });
  }
  if (req.method === 'GET' && req.url === '/received') return reply(200, state);
  if (req.method === 'POST' && req.url === '/webhook') {
    state.requests += 1;
    if (failFirst > 0) {
      failFirst -= 1;
      state.failed += 1;
      return reply(500, { error: 'failing on purpose' });
    }
    try {
      if (format === 'wix') {
        await wixClient.webhooks.process(body);
      } else {
        const payload = standard.verify(body, req.headers);
        state.handled.push({ id: req.headers['webhook-id'], payload, body, headers: {
          'webhook-id': req.headers['webhook-id'],
          'webhook-timestamp': req.headers['webhook-timestamp'],
          'webhook-signature': req.headers['webhook-signature'],
        } });
      }
      return reply(200, { ok: true });
    } catch (e) {
      state.rejected.push(String(e && e.message ? e.message : e));
      return reply(401, { error: String(e) });
    }
  }
  reply(404, { error: 'not found' });
});

server.listen(0, '127.0.0.1', () => {
  console.log(JSON.stringify({ port: server.address().port }));
});
