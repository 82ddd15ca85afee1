// 血缘关系浏览 / lineage explorer: token prompt, resource search, drawing, expansion, controls.

import { ApiError, LINEAGE_QUERY, ME_QUERY, SEARCH_QUERY, forgetToken, getToken, gql, setToken } from "./lineage-api.js";
import { KINDS, LineageModel, edgeTypeLabel, flowEnds, kindOf, render, shanghaiTime } from "./lineage-graph.js";

const $ = (id) => document.getElementById(id);

const ui = {
  tokenPanel: $("token-panel"),
  tokenForm: $("token-form"),
  tokenInput: $("token-input"),
  tokenError: $("token-error"),
  explorer: $("explorer"),
  who: $("who"),
  whoText: $("who-text"),
  forget: $("token-forget"),
  search: $("search-input"),
  results: $("search-results"),
  direction: $("direction"),
  depth: $("depth"),
  asOf: $("as-of"),
  status: $("status"),
  truncated: $("truncated"),
  problem: $("problem"),
  graph: $("graph"),
  legend: $("legend"),
  details: $("details-body"),
};

const state = {
  rootId: null,
  model: null,
  selectedId: null,
  busyId: null,
  generation: 0,
  searchAbort: null,
  searchTimer: 0,
  results: [],
  active: -1,
  truncations: [],
};

function h(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === "class") node.className = v;
    else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
    else node.setAttribute(k, v === true ? "" : String(v));
  }
  for (const c of children.flat()) if (c !== null && c !== undefined && c !== false) node.append(c);
  return node;
}

function bilingual(zh, en) {
  return [zh, " ", h("span", { class: "en" }, en)];
}

// ---- messages -------------------------------------------------------------------------------

function setStatus(zh, en = "") {
  ui.status.replaceChildren(...(zh ? bilingual(zh, en) : []));
}

function showProblem(err) {
  if (!err) {
    ui.problem.hidden = true;
    ui.problem.replaceChildren();
    return;
  }
  const zh = err.zh || err.message || "出错了";
  const en = err.en || "";
  ui.problem.replaceChildren(...bilingual(zh, en), err.code ? h("code", { class: "code" }, err.code) : "");
  ui.problem.hidden = false;
}

function showTruncation() {
  const limits = state.truncations;
  if (!limits.length) {
    ui.truncated.hidden = true;
    return;
  }
  const limit = Math.max(...limits);
  ui.truncated.replaceChildren(
    ...bilingual(
      `结果已达到上限（${limit}）并被截断，图中并非全部血缘；可减少层数，或点击节点逐个展开。`,
      `The answer was truncated at the limit (${limit}); not all lineage is shown. Lower the depth or expand nodes one at a time.`,
    ),
  );
  ui.truncated.hidden = false;
}

function handleFailure(err) {
  if (err && err.name === "AbortError") return;
  if (err instanceof ApiError && err.unauthenticated) {
    askForToken(err);
    return;
  }
  showProblem(err instanceof ApiError ? err : new ApiError("页面出错", String(err)));
  setStatus("");
}

// ---- token ----------------------------------------------------------------------------------

function askForToken(err = null) {
  forgetToken();
  state.generation += 1;
  ui.explorer.hidden = true;
  ui.who.hidden = true;
  ui.tokenPanel.hidden = false;
  ui.tokenInput.value = "";
  if (err) {
    ui.tokenError.replaceChildren(...bilingual(err.zh, err.en));
    ui.tokenError.hidden = false;
  } else {
    ui.tokenError.hidden = true;
  }
  ui.tokenInput.focus();
}

async function enterExplorer() {
  ui.tokenPanel.hidden = true;
  ui.tokenError.hidden = true;
  ui.explorer.hidden = false;
  try {
    const { me } = await gql(ME_QUERY);
    ui.whoText.replaceChildren(`当前身份 Signed in as: ${me.name}（${me.role}）`);
    ui.who.hidden = false;
  } catch (err) {
    handleFailure(err);
    return;
  }
  const wanted = readHash();
  if (wanted.id) {
    state.rootId = wanted.id;
    await loadRoot();
  } else {
    ui.search.focus();
  }
}

ui.tokenForm.addEventListener("submit", (event) => {
  event.preventDefault();
  if (!setToken(ui.tokenInput.value)) return;
  ui.tokenInput.value = "";
  enterExplorer();
});

ui.forget.addEventListener("click", () => {
  state.model = null;
  state.rootId = null;
  ui.graph.replaceChildren();
  ui.details.replaceChildren();
  history.replaceState(null, "", location.pathname + location.search);
  askForToken();
});

// ---- address bar (shareable view, never the token) ------------------------------------------

function readHash() {
  const p = new URLSearchParams(location.hash.slice(1));
  const direction = p.get("direction");
  if (["BOTH", "UPSTREAM", "DOWNSTREAM"].includes(direction)) ui.direction.value = direction;
  const depth = Number(p.get("depth"));
  if (Number.isInteger(depth) && depth >= 1 && depth <= 5) ui.depth.value = String(depth);
  const asOf = p.get("asOf");
  if (asOf && /^\d{4}-\d{2}-\d{2}$/.test(asOf)) ui.asOf.value = asOf;
  return { id: p.get("id") };
}

function writeHash() {
  const p = new URLSearchParams();
  if (state.rootId) p.set("id", state.rootId);
  p.set("direction", ui.direction.value);
  p.set("depth", ui.depth.value);
  if (ui.asOf.value) p.set("asOf", ui.asOf.value);
  history.replaceState(null, "", `#${p.toString()}`);
}

// ---- lineage --------------------------------------------------------------------------------

/** The "as of" date as the end of that day in Asia/Shanghai, or null for now. */
function asOfValue() {
  const day = ui.asOf.value;
  return day ? `${day}T23:59:59+08:00` : null;
}

function asOfText() {
  return ui.asOf.value ? `截至 ${ui.asOf.value} 23:59（北京时间）` : "截至当前";
}

async function fetchLineage(id, depth) {
  const data = await gql(LINEAGE_QUERY, {
    id,
    direction: ui.direction.value,
    depth,
    asOf: asOfValue(),
  });
  const result = data.lineage;
  if (!result) throw new ApiError("没有返回血缘结果", "No lineage was returned", { code: "EMPTY" });
  if (result.__typename !== "LineageGraph") {
    throw new ApiError(result.message, result.messageEn, { code: result.code || result.__typename });
  }
  return result;
}

async function loadRoot() {
  if (!state.rootId) return;
  const generation = ++state.generation;
  state.busyId = null;
  showProblem(null);
  setStatus("正在加载血缘……", "Loading lineage…");
  ui.graph.setAttribute("aria-busy", "true");
  ui.graph.dataset.state = "loading";
  writeHash();
  try {
    const graph = await fetchLineage(state.rootId, Number(ui.depth.value));
    if (generation !== state.generation) return;
    const model = new LineageModel();
    model.merge(graph, ui.direction.value);
    state.model = model;
    state.rootId = graph.root.id;
    state.selectedId = graph.root.id;
    state.truncations = graph.truncated ? [graph.limit] : [];
    const root = model.nodes.get(graph.root.id);
    ui.search.value = root.name;
    Object.assign(ui.graph.dataset, {
      state: "ready",
      depth: ui.depth.value,
      direction: ui.direction.value,
      asOf: ui.asOf.value,
    });
    draw({ scrollToRoot: true });
    setStatus(
      `${root.name}：${model.nodes.size} 个节点、${model.edges.size} 条关系（${asOfText()}；查询于 ${shanghaiTime(new Date())}）`,
      `${model.nodes.size} nodes, ${model.edges.size} edges`,
    );
  } catch (err) {
    if (generation === state.generation) {
      ui.graph.dataset.state = "error";
      handleFailure(err);
    }
  } finally {
    if (generation === state.generation) ui.graph.removeAttribute("aria-busy");
  }
}

async function expand(id) {
  const model = state.model;
  if (!model || state.busyId) return;
  const node = model.nodes.get(id);
  const generation = state.generation;
  state.busyId = id;
  ui.graph.dataset.state = "expanding";
  draw();
  showProblem(null);
  setStatus(`正在展开 ${node.name}……`, "Expanding…");
  try {
    const graph = await fetchLineage(id, 1);
    if (generation !== state.generation) return;
    const { addedNodes, addedEdges } = model.merge(graph, ui.direction.value);
    if (graph.truncated) state.truncations.push(graph.limit);
    setStatus(
      addedNodes || addedEdges
        ? `已展开 ${node.name}：新增 ${addedNodes} 个节点、${addedEdges} 条关系`
        : `已展开 ${node.name}：没有新的血缘关系`,
      addedNodes || addedEdges ? `expanded: ${addedNodes} new nodes, ${addedEdges} new edges` : "expanded: nothing new",
    );
  } catch (err) {
    if (generation === state.generation) handleFailure(err);
  } finally {
    if (state.busyId === id) state.busyId = null;
    if (generation === state.generation) {
      ui.graph.dataset.state = "ready";
      draw();
    }
  }
}

function activate(id) {
  state.selectedId = id;
  if (state.model && !state.model.expanded.has(id)) expand(id);
  else draw();
}

function draw({ scrollToRoot = false } = {}) {
  const model = state.model;
  if (!model) return;
  const { positions } = render(ui.graph, model, {
    selectedId: state.selectedId,
    busyId: state.busyId,
    onActivate: activate,
  });
  showTruncation();
  renderDetails();
  if (scrollToRoot) {
    const p = positions.get(model.rootId);
    if (p) {
      ui.graph.scrollLeft = Math.max(0, p.x - ui.graph.clientWidth / 2 + 105);
      ui.graph.scrollTop = Math.max(0, p.y - ui.graph.clientHeight / 2 + 25);
    }
  }
}

function renderDetails() {
  const model = state.model;
  const node = model && model.nodes.get(state.selectedId);
  if (!node) {
    ui.details.replaceChildren(h("p", { class: "muted" }, ...bilingual("点击节点查看详情。", "Click a node.")));
    return;
  }
  const kind = kindOf(node.typename);
  const side = node.layer === 0 ? "起点 root" : node.layer < 0 ? `上游第 ${-node.layer} 层 upstream` : `下游第 ${node.layer} 层 downstream`;
  const rows = model.edgesOf(node.id).map((e) => {
    const [from, to] = flowEnds(e);
    const downstream = from === node.id;
    const other = model.nodes.get(downstream ? to : from);
    return h(
      "li",
      {},
      h("span", { class: "dir", title: downstream ? "流向下游 flows to" : "来自上游 comes from" }, downstream ? "→ 下游" : "← 上游"),
      " ",
      h("b", {}, other ? other.name : "?"),
      " ",
      h("span", { class: "etype", title: e.type }, `${edgeTypeLabel(e.type)}（${e.type}）`),
      e.job ? h("div", { class: "muted" }, `作业 job: ${e.job}`) : "",
      e.since || e.until
        ? h(
            "div",
            { class: "muted" },
            `${e.since ? `自 ${shanghaiTime(e.since)}` : ""}${e.since && e.until ? " " : ""}${e.until ? `至 ${shanghaiTime(e.until)}（已停止 ended）` : ""}`,
          )
        : "",
    );
  });
  ui.details.replaceChildren(
    h("h3", {}, node.name),
    h(
      "dl",
      {},
      h("dt", {}, "类型 Kind"),
      h("dd", {}, `${kind.zh} ${kind.en}`),
      h("dt", {}, "代码 Code"),
      h("dd", {}, h("code", {}, node.code)),
      h("dt", {}, "位置 Position"),
      h("dd", {}, side),
    ),
    h(
      "div",
      { class: "actions" },
      model.expanded.has(node.id)
        ? h("span", { class: "muted" }, "已展开 expanded")
        : h("button", { type: "button", onclick: () => expand(node.id) }, ...bilingual("展开", "Expand")),
      node.id === model.rootId
        ? ""
        : h(
            "button",
            {
              type: "button",
              class: "secondary",
              onclick: () => {
                state.rootId = node.id;
                loadRoot();
              },
            },
            ...bilingual("设为起点", "Make root"),
          ),
    ),
    h("h4", {}, `关系 Edges（${rows.length}）`),
    rows.length ? h("ul", { class: "edge-list" }, rows) : h("p", { class: "muted" }, "暂无 none"),
  );
}

// Changing a control redraws from the root (expansions were made with the old settings).
let controlTimer = 0;
for (const control of [ui.direction, ui.depth, ui.asOf]) {
  control.addEventListener("change", () => {
    clearTimeout(controlTimer);
    // A date being typed fires "change" per complete value (0002-…, 0020-…): wait for a pause.
    controlTimer = setTimeout(
      () => {
        writeHash();
        if (state.rootId) loadRoot();
      },
      control === ui.asOf ? 400 : 0,
    );
  });
}

// ---- search ---------------------------------------------------------------------------------

function closeResults() {
  ui.results.hidden = true;
  ui.search.setAttribute("aria-expanded", "false");
  ui.search.removeAttribute("aria-activedescendant");
  state.active = -1;
}

function highlight(index) {
  state.active = index;
  [...ui.results.children].forEach((li, i) => li.setAttribute("aria-selected", String(i === index)));
  const li = ui.results.children[index];
  if (li && li.id) {
    ui.search.setAttribute("aria-activedescendant", li.id);
    li.scrollIntoView({ block: "nearest" });
  }
}

function showResults(items, text) {
  state.results = items;
  if (!items.length) {
    ui.results.replaceChildren(h("li", { class: "none", role: "option", "aria-disabled": "true" }, `没有找到“${text}” / no match`));
  } else {
    ui.results.replaceChildren(
      ...items.map((item, i) => {
        const kind = kindOf(item.__typename);
        return h(
          "li",
          {
            id: `result-${i}`,
            role: "option",
            "aria-selected": "false",
            class: `result ${kind.cls}`,
            "data-id": item.id,
            "data-kind": item.__typename,
            onmousedown: (event) => event.preventDefault(),
            onclick: () => pick(item),
          },
          h("span", { class: "name" }, item.name),
          h("span", { class: "kind" }, `${kind.zh} ${kind.en}`),
          h("code", {}, item.code),
        );
      }),
    );
  }
  ui.results.hidden = false;
  ui.search.setAttribute("aria-expanded", "true");
}

async function runSearch() {
  const text = ui.search.value.trim();
  if (state.searchAbort) state.searchAbort.abort();
  if (!text) {
    closeResults();
    return;
  }
  const abort = new AbortController();
  state.searchAbort = abort;
  try {
    const data = await gql(SEARCH_QUERY, { text, first: 12 }, { signal: abort.signal });
    if (abort.signal.aborted) return;
    const items = data.search.edges.map((e) => e.node).filter((n) => n && n.id);
    showResults(items, text);
  } catch (err) {
    handleFailure(err);
  }
}

function pick(item) {
  closeResults();
  ui.search.value = item.name;
  state.rootId = item.id;
  loadRoot();
}

ui.search.addEventListener("input", () => {
  clearTimeout(state.searchTimer);
  state.searchTimer = setTimeout(runSearch, 250);
});

ui.search.addEventListener("keydown", (event) => {
  const count = state.results.length;
  if (event.key === "ArrowDown" && count) {
    event.preventDefault();
    if (ui.results.hidden) showResults(state.results, ui.search.value);
    highlight((state.active + 1) % count);
  } else if (event.key === "ArrowUp" && count) {
    event.preventDefault();
    highlight((state.active - 1 + count) % count);
  } else if (event.key === "Enter") {
    event.preventDefault();
    if (!ui.results.hidden && count) pick(state.results[Math.max(0, state.active)]);
    else runSearch();
  } else if (event.key === "Escape") {
    closeResults();
  }
});

ui.search.addEventListener("blur", () => setTimeout(closeResults, 150));

// ---- start ----------------------------------------------------------------------------------

ui.legend.replaceChildren(
  ...Object.values(KINDS).map((k) => h("span", { class: `chip ${k.cls}` }, `${k.zh} ${k.en}`)),
  h("span", { class: "chip root-chip" }, "起点 root"),
  h("span", { class: "chip ended-chip" }, "虚线=已停止 dashed = ended"),
);

if (getToken()) enterExplorer();
else askForToken();
