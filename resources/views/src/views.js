// The views basiq-mcp ships as MCP Apps. One script serves four views; the
// page says which (<html data-view="...">). Each view draws from the tool
// result's structuredContent alone, follows the host's theme and style
// variables, and never needs colour to be read: every bar carries its
// label and number, every state its word. Text from Basiq (names,
// categories, descriptions) is third-party data: it is only ever set as
// text, never as markup.
import { App, applyDocumentTheme, applyHostStyleVariables, applyHostFonts } from "@modelcontextprotocol/ext-apps/app-with-deps";

const view = document.documentElement.dataset.view;
const root = document.getElementById("root");

// el makes an element with text (never markup) and children.
function el(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === "class") e.className = v;
    else e.setAttribute(k, v);
  }
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    e.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return e;
}

const money = (s) => {
  const n = Number(s);
  if (!Number.isFinite(n)) return String(s ?? "");
  return (n < 0 ? "−$" : "$") + Math.abs(n).toLocaleString("en-AU", { minimumFractionDigits: 2, maximumFractionDigits: 2 });
};

// bars draws a horizontal bar chart: each row its label, a bar as long as
// its share of the largest, and its number as text.
function bars(title, rows) {
  const max = Math.max(1, ...rows.map((r) => Math.abs(r.value)));
  const list = el("ul", { class: "bars", "aria-label": title });
  for (const r of rows) {
    const bar = el("span", { class: "bar " + (r.kind || ""), style: `width:${(100 * Math.abs(r.value)) / max}%` });
    list.append(el("li", { "data-label": r.label }, el("span", { class: "label" }, r.label), el("span", { class: "track" }, bar), el("span", { class: "value" }, r.text)));
  }
  return el("section", {}, el("h2", {}, title), list);
}

function table(title, head, rows) {
  const t = el("table", {}, el("thead", {}, el("tr", {}, ...head.map((h) => el("th", { scope: "col" }, h)))));
  const body = el("tbody");
  for (const r of rows) body.append(el("tr", {}, ...r.map((c) => el("td", {}, c))));
  t.append(body);
  return el("section", {}, el("h2", {}, title), t);
}

// when shows an RFC 3339 time as date and minutes (UTC), whole.
const when = (s) => (s ? String(s).replace("T", " ").replace(/:\d\d(\.\d+)?Z$/, " UTC") : "");

// metric shows a report metric in its format: money, a percentage, yes/no.
function metric(m) {
  switch (m.format) {
    case "money": return money(m.value);
    case "percent": return `${m.value}%`;
    case "boolean": return m.value === "true" ? "yes" : m.value === "false" ? "no" : m.value;
    default: return m.value;
  }
}

function stat(label, value, kind) {
  return el("div", { class: "stat " + (kind || "") }, el("div", { class: "stat-label" }, label), el("div", { class: "stat-value" }, value));
}

const render = {
  affordability(r) {
    const groups = r.groups || [];
    const income = groups.filter((g) => Number(g.total) > 0);
    const expenses = groups.filter((g) => Number(g.total) < 0).sort((a, b) => Number(a.total) - Number(b.total));
    const sum = (gs) => gs.reduce((a, g) => a + Number(g.total || 0), 0);
    const months = r.period?.covered_months || r.period?.months;
    return [
      el("h1", {}, r.title || "Affordability report"),
      el("p", { class: "muted" }, `${r.period?.from ?? "?"} to ${r.period?.to ?? "?"}`, months ? ` · ${months} months of data` : ""),
      el("div", { class: "stats" }, stat("Income", money(sum(income)), "in"), stat("Expenses", money(sum(expenses)), "out"), stat("Net", money(sum(income) + sum(expenses)))),
      bars("Income by group (total over the period)", income.map((g) => ({ label: g.title, value: Number(g.total), text: `${money(g.total)} · ${money(g.monthly_average)}/month`, kind: "in" }))),
      bars("Expenses by group (total over the period)", expenses.map((g) => ({ label: g.title, value: Number(g.total), text: `${money(g.total)} · ${money(g.monthly_average)}/month`, kind: "out" }))),
      table("Metrics", ["Metric", "Value"], (r.metrics || []).map((m) => [m.title, metric(m)])),
    ];
  },
  spending(r) {
    const cats = (r.categories || []).filter((c) => Number(c.total) < 0);
    const s = r.summary || {};
    return [
      el("h1", {}, "Spending by category"),
      el("p", { class: "muted" }, `${s.earliest ?? "?"} to ${s.latest ?? "?"} · ${s.count ?? 0} transactions`),
      el("div", { class: "stats" }, stat("Money in", money(s.credits), "in"), stat("Money out", money(s.debits), "out"), stat("Net", money(s.net))),
      cats.length ? bars("Money out by category", cats.map((c) => ({ label: c.category, value: Number(c.total), text: `${money(c.total)} · ${c.count} transactions`, kind: "out" })))
        : el("p", {}, "No spending by category in this answer (ask with by_category)."),
      table("Every category", ["Category", "Transactions", "Total"], (r.categories || []).map((c) => [c.category, String(c.count), money(c.total)])),
    ];
  },
  diagnosis(r) {
    const words = { ok: "✓ All well", "customer-must-act": "✕ The customer must act", "bank-problem": "! The bank has a problem", wait: "… Wait", "refresh-now": "↻ Refresh now", unknown: "? Not known" };
    const cards = (r.connections || []).map((c) => el("article", { class: "card" },
      el("h2", {}, `Connection ${c.id}`),
      el("dl", {},
        el("dt", {}, "Status"), el("dd", {}, c.status ?? "unknown"),
        el("dt", {}, "Bank"), el("dd", {}, `${c.institution_id ?? "?"} (${c.institution_status ?? "status unknown"})`),
        el("dt", {}, "Last refreshed"), el("dd", {}, c.last_refreshed ? when(c.last_refreshed) : "never"),
        c.last_job ? el("dt", {}, "Last job") : null, c.last_job ? el("dd", {}, `${c.last_job.status}${c.last_job.diagnosis ? ": " + c.last_job.diagnosis.code + " — " + c.last_job.diagnosis.meaning : ""}`) : null,
        el("dt", {}, "Refresh"), el("dd", {}, c.refresh ?? ""))));
    return [
      el("div", { class: "verdict", role: "status" }, el("div", { class: "stat-label" }, "Verdict"), el("div", { class: "verdict-word" }, words[r.verdict] || r.verdict || "unknown")),
      el("p", { class: "next" }, el("strong", {}, "Next step: "), r.next_step || ""),
      ...cards,
    ];
  },
  queue(r) {
    const reasons = Object.entries(r.by_reason || {}).sort((a, b) => b[1] - a[1]);
    return [
      el("h1", {}, "Support queue"),
      el("p", { class: "muted" }, r.note || ""),
      el("div", { class: "stats" }, stat("Rows", String(r.total ?? (r.rows || []).length)), stat("Customers", String(r.customers ?? "?"))),
      bars("By reason", reasons.map(([k, n]) => ({ label: k, value: n, text: String(n) }))),
      table("Banks", ["Bank", "Status", "Problems"], (r.banks || []).map((b) => [`${b.name || b.institution} (${b.institution})`, b.status, String(b.problems)])),
      table("Customers, most urgent first", ["Customer", "Reason", "Since", "Next step"], (r.rows || []).map((q) => [q.name || q.user_id, q.reason, when(q.since), q.next_step || ""])),
    ];
  },
};

function show(params) {
  const r = params?.structuredContent;
  root.replaceChildren();
  if (params?.isError || !r) {
    root.append(el("p", { class: "muted" }, "Nothing to show: the tool gave no structured result."));
    return;
  }
  root.append(...(render[view] || (() => [el("p", {}, "Unknown view")]))(r));
  document.body.dataset.rendered = view;
}

function theme(ctx) {
  if (ctx?.theme) applyDocumentTheme(ctx.theme);
  if (ctx?.styles?.variables) applyHostStyleVariables(ctx.styles.variables);
  if (ctx?.styles?.css?.fonts) applyHostFonts(ctx.styles.css.fonts);
}

const app = new App({ name: "basiq-mcp " + view, version: "1.0.0" });
app.ontoolresult = show;
app.onhostcontextchanged = theme;
app.connect().then(() => theme(app.getHostContext()));
