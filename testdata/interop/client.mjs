// Interop checks of basiq-mcp with the official MCP TypeScript SDK, over
// stdio, streamable HTTP and legacy SSE, plus one stateless 2026-07-28
// exchange in plain JSON-RPC (the SDK negotiates up to 2025-11-25). Every
// structuredContent is validated against the tool's outputSchema with Ajv,
// an independent JSON Schema validator, using the schema's dialect. A
// resource subscription is checked against the simulator's own webhooks.
//
// Usage: BASIQ_MCP_BIN=/path/to/basiq-mcp node client.mjs
// It ends with "N passed, N failed" and exits 1 on any failure.
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { SSEClientTransport } from '@modelcontextprotocol/sdk/client/sse.js';
import { ElicitRequestSchema, ResourceUpdatedNotificationSchema } from '@modelcontextprotocol/sdk/types.js';
import Ajv2020 from 'ajv/dist/2020.js';
import Ajv from 'ajv';
import addFormats from 'ajv-formats';

const bin = process.env.BASIQ_MCP_BIN;
if (!bin) {
  console.error('set BASIQ_MCP_BIN to the built basiq-mcp binary');
  process.exit(2);
}
const env = {
  PATH: process.env.PATH,
  HOME: process.env.HOME ?? tmpdir(),
  NO_COLOR: '1',
  BASIQ_MCP_DOCS_URL: 'off',
  BASIQ_MCP_STATE_DIR: mkdtempSync(join(tmpdir(), 'basiq-mcp-interop-')),
};

let passed = 0;
let failed = 0;
function check(name, ok, detail = '') {
  if (ok) {
    passed++;
    console.log(`ok   ${name}`);
  } else {
    failed++;
    console.log(`FAIL ${name}${detail ? `: ${detail}` : ''}`);
  }
}
async function attempt(name, fn) {
  try {
    await fn();
  } catch (err) {
    check(name, false, err?.message ?? String(err));
  }
}

// compileSchema picks the validator for the schema's declared dialect;
// MCP 2025-11-25 makes 2020-12 the default.
function compileSchema(schema) {
  const draft7 = typeof schema.$schema === 'string' && schema.$schema.includes('draft-07');
  const ajv = draft7 ? new Ajv({ strict: true, allErrors: true }) : new Ajv2020({ strict: true, allErrors: true });
  addFormats(ajv);
  return ajv.compile(schema);
}

async function listAll(fetchPage, key) {
  const items = [];
  let cursor;
  do {
    const page = await fetchPage(cursor ? { cursor } : {});
    items.push(...page[key]);
    cursor = page.nextCursor;
  } while (cursor);
  return items;
}

// startHTTP runs the binary on a free loopback port (or addr) and
// resolves its URL.
function startHTTP(transport, extraEnv = {}, addr = '127.0.0.1:0', extraArgs = []) {
  return spawnListening([bin, '--transport', transport, '--addr', addr, ...extraArgs], extraEnv, `${transport} server`);
}

// spawnListening runs a command and resolves the URL its "listening" log
// line names.
function spawnListening([cmd, ...args], extraEnv, what) {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { env: { ...env, ...extraEnv }, stdio: ['ignore', 'ignore', 'pipe'] });
    let buf = '';
    const timer = setTimeout(() => reject(new Error(`${what} did not start`)), 15000);
    child.stderr.on('data', (d) => {
      buf += d.toString();
      const m = buf.match(/listening .*url=(http:\/\/127\.0\.0\.1:\d+)/);
      if (m) {
        clearTimeout(timer);
        resolve({ url: m[1], child });
      }
    });
    child.on('exit', (code) => reject(new Error(`${what} exited with ${code}`)));
  });
}

async function exercise(label, transport) {
  const client = new Client({ name: 'basiq-mcp-interop', version: '1.0.0' });
  await client.connect(transport);
  check(`${label}: initialize names the server`, client.getServerVersion()?.name === 'basiq-mcp');
  check(`${label}: server gives instructions`, (client.getInstructions() ?? '').includes('create_auth_link'));

  const tools = await listAll((p) => client.listTools(p), 'tools');
  check(`${label}: tools/list returns every tool from the start`,
    tools.length >= 20 && ['create_report', 'list_consents', 'search_docs'].every((n) => tools.some((t) => t.name === n)), `${tools.length} tools`);
  const listBytes = Buffer.byteLength(JSON.stringify({ tools }));
  check(`${label}: the complete default tools/list fits 20,000 bytes`, listBytes <= 20000, `${listBytes} bytes`);
  const validators = new Map();
  for (const t of tools) {
    const a = t.annotations ?? {};
    // idempotentHint means something only on a tool that changes something (the spec).
    const hints = ['readOnlyHint', 'destructiveHint', 'openWorldHint'].every((h) => typeof a[h] === 'boolean') &&
      (a.readOnlyHint === true ? a.idempotentHint === undefined : typeof a.idempotentHint === 'boolean');
    let compiles = false;
    let why = 'no outputSchema';
    if (t.outputSchema) {
      try {
        validators.set(t.name, compileSchema(t.outputSchema));
        compileSchema(t.inputSchema);
        compiles = true;
      } catch (err) {
        why = err.message;
      }
    }
    check(`${label}: ${t.name} is described, titled, annotated, schemas compile`,
      (t.description ?? '').length > 20 && t.title && hints && compiles, compiles ? 'missing description, title or hints' : why);
  }
  const resources = await listAll((p) => client.listResources(p), 'resources');
  check(`${label}: resources/list`, resources.some((r) => r.uri === 'basiq://docs/getting-started'));
  const prompts = await listAll((p) => client.listPrompts(p), 'prompts');
  check(`${label}: prompts/list`, prompts.some((p) => p.name === 'troubleshoot_connection'));

  async function call(name, args, expectError = false) {
    const res = await client.callTool({ name, arguments: args });
    if (expectError) {
      check(`${label}: ${name} with bad arguments is a tool error`, res.isError === true, JSON.stringify(res.content?.[0]));
      return res;
    }
    const validate = validators.get(name);
    const valid = !res.isError && validate && validate(res.structuredContent);
    check(`${label}: ${name} result matches its outputSchema`, valid, res.isError ? res.content?.[0]?.text : JSON.stringify(validate?.errors));
    return res;
  }
  const outage = await call('list_connectors', { status: 'major-outage' });
  check(`${label}: list_connectors finds the outage`, outage.structuredContent?.connectors?.some((c) => c.id === 'AU00006'));
  const status = await call('check_connector_status', { connector_id: 'AU00006' });
  check(`${label}: check_connector_status says defer`, status.structuredContent?.refresh_now === 'defer');
  const users = await call('list_users', { limit: 2 });
  const user = users.structuredContent?.users?.[0]?.id;
  if (user) {
    await call('list_accounts', { user_id: user });
    await call('list_transactions', { user_id: user, limit: 5 });
    const prompt = await client.getPrompt({ name: 'troubleshoot_connection', arguments: { user_id: user } });
    check(`${label}: prompts/get renders`, prompt.messages?.[0]?.content?.text?.includes('diagnose_connection'));
  }
  await call('search_docs', { query: 'invalid credentials' });
  await call('list_report_types', {});
  await call('get_user', { user_id: '../token' }, true);
  let unknownRejected = false;
  try {
    await client.callTool({ name: 'no_such_tool', arguments: {} });
  } catch {
    unknownRejected = true;
  }
  check(`${label}: an unknown tool is a protocol error`, unknownRejected);
  const guide = await client.readResource({ uri: 'basiq://docs/getting-started' });
  check(`${label}: resources/read returns the guide`, guide.contents?.[0]?.text?.includes('consent link'));
  // The SDK surfaces a JSON-RPC error as an McpError carrying its code.
  const codeOf = async (fn) => { try { await fn(); return 'no error'; } catch (e) { return e?.code; } };
  const promptCode = await codeOf(() => client.getPrompt({ name: 'troubleshoot_connection', arguments: {} }));
  check(`${label}: a prompt missing its argument is invalid params (-32602)`, promptCode === -32602, String(promptCode));
  const resourceCode = await codeOf(() => client.readResource({ uri: 'basiq://users/u-nobody' }));
  check(`${label}: an unknown user resource is resource-not-found (-32002)`, resourceCode === -32002, String(resourceCode));
  await client.close();
}

// stateless sends one 2026-07-28 request: no initialize, no session; the
// protocol version and client identity travel in _meta and headers.
async function stateless(url, method, params, name) {
  const headers = { 'Content-Type': 'application/json', Accept: 'application/json, text/event-stream',
    'MCP-Protocol-Version': '2026-07-28', 'Mcp-Method': method };
  if (name) headers['Mcp-Name'] = name;
  const meta = { 'io.modelcontextprotocol/protocolVersion': '2026-07-28',
    'io.modelcontextprotocol/clientInfo': { name: 'basiq-mcp-interop', version: '1.0.0' }, 'io.modelcontextprotocol/clientCapabilities': {} };
  const res = await fetch(`${url}/mcp`, { method: 'POST', headers, body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params: { ...params, _meta: meta } }) });
  return res.json();
}

// freePort finds a loopback port nobody listens on.
function freePort() {
  return new Promise((resolve) => {
    const srv = createServer().listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

// startIssuer runs oidc-provider (testdata/oidc/issuer.mjs) and resolves its URL.
function startIssuer(dir, port, audience) {
  return new Promise((resolve, reject) => {
    const child = spawn('node', [join(dir, 'issuer.mjs')], { env: { ...process.env, PORT: String(port), AUDIENCE: audience }, stdio: ['ignore', 'pipe', 'ignore'] });
    const timer = setTimeout(() => reject(new Error('oidc-provider did not start')), 15000);
    child.stdout.on('data', (d) => {
      const m = d.toString().match(/issuer (http:\/\/\S+)/);
      if (m) {
        clearTimeout(timer);
        resolve({ url: m[1], child });
      }
    });
  });
}

// oauth connects the SDK with an oidc-provider token that carries only
// basiq:read: it lists the read tools, a write is a tool error naming the
// scope, and without a token the connection is refused.
async function oauth(dir) {
  const audience = 'https://mcp.example.test/mcp';
  const issuer = await startIssuer(dir, await freePort(), audience);
  servers.push(issuer.child);
  const srv = await startHTTP('http', { BASIQ_MCP_OAUTH_ISSUER: issuer.url, BASIQ_MCP_OAUTH_AUDIENCE: audience });
  servers.push(srv.child);
  const form = new URLSearchParams({ grant_type: 'client_credentials', scope: 'basiq:read', resource: audience });
  const res = await fetch(`${issuer.url}/token`, { method: 'POST', body: form,
    headers: { Authorization: `Basic ${Buffer.from('support-bot:only-for-tests-0123456789abcdef0123456789').toString('base64')}` } });
  const { access_token: token } = await res.json();
  check('OAuth: oidc-provider issues a client-credentials token', typeof token === 'string' && token.split('.').length === 3);
  const client = new Client({ name: 'basiq-mcp-interop', version: '1.0.0' });
  await client.connect(new StreamableHTTPClientTransport(new URL(`${srv.url}/mcp`), { requestInit: { headers: { Authorization: `Bearer ${token}` } } }));
  const tools = await listAll((p) => client.listTools(p), 'tools');
  check('OAuth: the SDK with a basiq:read token lists read tools only',
    tools.some((t) => t.name === 'get_user') && !tools.some((t) => t.name === 'create_user'), tools.map((t) => t.name).join(','));
  const refused = await client.callTool({ name: 'create_user', arguments: { email: 'x@example.com' } });
  check('OAuth: a call outside the scopes is a tool error naming basiq:write', refused.isError === true && refused.content?.[0]?.text?.includes('basiq:write'));
  await client.close();
  let unauthorized = false;
  try {
    const anon = new Client({ name: 'basiq-mcp-interop', version: '1.0.0' });
    await anon.connect(new StreamableHTTPClientTransport(new URL(`${srv.url}/mcp`)));
    await anon.close();
  } catch {
    unauthorized = true;
  }
  check('OAuth: without a token the SDK is refused', unauthorized);
}

// subscriptions runs the simulator as Basiq, delivering signed webhooks to
// the server; the SDK subscribes to one customer and must hear of that
// customer's invalidated connection within 5 s, and of no other customer.
// consentPage connects a stdio client that can open URLs for its user
// (URL-mode elicitation): create_auth_link on the simulator asks it to
// open the consent page it made, and answers with that same link.
async function consentPage() {
  const client = new Client({ name: 'basiq-mcp-interop-pages', version: '1.0.0' }, { capabilities: { elicitation: { url: {} } } });
  const offered = [];
  client.setRequestHandler(ElicitRequestSchema, (req) => {
    offered.push(req.params);
    return { action: 'accept' };
  });
  await client.connect(new StdioClientTransport({ command: bin, env }));
  try {
    const users = (await client.callTool({ name: 'list_users', arguments: {} })).structuredContent?.users ?? [];
    const res = await client.callTool({ name: 'create_auth_link', arguments: { user_id: users[0]?.id, mobile: '+61400111222' } });
    const url = res.structuredContent?.url;
    check('consent page: the SDK is asked once to open a URL', offered.length === 1 && offered[0]?.mode === 'url', JSON.stringify(offered));
    check('consent page: the page offered is the link the result gives', typeof url === 'string' && offered[0]?.url === url, `${offered[0]?.url} / ${url}`);
    check('consent page: the result says the page was opened', (res.structuredContent?.next_step ?? '').includes('was opened'), res.content?.[0]?.text);
  } finally {
    await client.close();
  }
}

// duringACall checks what happens while a call runs. While get_job waits
// on a refresh, the server's progress reaches the SDK's onprogress and a
// ping is answered. Aborting the call cancels it: the server sends no
// answer for it afterwards (the SDK would report one as a response to an
// unknown id) and the session goes on. Then delete_user asks the SDK's user
// to type the id, by form elicitation in the middle of the call, and goes
// ahead on the answer; where the session cannot carry that question
// (canAsk false: legacy SSE), it hands the model a token instead. pick chooses which active connection to refresh, so
// that each transport's server refreshes a different one.
async function duringACall(label, transport, pick, canAsk = true) {
  const client = new Client({ name: 'basiq-mcp-interop-calls', version: '1.0.0' }, { capabilities: { elicitation: { form: {} } } });
  const errors = [];
  const asked = [];
  let typed = '';
  client.onerror = (e) => errors.push(e?.message ?? String(e));
  client.setRequestHandler(ElicitRequestSchema, (req) => {
    asked.push(req.params);
    return { action: 'accept', content: { id: typed } };
  });
  await client.connect(transport);
  const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
  try {
    const users = (await client.callTool({ name: 'list_users', arguments: {} })).structuredContent?.users ?? [];
    const active = [];
    for (const u of users.filter((x) => x.connections > 0)) {
      const conns = (await client.callTool({ name: 'list_connections', arguments: { user_id: u.id } })).structuredContent?.connections ?? [];
      for (const c of conns.filter((x) => x.status === 'active')) active.push({ user: u.id, connection: c.id });
      if (active.length > pick) break;
    }
    const target = active[pick];
    const refresh = await client.callTool({ name: 'refresh_connection', arguments: { user_id: target?.user, connection_id: target?.connection } });
    const job = refresh.structuredContent?.decision?.job_id;
    check(`${label}: refresh_connection starts a job to wait on`, typeof job === 'string', refresh.content?.[0]?.text);

    const progress = [];
    const abort = new AbortController();
    const waiting = client.callTool({ name: 'get_job', arguments: { job_id: job, wait_seconds: 120 } }, undefined,
      { signal: abort.signal, onprogress: (p) => progress.push(p), timeout: 150000 });
    let ended = 'running';
    waiting.then(() => { ended = 'answered'; }, (e) => { ended = e?.name === 'AbortError' || abort.signal.aborted ? 'aborted' : `failed: ${e?.message}`; });
    for (let w = 0; progress.length === 0 && ended === 'running' && w < 10000; w += 20) await sleep(20);
    check(`${label}: a running call's progress reaches the SDK`, progress.length > 0 && typeof progress[0].progress === 'number', `${ended}, ${JSON.stringify(progress)}`);
    const pong = await client.ping();
    check(`${label}: a ping during the call is answered`, pong !== undefined && ended === 'running', ended);
    abort.abort('the interop client cancels');
    await waiting.catch(() => {});
    check(`${label}: the SDK's abort ends the call`, ended === 'aborted', ended);
    const after = await client.callTool({ name: 'check_connector_status', arguments: { connector_id: 'AU00006' } });
    check(`${label}: the session goes on after the cancel`, after.structuredContent?.refresh_now === 'defer');
    await sleep(1500); // a poll interval and more: an answer to the cancelled call would have come
    check(`${label}: the cancelled call is not answered`, errors.length === 0, errors.join('; '));

    const made = await client.callTool({ name: 'create_user', arguments: { email: `interop-${label}@example.com`, mobile: '+61400111333' } });
    typed = made.structuredContent?.id ?? '';
    let del = await client.callTool({ name: 'delete_user', arguments: { user_id: typed } });
    if (canAsk) {
      check(`${label}: delete_user asks the SDK's user once, by form, in the middle of the call`,
        asked.length === 1 && (asked[0].mode ?? 'form') === 'form' && JSON.stringify(asked[0]).includes(typed), JSON.stringify(asked));
      check(`${label}: the typed id confirms the delete`, del.structuredContent?.status === 'done', del.content?.[0]?.text);
    } else {
      // Legacy SSE cannot carry a request in the middle of a call: the model's two steps instead.
      const token = del.structuredContent?.confirmation_token;
      check(`${label}: delete_user previews with a token, asking nobody, where the session cannot carry a question`,
        asked.length === 0 && del.structuredContent?.status === 'preview' && typeof token === 'string', del.content?.[0]?.text);
      del = await client.callTool({ name: 'delete_user', arguments: { user_id: typed, confirmation_token: token } });
      check(`${label}: the token confirms the delete`, del.structuredContent?.status === 'done', del.content?.[0]?.text);
    }
  } finally {
    await client.close();
  }
}

async function subscriptions() {
  const secret = `whsec_${Buffer.from('interop webhook secret, 32 bytes').toString('base64')}`;
  const port = await freePort();
  const sim = await spawnListening([bin, 'simulator', '--addr', '127.0.0.1:0', '--time-scale', '0.01',
    '--webhook-url', `http://127.0.0.1:${port}/webhooks/basiq`, '--webhook-secret', secret], {}, 'simulator');
  servers.push(sim.child);
  const srv = await startHTTP('http', { BASIQ_API_KEY: 'interop-key', BASIQ_BASE_URL: sim.url, BASIQ_WEBHOOK_SECRET: secret },
    `127.0.0.1:${port}`, ['--index-share', '0']);
  servers.push(srv.child);
  const client = new Client({ name: 'basiq-mcp-interop', version: '1.0.0' });
  await client.connect(new StreamableHTTPClientTransport(new URL(`${srv.url}/mcp`)));
  check('subscriptions: the server offers resources.subscribe', client.getServerCapabilities()?.resources?.subscribe === true);
  const users = (await client.callTool({ name: 'list_users', arguments: {} })).structuredContent?.users ?? [];
  const active = [];
  for (const u of users.filter((x) => x.connections > 0)) {
    const conns = (await client.callTool({ name: 'list_connections', arguments: { user_id: u.id } })).structuredContent?.connections ?? [];
    const c = conns.find((x) => x.status === 'active');
    if (c) active.push({ user: u.id, connection: c.id });
    if (active.length === 2) break;
  }
  check('subscriptions: two customers with an active connection', active.length === 2, JSON.stringify(active));
  const heard = [];
  client.setNotificationHandler(ResourceUpdatedNotificationSchema, (n) => { heard.push(n.params.uri); });
  const [mine, other] = active;
  await client.subscribeResource({ uri: `basiq://users/${mine.user}` });
  const token = (await (await fetch(`${sim.url}/token`, { method: 'POST', body: 'scope=SERVER_ACCESS',
    headers: { Authorization: 'Basic interop-key', 'basiq-version': '3.0', 'Content-Type': 'application/x-www-form-urlencoded' } })).json()).access_token;
  for (const c of [other, mine]) {
    await fetch(`${sim.url}/_sim/connections/${c.connection}/invalidate`, { method: 'POST', headers: { Authorization: `Bearer ${token}` } });
  }
  for (let waited = 0; heard.length === 0 && waited < 5000; waited += 50) await new Promise((r) => setTimeout(r, 50));
  await new Promise((r) => setTimeout(r, 300));
  check('subscriptions: the SDK hears of its customer within 5 s, and of no other',
    heard.length === 1 && heard[0] === `basiq://users/${mine.user}`, JSON.stringify(heard));
  await client.close();
}

const servers = [];
try {
  await attempt('stdio', () => exercise('stdio', new StdioClientTransport({ command: bin, env })));
  const destructive = { BASIQ_MCP_ALLOW_DESTRUCTIVE: 'true' };
  await attempt('stdio: during a call', () => duringACall('stdio', new StdioClientTransport({ command: bin, env: { ...env, ...destructive } }), 0));

  const http = await startHTTP('http');
  servers.push(http.child);
  await attempt('streamable HTTP', () => exercise('http', new StreamableHTTPClientTransport(new URL(`${http.url}/mcp`))));
  await attempt('streamable HTTP: during a call', async () => {
    const srv = await startHTTP('http', destructive);
    servers.push(srv.child);
    await duringACall('http', new StreamableHTTPClientTransport(new URL(`${srv.url}/mcp`)), 1);
  });
  await attempt('stateless 2026-07-28', async () => {
    const discover = await stateless(http.url, 'server/discover', {});
    check('2026-07-28: server/discover offers the stateless protocol', discover.result?.supportedVersions?.includes('2026-07-28'), JSON.stringify(discover.error));
    const res = await stateless(http.url, 'tools/call', { name: 'check_connector_status', arguments: { connector_id: 'AU00006' } }, 'check_connector_status');
    check('2026-07-28: tools/call without a session', res.result?.structuredContent?.refresh_now === 'defer', JSON.stringify(res.error));
    const report = await stateless(http.url, 'tools/call', { name: 'list_report_types', arguments: {} }, 'list_report_types');
    check('2026-07-28: every toolset is callable without a session', report.result?.structuredContent?.types?.length > 0, JSON.stringify(report.error));
    const prompt = await stateless(http.url, 'prompts/get', { name: 'troubleshoot_connection', arguments: {} }, 'troubleshoot_connection');
    check('2026-07-28: a prompt missing its argument is invalid params (-32602)', prompt.error?.code === -32602, JSON.stringify(prompt.error));
    const missing = await stateless(http.url, 'resources/read', { uri: 'basiq://users/u-nobody' }, 'basiq://users/u-nobody');
    check('2026-07-28: an unknown resource is invalid params (-32602), as this revision reports it', missing.error?.code === -32602, JSON.stringify(missing.error));
  });

  await attempt('subscriptions', subscriptions);
  await attempt('consent page', consentPage);

  const sse = await startHTTP('sse');
  servers.push(sse.child);
  await attempt('legacy SSE', () => exercise('sse', new SSEClientTransport(new URL(`${sse.url}/sse`))));
  await attempt('legacy SSE: during a call', async () => {
    const srv = await startHTTP('sse', destructive);
    servers.push(srv.child);
    await duringACall('sse', new SSEClientTransport(new URL(`${srv.url}/sse`)), 2, false);
  });

  if (process.env.BASIQ_MCP_TEST_OIDC) {
    await attempt('OAuth with oidc-provider', () => oauth(process.env.BASIQ_MCP_TEST_OIDC));
  } else {
    check('OAuth with oidc-provider: BASIQ_MCP_TEST_OIDC names testdata/oidc', !process.env.CI);
  }
} finally {
  servers.forEach((c) => c.kill('SIGTERM'));
}

console.log(`${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
