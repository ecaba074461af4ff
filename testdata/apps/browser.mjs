// Tests each basiq-mcp view in headless Chromium (Debian's /usr/bin/chromium
// through playwright-core): the server runs on its offline simulator over
// stdio; each view's page is read from it as a client with MCP Apps reads
// it (resources/read of the tool's _meta.ui.resourceUri), shown by a host
// page that speaks the Apps protocol (host.js, on AppBridge), and given a
// real result of its tool. The test checks the numbers and labels the view
// shows against that result, and saves a screenshot per view (and one in
// the dark theme) to $VIEWS_SHOTS (default testdata/apps/screenshots).
import { spawn } from 'node:child_process';
import { createServer } from 'node:http';
import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { chromium } from 'playwright-core';

const here = dirname(fileURLToPath(import.meta.url));
const bin = process.env.BASIQ_MCP_BIN || join(here, '..', '..', 'basiq-mcp');
const shots = process.env.VIEWS_SHOTS || join(here, 'screenshots');
mkdirSync(shots, { recursive: true });
let failed = 0;
const check = (ok, what) => { console.log(`${ok ? 'ok  ' : 'FAIL'} ${what}`); if (!ok) failed++; };

// mcp is a minimal line-delimited JSON-RPC client of the server over stdio.
function mcp() {
  const child = spawn(bin, [], {
    env: { ...process.env, BASIQ_API_KEY: '', BASIQ_MCP_STATE_DIR: mkdtempSync(join(tmpdir(), 'views-')), BASIQ_MCP_DOCS_URL: 'off', NO_COLOR: '1' },
    stdio: ['pipe', 'pipe', 'ignore'],
  });
  const waiting = new Map();
  let next = 1;
  createInterface({ input: child.stdout }).on('line', (line) => {
    const msg = JSON.parse(line);
    if (msg.id !== undefined && waiting.has(msg.id)) {
      waiting.get(msg.id)(msg);
      waiting.delete(msg.id);
    }
  });
  const request = (method, params) => new Promise((resolve, reject) => {
    const id = next++;
    waiting.set(id, (m) => (m.error ? reject(new Error(`${method}: ${m.error.message}`)) : resolve(m.result)));
    child.stdin.write(JSON.stringify({ jsonrpc: '2.0', id, method, params }) + '\n');
  });
  const call = async (name, args) => {
    const r = await request('tools/call', { name, arguments: args });
    if (r.isError) throw new Error(`${name}: ${r.content?.[0]?.text}`);
    return r;
  };
  return { request, call, close: () => child.kill() };
}

const money = (s) => { const n = Number(s); return (n < 0 ? '−$' : '$') + Math.abs(n).toLocaleString('en-AU', { minimumFractionDigits: 2, maximumFractionDigits: 2 }); };

const server = mcp();
await server.request('initialize', {
  protocolVersion: '2025-06-18', clientInfo: { name: 'views-browser-test', version: '1' },
  capabilities: { extensions: { 'io.modelcontextprotocol/ui': { mimeTypes: ['text/html;profile=mcp-app'] } } },
});
const tools = (await server.request('tools/list', {})).tools;
const viewOf = Object.fromEntries(tools.filter((t) => t._meta?.ui?.resourceUri).map((t) => [t.name, t._meta.ui.resourceUri]));
check(Object.keys(viewOf).length === 4, `four tools link a view: ${Object.keys(viewOf).join(', ')}`);

// Real results from the simulator, for the customers its personas hold.
const users = (await server.call('list_users', {})).structuredContent.users;
const max = users.find((u) => u.name === 'Max Wentworth-Smith') || users[0];
const queue = await server.call('support_queue', {});
const broken = queue.structuredContent.rows.find((r) => r.reason === 'connection-invalid' && r.code);
const diagnosis = await server.call('diagnose_connection', { user_id: broken.user_id, connection_id: broken.connection_id });
const spending = await server.call('list_transactions', { user_id: max.id, by_category: true });
const today = new Date();
const from = new Date(today.getTime() - 182 * 864e5).toISOString().slice(0, 10);
const job = (await server.call('create_report', { user_id: max.id, report_type: 'CON_AFFOR_01', title: 'Max affordability', from_date: from, to_date: today.toISOString().slice(0, 10) })).structuredContent;
let report;
for (let i = 0; i < 50 && !report; i++) {
  const reports = (await server.call('list_reports', {})).structuredContent.reports;
  if (reports.length) report = await server.call('get_report', { report_id: reports[0].id });
  else await new Promise((r) => setTimeout(r, 200));
}
check(!!job.job_id && !!report, 'an affordability report made at the simulator');

// What each view must show, from its own result.
const spend = spending.structuredContent.categories.filter((c) => Number(c.total) < 0);
const salary = report.structuredContent.groups.find((g) => Number(g.total) > 0);
const expense = report.structuredContent.groups.find((g) => Number(g.total) < 0);
const reasons = Object.entries(queue.structuredContent.by_reason).sort((a, b) => b[1] - a[1]);
const cases = [
  { tool: 'get_report', result: report, expect: [report.structuredContent.title, salary.title, money(salary.total), expense.title, money(expense.total), report.structuredContent.metrics[0].title] },
  { tool: 'list_transactions', result: spending, expect: ['Spending by category', spend[0].category, money(spend[0].total), money(spending.structuredContent.summary.net)] },
  { tool: 'diagnose_connection', result: diagnosis, expect: ['The customer must act', diagnosis.structuredContent.next_step, broken.connection_id] },
  { tool: 'support_queue', result: queue, expect: ['Support queue', 'most urgent first', reasons[0][0], String(reasons[0][1]), queue.structuredContent.banks[0].name, queue.structuredContent.rows[0].next_step] },
];

// The host page, its script bundled from AppBridge.
const hostJS = (await build({ entryPoints: [join(here, 'host.js')], bundle: true, format: 'iife', write: false, nodePaths: [join(here, 'node_modules')], logLevel: 'warning' })).outputFiles[0].text;
const page = `<!doctype html><html><head><meta charset="utf-8"><title>host</title></head><body style="margin:0">
<iframe id="view" title="view" sandbox="allow-scripts allow-same-origin" style="width:900px;height:1400px;border:0"></iframe><script>${hostJS}</script></body></html>`;
const http = createServer((_, res) => { res.writeHead(200, { 'content-type': 'text/html' }); res.end(page); });
await new Promise((r) => http.listen(0, '127.0.0.1', r));
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
try {
  for (const [i, c] of [...cases, { ...cases[2], theme: 'dark' }].entries()) {
    const uri = viewOf[c.tool];
    const html = (await server.request('resources/read', { uri })).contents[0].text;
    const tab = await browser.newPage({ viewport: { width: 900, height: 1000 } });
    const requests = [];
    tab.on('request', (r) => requests.push(r.url()));
    tab.on('crash', () => console.log(`FAIL ${uri}: the page crashed`));
    tab.on('console', (m) => { if (m.type() === 'error') console.log(`     console: ${m.text()}`); });
    await tab.goto(`http://127.0.0.1:${http.address().port}/`);
    await tab.evaluate(([h, r, t]) => window.showView(h, r, t), [html, c.result, c.theme || 'light']);
    const frame = tab.frameLocator('#view');
    const name = uri.replace('ui://basiq-mcp/', '').replace('.html', '') + (c.theme ? '-dark' : '');
    await frame.locator('body[data-rendered]').waitFor({ timeout: 10000 });
    const text = await frame.locator('body').innerText();
    for (const want of c.expect) check(text.includes(want), `${name}: shows ${JSON.stringify(want).slice(0, 80)}`);
    const offsite = requests.filter((u) => !u.startsWith(`http://127.0.0.1:${http.address().port}/`) && !u.startsWith('about:'));
    check(offsite.length === 0, `${name}: fetches nothing (offline): ${offsite.join(' ') || 'no request'}`);
    const height = await frame.locator('main').evaluate((m) => m.scrollHeight + 40);
    await tab.setViewportSize({ width: 900, height: Math.min(Math.max(height, 300), 1400) });
    await tab.screenshot({ path: join(shots, `${String(i + 1).padStart(2, '0')}-${name}.png`) });
    await tab.close();
  }
} finally {
  await browser.close();
  http.close();
  server.close();
}
console.log(`${failed === 0 ? 'every view check passed' : failed + ' view checks failed'}; screenshots in ${shots}`);
process.exit(failed === 0 ? 0 : 1);
