// pyredis-cluster dashboard: renders /api snapshots (live or replayed) -- no framework, no build step.
"use strict";

const PALETTE = ["#60a5fa", "#f472b6", "#34d399", "#fbbf24", "#a78bfa", "#f87171", "#22d3ee", "#a3e635",
  "#fb923c", "#818cf8", "#2dd4bf", "#e879f9"];
const CATEGORY = {
  meet: "membership", handshake: "membership", "handshake-timeout": "membership", discovered: "membership",
  address: "membership", forget: "membership", reset: "membership",
  pfail: "failure", "pfail-cleared": "failure", "fail-report": "failure", "fail-report-expired": "failure",
  fail: "failure", "fail-sent": "failure", "fail-cleared": "failure", unreachable: "failure", reachable: "failure",
  "election-scheduled": "election", "election-started": "election", "vote-requested": "election",
  "vote-granted": "election", "vote-refused": "election", "vote-received": "election", "election-won": "election",
  "failover-blocked": "election", promoted: "election", "manual-failover": "election",
  "replica-migration": "election",
  epoch: "config", update: "config", "update-sent": "config", role: "config",
  slots: "slots", migration: "slots", state: "state",
};
const CAT_COLOR = { membership: "#64748b", failure: "#dc2626", election: "#7c3aed", config: "#2563eb",
  slots: "#059669", state: "#111827", other: "#ca8a04" };
const NOISE = new Set(["fail-report", "discovered", "failover-blocked", "fail-report-expired"]);
const STOP_KINDS = ["pfail", "fail", "election-started", "vote-granted", "vote-received", "election-won",
  "promoted", "state"];

const $ = (id) => document.getElementById(id);
const D = window.dashboard = {
  mode: null, snapshot: null, events: [], seq: 0, kinds: {}, colors: {}, nextColor: 0, addrOf: {},
  frame: 0, meta: null, frames: {}, playing: false, stops: new Set(["vote-received", "election-won"]),
  ops: {}, cats: new Set(Object.keys(CAT_COLOR)), renders: 0,
};

function cat(kind) { return CATEGORY[kind] || "other"; }
function esc(s) { return String(s).replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" }[c])); }
function short(id) { return id ? id.slice(0, 8) : ""; }
function portOf(id) { const a = D.addrOf[id]; return a ? a.split(":").pop() : short(id); }
function fmtNum(n) {
  if (n === null || n === undefined) return "–";
  if (typeof n === "number" && !Number.isInteger(n)) n = Math.round(n);
  return n >= 1e6 ? (n / 1e6).toFixed(1) + "M" : n >= 1e4 ? (n / 1e3).toFixed(1) + "k" : String(n);
}

// A node keeps its colour for life: a master gets one when it serves slots, a replica takes its master's,
// and keeps it when promoted.  A node that is neither yet (a new, empty master) is grey.
function colorOf(id) {
  return (id && D.colors[id]) || "#cbd5e1";
}

function assignColors(snap) {
  const nodes = snap.nodes.slice().sort((a, b) => a.port - b.port);
  for (const n of nodes) {
    if (n.role === "master" && n.slots > 0 && !D.colors[n.id]) D.colors[n.id] = PALETTE[D.nextColor++ % PALETTE.length];
  }
  for (const n of nodes) {
    if (n.role === "replica" && !D.colors[n.id] && D.colors[n.master]) D.colors[n.id] = D.colors[n.master];
  }
  for (const n of snap.nodes) D.addrOf[n.id] = n.addr;
}

// -- header ---------------------------------------------------------------------------------------------------

function renderHeader(snap) {
  const c = snap.cluster;
  const st = $("cluster-state");
  st.dataset.state = c.state;
  st.textContent = "cluster: " + c.state;
  $("epoch").textContent = c.current_epoch;
  $("masters").textContent = c.masters;
  $("reachable").textContent = c.reachable + " / " + c.known;
  $("assigned").textContent = c.assigned;
  $("disputed").textContent = snap.disputed;
  $("disputed-wrap").hidden = !snap.disputed;
  if (D.mode === "live") $("clock").textContent = new Date(snap.time).toTimeString().slice(0, 8);
}

// -- node graph -----------------------------------------------------------------------------------------------

const SVGNS = "http://www.w3.org/2000/svg";
function el(tag, attrs, parent, text) {
  const e = document.createElementNS(SVGNS, tag);
  for (const k in attrs) e.setAttribute(k, attrs[k]);
  if (text !== undefined) e.textContent = text;
  if (parent) parent.appendChild(e);
  return e;
}

// Columns are shards (a colour: a master and its replicas, and they keep it through failovers); the top
// row holds the masters that serve slots, the bottom row the replicas (and masters left without slots).
function layout(snap) {
  const W = 640, H = 440;
  const groups = [], gi = {};
  const GREY = colorOf(null);
  const nodes = snap.nodes.slice().sort((a, b) => a.port - b.port);
  for (const n of nodes) {
    const c = colorOf(n.id);
    if (!(c in gi)) { gi[c] = groups.length; groups.push({ c, order: c === GREY ? 99 : PALETTE.indexOf(c), top: [], bottom: [] }); }
    const g = groups[gi[c]];
    (n.role === "master" && n.slots > 0 ? g.top : g.bottom).push(n);
  }
  groups.sort((a, b) => a.order - b.order);
  const pos = {};
  const colW = W / Math.max(1, groups.length);
  groups.forEach((g, i) => {
    const cx = colW * (i + 0.5);
    for (const [row, y] of [[g.top, 115], [g.bottom, 315]]) {
      const step = Math.min(96, colW / Math.max(1, row.length));
      row.forEach((n, k) => { pos[n.id] = { x: cx + (k - (row.length - 1) / 2) * step, y, top: row === g.top }; });
    }
  });
  return pos;
}

function renderGraph(snap) {
  const svg = $("graph");
  svg.textContent = "";
  const pos = layout(snap);
  const defs = el("defs", {}, svg);
  const mk = el("marker", { id: "arrow", viewBox: "0 0 10 10", refX: "10", refY: "5", markerWidth: "7",
    markerHeight: "7", orient: "auto-start-reverse" }, defs);
  el("path", { d: "M 0 0 L 10 5 L 0 10 z", fill: "#475569" }, mk);
  const byId = {};
  for (const n of snap.nodes) byId[n.id] = n;
  // bus links: every pair; red dashed when an end that we can hear says "disconnected"
  const links = el("g", {}, svg);
  const ns = snap.nodes;
  for (let i = 0; i < ns.length; i++) {
    for (let j = i + 1; j < ns.length; j++) {
      const a = ns[i], b = ns[j];
      const ab = a.links[b.id], ba = b.links[a.id];
      const down = ab === "disconnected" || ba === "disconnected";
      const pa = pos[a.id], pb = pos[b.id];
      el("line", { x1: pa.x, y1: pa.y, x2: pb.x, y2: pb.y, stroke: down ? "#fca5a5" : "#e2e8f0",
        "stroke-width": down ? 1.4 : 1, "stroke-dasharray": down ? "4 3" : "", class: "buslink",
        "data-a": a.id, "data-b": b.id, "data-state": down ? "disconnected" : "connected" }, links);
    }
  }
  // replication: replica -> master
  for (const n of ns) {
    if (n.role !== "replica" || !pos[n.master]) continue;
    const p = pos[n.id], q = pos[n.master];
    const dx = q.x - p.x, dy = q.y - p.y, d = Math.hypot(dx, dy) || 1;
    el("line", { x1: p.x + dx / d * 31, y1: p.y + dy / d * 31, x2: q.x - dx / d * 33, y2: q.y - dy / d * 33,
      stroke: "#475569", "stroke-width": 1.6, "marker-end": "url(#arrow)" }, svg);
    const lag = n.lag !== null && n.lag !== undefined ? "lag " + fmtNum(n.lag) + " B" : "";
    if (lag) el("text", { x: (p.x + q.x) / 2 + 26, y: (p.y + q.y) / 2 + 4, class: "sub" }, svg, lag);
  }
  for (const n of ns) {
    const p = pos[n.id];
    const g = el("g", { class: "node " + (n.reachable ? "up" : "down"), "data-node-id": n.id, "data-port": n.port,
      "data-role": n.role, "data-health": n.health, "data-reachable": n.reachable }, svg);
    const ring = n.health === "fail" ? "#dc2626" : n.health === "pfail" ? "#f59e0b" : "#2e7d32";
    el("circle", { cx: p.x, cy: p.y, r: 30, fill: colorOf(n.id), class: "body" }, g);
    el("circle", { cx: p.x, cy: p.y, r: 30, fill: "none", stroke: ring, "stroke-width": n.health === "ok" ? 2.5 : 5,
      "stroke-dasharray": n.reachable ? "" : "5 4" }, g);
    el("text", { x: p.x, y: p.y - 6, class: "port" }, g, n.port);
    el("text", { x: p.x, y: p.y + 8 }, g, n.role === "master" ? "master" : n.role === "replica" ? "replica" : "?");
    if (n.health !== "ok") {
      el("text", { x: p.x, y: p.y + 21, class: "badge-" + n.health }, g, n.health === "fail" ? "FAIL" : "PFAIL");
    } else if (!n.reachable) {
      el("text", { x: p.x, y: p.y + 21, class: "sub" }, g, "no answer");
    }
    const sub = [];
    sub.push("cfg " + n.config_epoch + (n.current_epoch !== null && n.current_epoch !== undefined ? " · cur " + n.current_epoch : ""));
    if (n.role === "master") sub.push(n.slots + " slots");
    if (n.ops !== null && n.ops !== undefined) sub.push(fmtNum(n.ops) + " ops/s");
    el("text", { x: p.x, y: p.top ? p.y - 38 : p.y + 45, class: "sub" }, g, sub.join(" · "));  // clear of the arrows
    const title = el("title", {}, g);
    title.textContent = n.addr + " " + n.id + "\n" + n.role + (n.master ? " of " + n.master : "") +
      "\nseen FAIL by " + n.seen_fail + ", PFAIL by " + n.seen_pfail + " of " + n.observers + " nodes";
  }
}

// -- slot map -------------------------------------------------------------------------------------------------

function renderSlots(snap) {
  const cv = $("slots"), ctx = cv.getContext("2d");
  const COLS = 128, CELL = 4;  // 128 x 128 slots, 4 px each (drawn at 512 x 512 / 2 rows per line below)
  cv.width = COLS * CELL; cv.height = (16384 / COLS) * CELL / 2;
  const byId = {};
  for (const n of snap.nodes) byId[n.id] = n;
  ctx.fillStyle = "#e5e7eb";
  ctx.fillRect(0, 0, cv.width, cv.height);
  const H = CELL / 2;
  for (const [a, b, owner] of snap.slots) {
    const n = owner && byId[owner];
    ctx.fillStyle = owner ? colorOf(owner) : "#e5e7eb";
    for (let s = a; s <= b;) {
      const row = Math.floor(s / COLS), col = s % COLS;
      const run = Math.min(b - s + 1, COLS - col);
      ctx.fillRect(col * CELL, row * H, run * CELL, H);
      if (n && n.health === "fail") {  // slots of a FAIL master: hatched
        ctx.save(); ctx.fillStyle = "rgba(220,38,38,0.55)";
        for (let x = col; x < col + run; x += 2) ctx.fillRect(x * CELL, row * H, CELL, H);
        ctx.restore();
      }
      s += run;
    }
  }
  const legend = $("slot-legend");
  legend.textContent = "";
  const count = {};
  for (const [a, b, o] of snap.slots) count[o || ""] = (count[o || ""] || 0) + b - a + 1;
  for (const o of Object.keys(count).sort((x, y) => ((byId[x] || {}).port || 1e9) - ((byId[y] || {}).port || 1e9))) {
    const n = byId[o];
    const span = document.createElement("span");
    span.className = "legend-item";
    span.dataset.owner = o;
    span.innerHTML = '<span class="sw" style="background:' + (o ? colorOf(o) : "#e5e7eb") + '"></span>' +
      (o ? esc(n ? n.addr : short(o)) : "unassigned") + " <b>" + count[o] + "</b>" +
      (n && n.health !== "ok" ? ' <span class="health ' + n.health + '">' + n.health.toUpperCase() + "</span>" : "");
    legend.appendChild(span);
  }
}

function slotTip(ev) {
  const snap = D.snapshot;
  if (!snap) return;
  const cv = $("slots"), r = cv.getBoundingClientRect();
  const x = (ev.clientX - r.left) * cv.width / r.width, y = (ev.clientY - r.top) * cv.height / r.height;
  const slot = Math.floor(y / 2) * 128 + Math.floor(x / 4);
  if (slot < 0 || slot > 16383) return;
  let owner = null;
  for (const [a, b, o] of snap.slots) if (slot >= a && slot <= b) owner = o;
  const tip = $("slot-tip");
  tip.hidden = false;
  tip.style.left = (ev.clientX - r.left + 12) + "px";
  tip.style.top = (ev.clientY - r.top + 12) + "px";
  tip.textContent = "slot " + slot + " → " + (owner ? (D.addrOf[owner] || "") + " " + short(owner) : "unassigned");
}

// -- node table -----------------------------------------------------------------------------------------------

function spark(id) {
  const v = D.ops[id] || [];
  if (v.length < 2) return "";
  const max = Math.max(1, ...v), w = 50, h = 14;
  const pts = v.map((y, i) => (i * w / (v.length - 1)).toFixed(1) + "," + (h - y / max * h).toFixed(1)).join(" ");
  return '<svg width="' + w + '" height="' + h + '"><polyline fill="none" stroke="#6366f1" points="' + pts + '"/></svg>';
}

function renderTable(snap, actions) {
  const tb = document.querySelector("#nodes tbody");
  tb.textContent = "";
  for (const n of snap.nodes) {
    if (n.ops !== null && n.ops !== undefined) {
      const v = D.ops[n.id] = D.ops[n.id] || [];
      v.push(n.ops);
      if (v.length > 60) v.shift();
    }
    const tr = document.createElement("tr");
    tr.className = n.reachable ? "" : "down";
    tr.dataset.nodeId = n.id;
    tr.dataset.port = n.port;
    tr.dataset.role = n.role;
    tr.dataset.master = n.master || "";
    tr.dataset.health = n.health;
    const health = n.health === "ok" ? (n.reachable ? "ok" : "ok (no answer)") :
      n.health.toUpperCase() + " (" + (n.health === "fail" ? n.seen_fail : n.seen_pfail) + "/" + n.observers + ")";
    let act = "";
    if (actions) {
      if (n.reachable && n.local) act += '<button class="danger" data-act="kill">kill</button> ';
      if (n.role === "replica" && n.reachable) act += '<button data-act="failover">failover</button>';
    }
    tr.innerHTML =
      '<td><span class="sw" style="background:' + colorOf(n.id) + '"></span><b>' + esc(n.addr) +
      '</b> <span class="thin mono">' + short(n.id) + "</span>" + (n.impl === "redis" ? ' <span class="thin">redis</span>' : "") + "</td>" +
      "<td>" + n.role + (n.master ? ' <span class="thin">of ' + esc(portOf(n.master)) + "</span>" : "") + "</td>" +
      '<td class="health ' + n.health + '">' + health + "</td>" +
      '<td class="num">' + n.config_epoch + '</td><td class="num">' + (n.current_epoch ?? "–") + "</td>" +
      "<td>" + (n.cluster_state ?? "–") + '</td><td class="num">' + (n.role === "master" ? n.slots : "") + "</td>" +
      '<td class="num">' + fmtNum(n.repl_offset) + '</td><td class="num">' + (n.lag === null ? "–" : fmtNum(n.lag)) + "</td>" +
      '<td class="num">' + fmtNum(n.ops) + " " + spark(n.id) + "</td><td>" + act + "</td>";
    tb.appendChild(tr);
  }
}

async function doAction(ev) {
  const b = ev.target.closest("button[data-act]");
  if (!b) return;
  const tr = b.closest("tr");
  const what = b.dataset.act, node = tr.dataset.nodeId;
  if (what === "kill" && !window.confirm("SIGKILL node " + D.addrOf[node] + "?")) return;
  b.disabled = true;
  const r = await fetch("/api/action", { method: "POST", headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ action: what, node }) });
  const body = await r.json();
  $("action-result").textContent = body.ok ? body.text : "error: " + body.error;
}

// -- event log ------------------------------------------------------------------------------------------------

function linkIds(text) {
  return esc(text).replace(/\b[0-9a-f]{40}\b/g, (id) =>
    '<span class="nid" title="' + id + '" style="border-left:3px solid ' + (D.colors[id] || "#cbd5e1") + '">' +
    (D.addrOf[id] ? esc(D.addrOf[id].split(":").pop()) + "·" : "") + id.slice(0, 6) + "</span>");
}

function visibleEvents() {
  const q = $("ev-search").value.toLowerCase();
  const noise = $("ev-noise").checked;
  return D.events.filter((e) => D.cats.has(cat(e.kind)) && (noise || !NOISE.has(e.kind)) &&
    (!q || (e.kind + " " + e.text + " " + e.reporter_addr).toLowerCase().includes(q)));
}

function renderEvents() {
  const box = $("events");
  const evs = visibleEvents();
  let shown = evs;
  let cutoff = Infinity;
  if (D.mode === "replay") cutoff = D.frame;
  const t0 = D.mode === "replay" ? D.meta.t0 : (D.events.length ? D.events[0].time : 0);
  const past = shown.filter((e) => D.mode !== "replay" || e.frame <= cutoff);
  $("event-count").textContent = "— " + past.length + " shown of " + (D.mode === "replay" ?
    D.events.filter((e) => e.frame <= cutoff).length + " so far" : D.events.length);
  // newest first; in a replay, the events of the current frame are highlighted
  const rows = past.slice(-400).reverse();
  const html = [];
  for (const e of rows) {
    const t = D.mode === "replay" ? "+" + ((e.time - t0) / 1000).toFixed(3) + "s"
      : new Date(e.time).toTimeString().slice(0, 8) + "." + String(e.time % 1000).padStart(3, "0");
    const who = e.reporter === "dashboard" ? '<span class="thin">dashboard</span>' :
      '<span class="sw" style="background:' + (D.colors[e.reporter] || "#cbd5e1") + '"></span>' +
      esc((e.reporter_addr || "").split(":").pop() || short(e.reporter));
    const now = D.mode === "replay" && e.frame === cutoff ? " now" : "";
    html.push('<div class="ev cat-' + cat(e.kind) + now + '" data-kind="' + esc(e.kind) + '"><span class="t">' + t +
      '</span><span class="who">' + who + '</span><span class="k" title="' + esc(D.kinds[e.kind] || "") + '">' +
      esc(e.kind) + "</span><span>" + linkIds(e.text) + "</span></div>");
  }
  box.innerHTML = html.join("");
  renderStrip(evs, t0);
}

function renderStrip(evs, t0) {
  const cv = $("strip"), ctx = cv.getContext("2d");
  cv.width = cv.clientWidth || 600;
  ctx.clearRect(0, 0, cv.width, cv.height);
  let start, end, cursor = null;
  if (D.mode === "replay") {
    start = D.meta.frames.length ? D.meta.frames[0].t : 0;
    end = D.meta.frames.length ? D.meta.frames[D.meta.frames.length - 1].t : 1;
    cursor = D.meta.frames[D.frame] ? D.meta.frames[D.frame].t : null;
  } else {
    end = D.snapshot ? D.snapshot.time : Date.now();
    start = end - 120000;
  }
  const W = cv.width, span = Math.max(1, end - start);
  const cats = Object.keys(CAT_COLOR);
  for (const e of evs) {
    if (e.time < start) continue;
    const x = (e.time - start) / span * (W - 4) + 2;
    const row = cats.indexOf(cat(e.kind));
    ctx.fillStyle = CAT_COLOR[cat(e.kind)];
    ctx.globalAlpha = D.mode === "replay" && e.frame > D.frame ? 0.25 : 1;
    ctx.fillRect(x, 2 + row * 4.3, 2, 4);
  }
  ctx.globalAlpha = 1;
  if (cursor !== null) {
    ctx.fillStyle = "#111827";
    ctx.fillRect((cursor - start) / span * (W - 4) + 1, 0, 2, cv.height);
  }
  ctx.fillStyle = "#6b7280";
  ctx.font = "10px sans-serif";
  ctx.fillText(D.mode === "replay" ? "whole scenario" : "last 2 minutes", W - 90, cv.height - 3);
}

function renderCats() {
  const box = $("ev-cats");
  box.textContent = "";
  for (const c of Object.keys(CAT_COLOR)) {
    const s = document.createElement("span");
    s.className = "chip" + (D.cats.has(c) ? " on" : "");
    s.style.borderColor = CAT_COLOR[c];
    if (D.cats.has(c)) s.style.background = CAT_COLOR[c];
    s.textContent = c;
    s.onclick = () => { D.cats.has(c) ? D.cats.delete(c) : D.cats.add(c); renderCats(); renderEvents(); };
    box.appendChild(s);
  }
}

function render(snap, actions) {
  if (!snap) return;
  D.snapshot = snap;
  assignColors(snap);
  renderHeader(snap);
  renderGraph(snap);
  renderSlots(snap);
  renderTable(snap, actions);
  renderEvents();
  D.renders++;
}

// -- live -----------------------------------------------------------------------------------------------------

async function pollLive() {
  try {
    const r = await fetch("/api/state?since=" + D.seq);
    const body = await r.json();
    for (const e of body.events) D.events.push(e);
    D.events.sort((a, b) => a.time - b.time || a.seq - b.seq);
    if (D.events.length > 20000) D.events.splice(0, 2000);
    D.seq = body.seq;
    D.actions = body.actions;
    render(body.snapshot, body.actions);
  } catch (err) {
    $("mode").textContent = "LIVE (dashboard server unreachable)";
  }
  setTimeout(pollLive, 500);
}

// -- replay ---------------------------------------------------------------------------------------------------

async function frameSnap(i) {
  if (!D.frames[i]) D.frames[i] = fetch("/api/frame/" + i).then((r) => r.json());
  return D.frames[i];
}

async function seek(i) {
  const n = D.meta.frames.length;
  i = Math.max(0, Math.min(n - 1, i));
  D.frame = i;
  const snap = await frameSnap(i);
  if (D.frame !== i) return;
  $("rp-slider").value = i;
  const fr = D.meta.frames[i];
  $("rp-time").textContent = "t=+" + ((fr.t - D.meta.t0) / 1000).toFixed(3) + "s  frame " + (i + 1) + "/" + n;
  $("clock").textContent = "virtual time +" + ((fr.t - D.meta.t0) / 1000).toFixed(3) + " s";
  let mark = "";
  for (let j = i; j >= 0; j--) if (D.meta.frames[j].mark) { mark = D.meta.frames[j].mark; break; }
  $("rp-mark").textContent = mark;
  render(snap, false);
}

function eventFrames() {
  const s = new Set(visibleEvents().map((e) => e.frame));
  return [...s].sort((a, b) => a - b);
}

function stopBetween(a, b) {
  // the first frame in (a, b] with an event of a "stop at" kind
  let best = null;
  for (const e of D.events) if (e.frame > a && e.frame <= b && D.stops.has(e.kind) && (best === null || e.frame < best)) best = e.frame;
  return best;
}

function setPlaying(on) {
  D.playing = on;
  $("rp-play").textContent = on ? "❚❚" : "▶";
  if (on) {
    D.playFrom = { wall: performance.now(), t: D.meta.frames[D.frame].t };
    requestAnimationFrame(tick);
  }
}

async function tick() {
  if (!D.playing) return;
  const speed = parseFloat($("rp-speed").value);
  const target = D.playFrom.t + (performance.now() - D.playFrom.wall) * speed;
  const frames = D.meta.frames;
  let j = D.frame;
  while (j + 1 < frames.length && frames[j + 1].t <= target) j++;
  if (j !== D.frame) {
    const stop = stopBetween(D.frame, j);
    if (stop !== null) {
      await seek(stop);
      setPlaying(false);
      $("rp-mark").textContent = "stopped at " + D.events.filter((e) => e.frame === stop && D.stops.has(e.kind))
        .map((e) => e.kind).filter((k, i, a) => a.indexOf(k) === i).join(", ");
      return;
    }
    await seek(j);
  }
  if (j >= frames.length - 1) { setPlaying(false); return; }
  requestAnimationFrame(tick);
}

function renderStops() {
  const box = $("rp-stops");
  box.textContent = "";
  for (const k of STOP_KINDS) {
    const s = document.createElement("span");
    s.className = "chip" + (D.stops.has(k) ? " on" : "");
    s.dataset.kind = k;
    s.textContent = k === "vote-received" ? "votes counted" : k;
    s.title = D.kinds[k] || "";
    s.onclick = () => { D.stops.has(k) ? D.stops.delete(k) : D.stops.add(k); renderStops(); };
    box.appendChild(s);
  }
}

async function startReplay() {
  D.meta = await (await fetch("/api/replay")).json();
  D.events = D.meta.events;
  for (const id in D.meta.colors || {}) {
    D.colors[id] = PALETTE[D.meta.colors[id] % PALETTE.length];
    D.nextColor = Math.max(D.nextColor, D.meta.colors[id] + 1);
  }
  $("replay-bar").hidden = false;
  $("title").textContent = D.meta.title + (D.meta.seed !== null && D.meta.seed !== undefined ? " (seed " + D.meta.seed + ")" : "");
  const sl = $("rp-slider");
  sl.max = D.meta.frames.length - 1;
  sl.oninput = () => { setPlaying(false); seek(parseInt(sl.value, 10)); };
  const marks = $("rp-marks");
  D.meta.frames.forEach((f, i) => {
    if (!f.mark) return;
    const m = document.createElement("i");
    m.style.left = (i / Math.max(1, D.meta.frames.length - 1) * 100) + "%";
    m.title = f.mark;
    marks.appendChild(m);
  });
  $("rp-play").onclick = () => setPlaying(!D.playing);
  $("rp-prev").onclick = () => { setPlaying(false); seek(D.frame - 1); };
  $("rp-next").onclick = () => { setPlaying(false); seek(D.frame + 1); };
  $("rp-start").onclick = () => { setPlaying(false); seek(0); };
  $("rp-end").onclick = () => { setPlaying(false); seek(D.meta.frames.length - 1); };
  $("rp-next-event").onclick = () => { setPlaying(false); const f = eventFrames().find((x) => x > D.frame); if (f !== undefined) seek(f); };
  $("rp-prev-event").onclick = () => { setPlaying(false); const f = eventFrames().reverse().find((x) => x < D.frame); if (f !== undefined) seek(f); };
  document.addEventListener("keydown", (e) => {
    if (e.target.tagName === "INPUT") return;
    if (e.key === " ") { e.preventDefault(); setPlaying(!D.playing); }
    if (e.key === "ArrowRight") { setPlaying(false); seek(D.frame + 1); }
    if (e.key === "ArrowLeft") { setPlaying(false); seek(D.frame - 1); }
  });
  renderStops();
  await seek(0);
}

D.seek = (i) => seek(i);
D.play = () => setPlaying(true);
D.pause = () => setPlaying(false);

async function main() {
  D.kinds = await (await fetch("/api/kinds")).json();
  renderCats();
  $("ev-search").oninput = renderEvents;
  $("ev-noise").onchange = renderEvents;
  $("slots").addEventListener("mousemove", slotTip);
  $("slots").addEventListener("mouseleave", () => { $("slot-tip").hidden = true; });
  document.querySelector("#nodes tbody").addEventListener("click", doAction);
  const st = await (await fetch("/api/state")).json();
  D.mode = st.mode;
  $("mode").textContent = st.mode === "live" ? "LIVE" : "REPLAY";
  $("mode").className = "badge " + st.mode;
  if (st.mode === "live") {
    $("title").textContent = st.title;
    pollLive();
  } else {
    await startReplay();
  }
}

main();
