// The lineage drawing: a model that merges answers, a layered left-to-right layout, plain SVG.
//
// Layers are signed: upstream (sources) to the left of the root, downstream to the right.
// An expanded node's new neighbours are placed relative to that node's own layer, so the
// picture grows outwards without moving what the user already saw.

const SVG_NS = "http://www.w3.org/2000/svg";

export const KINDS = {
  Dataset: { zh: "信息资源", en: "Dataset", cls: "k-dataset" },
  System: { zh: "应用系统", en: "System", cls: "k-system" },
  CertificateType: { zh: "证照类型", en: "Certificate type", cls: "k-certificate" },
  Matter: { zh: "政务服务事项", en: "Matter", cls: "k-matter" },
  DataElement: { zh: "数据元", en: "Data element", cls: "k-element" },
  Department: { zh: "部门", en: "Department", cls: "k-department" },
  Component: { zh: "公共组件", en: "Component", cls: "k-component" },
  OneThing: { zh: "一件事", en: "One thing", cls: "k-onething" },
};

export const EDGE_TYPES = {
  DERIVED_FROM: "派生",
  PRODUCES: "产生",
  USES: "使用",
  OWNS: "拥有",
  BINDS: "绑定数据元",
  AUTHORITATIVE_SOURCE: "权威来源",
  ISSUES: "颁发",
  ISSUED_FROM: "出证来源",
  COLLECTS: "采集",
  PREFILLED_FROM: "预填来源",
  REQUIRES_MATERIAL: "所需材料",
  INCLUDES: "包含",
  FIELD_LINEAGE: "字段血缘",
};

// Relations stored from the consumer to its provider (a dataset DERIVED_FROM its source, a
// licence type ISSUED_FROM a dataset, a matter's form PREFILLED_FROM a dataset, a matter that
// REQUIRES_MATERIAL a licence, a data element's AUTHORITATIVE_SOURCE). Data flows the other
// way, and arrows are drawn the way data flows: from upstream to downstream.
const AGAINST_FLOW = new Set([
  "DERIVED_FROM",
  "ISSUED_FROM",
  "PREFILLED_FROM",
  "REQUIRES_MATERIAL",
  "AUTHORITATIVE_SOURCE",
]);

/** [upstream id, downstream id] of an edge: where its data comes from and goes to. */
export function flowEnds(edge) {
  return AGAINST_FLOW.has(edge.type) ? [edge.targetId, edge.sourceId] : [edge.sourceId, edge.targetId];
}

export function kindOf(typename) {
  return KINDS[typename] || { zh: typename || "未知", en: typename || "Unknown", cls: "k-other" };
}

export function edgeTypeLabel(type) {
  return EDGE_TYPES[type] || type;
}

const SHANGHAI = new Intl.DateTimeFormat("zh-CN", {
  timeZone: "Asia/Shanghai",
  year: "numeric",
  month: "2-digit",
  day: "2-digit",
  hour: "2-digit",
  minute: "2-digit",
  hourCycle: "h23",
});

/** An RFC 3339 time as "YYYY-MM-DD HH:mm" in Asia/Shanghai; "" for none. */
export function shanghaiTime(value) {
  if (!value) return "";
  const when = value instanceof Date ? value : new Date(value);
  if (Number.isNaN(when.getTime())) return String(value);
  const part = Object.fromEntries(SHANGHAI.formatToParts(when).map((p) => [p.type, p.value]));
  return `${part.year}-${part.month}-${part.day} ${part.hour}:${part.minute}`;
}

/**
 * Signed depth of every node of one answer: negative upstream, positive downstream (the
 * server signs depths; a one-way answer's unsigned depths are signed by its direction).
 */
function signedDepths(graph, direction) {
  const out = new Map([[graph.root.id, 0]]);
  for (const { node, depth } of graph.nodes) {
    if (!node || node.id === graph.root.id) continue;
    let signed = depth;
    if (direction === "UPSTREAM") signed = -Math.abs(depth);
    else if (direction === "DOWNSTREAM") signed = Math.abs(depth);
    out.set(node.id, signed === 0 ? 1 : signed);
  }
  return out;
}

/** What the page has drawn so far: nodes with layers, edges, which nodes were expanded. */
export class LineageModel {
  constructor() {
    this.nodes = new Map();
    this.edges = new Map();
    this.expanded = new Set();
    this.rootId = null;
  }

  /** Merge one `LineageGraph` answer; returns how many nodes and edges were new. */
  merge(graph, direction) {
    const anchor = graph.root;
    if (this.rootId === null) this.rootId = anchor.id;
    const anchorLayer = this.nodes.has(anchor.id) ? this.nodes.get(anchor.id).layer : 0;
    const layers = signedDepths(graph, direction);
    let addedNodes = 0;
    const all = [{ node: anchor, depth: 0 }, ...graph.nodes];
    for (const { node, depth } of all) {
      if (!node || this.nodes.has(node.id)) continue;
      this.nodes.set(node.id, {
        id: node.id,
        typename: node.__typename,
        code: node.code || "",
        name: node.name || node.code || node.id,
        depth,
        layer: anchorLayer + (layers.get(node.id) ?? depth),
      });
      addedNodes += 1;
    }
    let addedEdges = 0;
    for (const e of graph.edges) {
      if (!this.nodes.has(e.sourceId) || !this.nodes.has(e.targetId)) continue;
      const key = [e.sourceId, e.targetId, e.type, e.job || "", e.since || "", e.until || ""].join("|");
      if (this.edges.has(key)) continue;
      this.edges.set(key, { ...e });
      addedEdges += 1;
    }
    this.expanded.add(anchor.id);
    return { addedNodes, addedEdges };
  }

  edgesOf(id) {
    return [...this.edges.values()].filter((e) => e.sourceId === id || e.targetId === id);
  }
}

// Geometry (px).
const NODE_W = 210;
const NODE_H = 50;
const COL_GAP = 130;
const ROW_GAP = 16;
const MARGIN = 24;
const HEADER = 30;

const KIND_ORDER = Object.keys(KINDS);

function textWidth(text, size) {
  let w = 0;
  for (const ch of text) w += /[\u2e80-\uffff]/.test(ch) ? size : size * 0.58;
  return w;
}

function fit(text, size, width) {
  if (textWidth(text, size) <= width) return text;
  let out = "";
  for (const ch of text) {
    if (textWidth(`${out}${ch}…`, size) > width) break;
    out += ch;
  }
  return `${out}…`;
}

/** Columns by layer, each ordered by the barycenter of its neighbours to cut crossings. */
export function layout(model) {
  const columns = new Map();
  for (const n of model.nodes.values()) {
    if (!columns.has(n.layer)) columns.set(n.layer, []);
    columns.get(n.layer).push(n);
  }
  const layers = [...columns.keys()].sort((a, b) => a - b);
  for (const col of columns.values()) {
    col.sort(
      (a, b) =>
        KIND_ORDER.indexOf(a.typename) - KIND_ORDER.indexOf(b.typename) ||
        a.name.localeCompare(b.name, "zh-CN") ||
        a.id.localeCompare(b.id),
    );
  }
  const neighbours = new Map([...model.nodes.keys()].map((id) => [id, new Set()]));
  for (const e of model.edges.values()) {
    neighbours.get(e.sourceId)?.add(e.targetId);
    neighbours.get(e.targetId)?.add(e.sourceId);
  }
  const index = new Map();
  const reindex = () => {
    for (const col of columns.values()) col.forEach((n, i) => index.set(n.id, i));
  };
  reindex();
  const sweep = (order, side) => {
    for (const layer of order) {
      const col = columns.get(layer);
      const score = new Map();
      for (const n of col) {
        const ranks = [...neighbours.get(n.id)]
          .map((id) => model.nodes.get(id))
          .filter((m) => m && (side < 0 ? m.layer < layer : m.layer > layer))
          .map((m) => index.get(m.id));
        score.set(n.id, ranks.length ? ranks.reduce((a, b) => a + b, 0) / ranks.length : index.get(n.id));
      }
      col.sort((a, b) => score.get(a.id) - score.get(b.id) || index.get(a.id) - index.get(b.id));
      col.forEach((n, i) => index.set(n.id, i));
    }
  };
  for (let round = 0; round < 4; round += 1) {
    sweep(layers, -1);
    sweep([...layers].reverse(), 1);
  }
  const tallest = Math.max(1, ...[...columns.values()].map((c) => c.length));
  const positions = new Map();
  const minLayer = layers.length ? layers[0] : 0;
  for (const layer of layers) {
    const col = columns.get(layer);
    const offset = ((tallest - col.length) * (NODE_H + ROW_GAP)) / 2;
    col.forEach((n, i) => {
      positions.set(n.id, {
        x: MARGIN + (layer - minLayer) * (NODE_W + COL_GAP),
        y: MARGIN + HEADER + offset + i * (NODE_H + ROW_GAP),
      });
    });
  }
  return {
    positions,
    layers,
    minLayer,
    width: MARGIN * 2 + Math.max(1, layers.length) * NODE_W + Math.max(0, layers.length - 1) * COL_GAP,
    height: MARGIN * 2 + HEADER + tallest * (NODE_H + ROW_GAP) - ROW_GAP,
  };
}

function el(name, attrs = {}, text) {
  const node = document.createElementNS(SVG_NS, name);
  for (const [k, v] of Object.entries(attrs)) if (v !== undefined && v !== null) node.setAttribute(k, String(v));
  if (text !== undefined) node.textContent = text;
  return node;
}

function layerTitle(layer) {
  if (layer === 0) return "起点 Root";
  return layer < 0 ? `上游 ${-layer} · Upstream` : `下游 ${layer} · Downstream`;
}

function bezierAt([x0, y0, x1, y1, x2, y2, x3, y3], t) {
  const u = 1 - t;
  const w = [u * u * u, 3 * u * u * t, 3 * u * t * t, t * t * t];
  return { x: w[0] * x0 + w[1] * x1 + w[2] * x2 + w[3] * x3, y: w[0] * y0 + w[1] * y1 + w[2] * y2 + w[3] * y3 };
}

/** The curve from node box `a` to `b`; `toward` (0..1) says where along it the label sits. */
function edgeCurve(a, b, la, lb, toward) {
  const ay = a.y + NODE_H / 2;
  const by = b.y + NODE_H / 2;
  let pts;
  if (la !== lb) {
    const x1 = la < lb ? a.x + NODE_W : a.x;
    const x2 = la < lb ? b.x : b.x + NODE_W;
    const c = (x2 - x1) / 2;
    pts = [x1, ay, x1 + c, ay, x2 - c, by, x2, by];
  } else {
    // Same column: a loop out to the right.
    const x = a.x + NODE_W;
    const bulge = 40 + Math.min(60, Math.abs(by - ay) / 4);
    pts = [x, ay, x + bulge, ay, x + bulge, by, x, by];
  }
  const [x0, y0, x1, y1, x2, y2, x3, y3] = pts;
  const mid = bezierAt(pts, toward);
  return { d: `M${x0},${y0} C${x1},${y1} ${x2},${y2} ${x3},${y3}`, mx: mid.x, my: mid.y };
}

function edgeTooltip(model, edges) {
  return edges
    .map((e) => {
      const from = model.nodes.get(e.sourceId)?.name ?? e.sourceId;
      const to = model.nodes.get(e.targetId)?.name ?? e.targetId;
      const when = [e.since && `自 since ${shanghaiTime(e.since)}`, e.until && `至 until ${shanghaiTime(e.until)}`]
        .filter(Boolean)
        .join("，");
      const job = e.job ? `，作业 job ${e.job}` : "";
      return `${from} → ${to}：${edgeTypeLabel(e.type)}（${e.type}）${job}${when ? `，${when}` : ""}`;
    })
    .join("\n");
}

/**
 * Draw `model` into `container` (replacing what was there).
 * `onActivate(id)` runs when a node is clicked or activated with Enter / Space.
 */
export function render(container, model, { selectedId = null, busyId = null, onActivate } = {}) {
  const { positions, layers, minLayer, width, height } = layout(model);
  const svg = el("svg", {
    xmlns: SVG_NS,
    class: "lineage",
    width,
    height,
    viewBox: `0 0 ${width} ${height}`,
    role: "group",
    "aria-label": `血缘图：${model.nodes.size} 个节点，${model.edges.size} 条关系 / lineage graph`,
    "data-nodes": model.nodes.size,
    "data-edges": model.edges.size,
  });
  const defs = el("defs");
  const marker = el("marker", {
    id: "arrow",
    viewBox: "0 0 10 10",
    refX: 9,
    refY: 5,
    markerWidth: 7,
    markerHeight: 7,
    orient: "auto-start-reverse",
  });
  marker.append(el("path", { d: "M0,0 L10,5 L0,10 z", class: "arrowhead" }));
  defs.append(marker);
  svg.append(defs);

  const headers = el("g", { class: "layers" });
  for (const layer of layers) {
    const x = MARGIN + (layer - minLayer) * (NODE_W + COL_GAP) + NODE_W / 2;
    headers.append(el("text", { x, y: MARGIN + 8, class: `layer-title${layer === 0 ? " zero" : ""}`, "text-anchor": "middle" }, layerTitle(layer)));
  }
  svg.append(headers);

  // One curve per (upstream, downstream) pair, drawn the way data flows.
  const pairs = new Map();
  const degree = new Map();
  for (const e of model.edges.values()) {
    const [from, to] = flowEnds(e);
    const key = `${from}|${to}`;
    if (!pairs.has(key)) pairs.set(key, { from, to, edges: [] });
    pairs.get(key).edges.push(e);
  }
  for (const { from, to } of pairs.values()) {
    degree.set(from, (degree.get(from) || 0) + 1);
    degree.set(to, (degree.get(to) || 0) + 1);
  }
  const edgeLayer = el("g", { class: "edges" });
  const labelLayer = el("g", { class: "edge-labels" });
  for (const { from, to, edges } of pairs.values()) {
    const a = positions.get(from);
    const b = positions.get(to);
    if (!a || !b) continue;
    // Labels sit near the end with fewer edges, so a fan of edges keeps its labels apart.
    const toward = (degree.get(from) || 0) > (degree.get(to) || 0) ? 0.75 : 0.25;
    const { d, mx, my } = edgeCurve(a, b, model.nodes.get(from).layer, model.nodes.get(to).layer, toward);
    const types = [...new Set(edges.map((e) => e.type))];
    const ended = edges.every((e) => e.until);
    const touchesSelected = selectedId && (from === selectedId || to === selectedId);
    const g = el("g", {
      class: `edge${ended ? " ended" : ""}${touchesSelected ? " hot" : ""}`,
      "data-from": from,
      "data-to": to,
      "data-types": types.join(" "),
    });
    g.append(el("title", {}, edgeTooltip(model, edges)));
    g.append(el("path", { d, "marker-end": "url(#arrow)" }));
    edgeLayer.append(g);
    const label = types.map(edgeTypeLabel).join("、");
    const w = textWidth(label, 11) + 8;
    const lg = el("g", { class: `edge-label${touchesSelected ? " hot" : ""}`, transform: `translate(${mx},${my})` });
    lg.append(el("title", {}, edgeTooltip(model, edges)));
    lg.append(el("rect", { x: -w / 2, y: -8, width: w, height: 16, rx: 3 }));
    lg.append(el("text", { x: 0, y: 4, "text-anchor": "middle" }, label));
    labelLayer.append(lg);
  }
  svg.append(edgeLayer, labelLayer);

  const nodeLayer = el("g", { class: "nodes" });
  for (const n of model.nodes.values()) {
    const p = positions.get(n.id);
    const kind = kindOf(n.typename);
    const classes = ["node", kind.cls];
    if (n.id === model.rootId) classes.push("root");
    if (model.expanded.has(n.id)) classes.push("expanded");
    if (n.id === selectedId) classes.push("selected");
    if (n.id === busyId) classes.push("busy");
    const g = el("g", {
      class: classes.join(" "),
      transform: `translate(${p.x},${p.y})`,
      tabindex: 0,
      role: "button",
      "data-id": n.id,
      "data-kind": n.typename,
      "data-code": n.code,
      "data-name": n.name,
      "data-layer": n.layer,
      "aria-label": `${n.name}（${kind.zh} ${kind.en}，${n.code}）${model.expanded.has(n.id) ? "已展开" : "点击展开"}`,
    });
    g.append(el("title", {}, `${n.name}\n${kind.zh} ${kind.en} · ${n.code}\n${model.expanded.has(n.id) ? "已展开 expanded" : "点击展开 click to expand"}`));
    g.append(el("rect", { width: NODE_W, height: NODE_H, rx: 7, class: "box" }));
    g.append(el("rect", { width: 6, height: NODE_H, rx: 3, class: "stripe" }));
    g.append(el("text", { x: 14, y: 21, class: "name" }, fit(n.name, 14, NODE_W - 40)));
    g.append(el("text", { x: 14, y: 39, class: "meta" }, fit(`${kind.zh} · ${n.code}`, 11, NODE_W - 24)));
    g.append(el("text", { x: NODE_W - 10, y: 21, class: "mark", "text-anchor": "end" }, n.id === busyId ? "…" : model.expanded.has(n.id) ? "" : "＋"));
    const activate = (event) => {
      event.preventDefault();
      if (onActivate) onActivate(n.id);
    };
    g.addEventListener("click", activate);
    g.addEventListener("keydown", (event) => {
      if (event.key === "Enter" || event.key === " ") activate(event);
    });
    nodeLayer.append(g);
  }
  svg.append(nodeLayer);
  container.replaceChildren(svg);
  return { svg, positions };
}
