// The abstract-search page: plain JavaScript, no dependencies.
// Everything that comes from the server is inserted as text (textContent / text nodes), never as HTML.
"use strict";

(function () {
  const PAGE_SIZE = 10;
  const AUTHORS_SHOWN = 3;

  const $ = (id) => document.getElementById(id);
  const form = $("search-form");
  const qInput = $("q");
  const pasteRow = $("paste-row");
  const queryRow = $("query-row");
  const pasteText = $("paste-text");
  const pasteToggle = $("paste-toggle");
  const submitButton = $("submit");
  const yearMin = $("year-min");
  const yearMax = $("year-max");
  const authorInput = $("author");
  const categorySelect = $("category");
  const modeSelect = $("mode");
  const message = $("message");
  const summary = $("summary");
  const caution = $("caution");
  const toolbar = $("toolbar");
  const selection = $("selection");
  const selectedCount = $("selected-count");
  const results = $("results");
  const more = $("more");
  const MAX_EXPORT = 100;  // the most papers one request returns (ABSTRACTS_MAX_K)
  const picked = new Map();  // id -> title of the papers ticked for "More like these"

  let pasteMode = false;
  let controller = null;   // aborts the request in flight when a newer one starts
  let current = null;      // the view on screen: {state, shown, total}

  // ---------- small DOM helpers (text only) ----------

  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  function showMessage(text, isError) {
    message.textContent = text;
    message.classList.toggle("error", Boolean(isError));
    message.hidden = false;
  }

  function clearMessage() {
    message.textContent = "";
    message.classList.remove("error");
    message.hidden = true;
  }

  function showSummary(text) {
    summary.textContent = text;
    summary.hidden = !text;
  }

  function clearResults() {
    results.replaceChildren();
    more.hidden = true;
    toolbar.hidden = true;
    caution.hidden = true;
    showSummary("");
  }

  // ---------- state <-> URL <-> form ----------

  // A state is {view: "search"|"similar"|"paste", q, ids (papers to be like), text (a pasted abstract),
  // year_min, year_max, author, category, mode (retrieval mode)}; every field lives in the URL, so any
  // view can be shared: ?q=..., ?similar=ID&similar=ID, ?paste=TEXT, and the filters beside them.
  const FILTERS = ["year_min", "year_max", "author", "category"];
  const DEFAULT_MODE = "hybrid";

  function stateFromUrl() {
    const params = new URLSearchParams(window.location.search);
    const state = {
      view: "search",
      q: params.get("q") || "",
      ids: params.getAll("similar").filter(Boolean),
      text: "",
      mode: params.get("mode") || DEFAULT_MODE,
    };
    for (const key of FILTERS) state[key] = (params.get(key) || "").trim();
    if (state.ids.length) state.view = "similar";
    else if (params.has("paste")) {
      state.view = "paste";
      state.text = params.get("paste") || "";
    }
    return state;
  }

  function urlFor(state) {
    const params = new URLSearchParams();
    if (state.view === "similar") state.ids.forEach((id) => params.append("similar", id));
    else if (state.view === "paste") params.set("paste", state.text);
    else params.set("q", state.q);
    for (const key of FILTERS) if (state[key]) params.set(key, state[key]);
    if (state.mode && state.mode !== DEFAULT_MODE) params.set("mode", state.mode);
    return "/?" + params.toString();
  }

  function setPasteMode(on) {
    pasteMode = on;
    pasteRow.hidden = !on;
    queryRow.hidden = on;
    pasteToggle.setAttribute("aria-pressed", on ? "true" : "false");
    pasteToggle.textContent = on ? "Search with a question instead" : "Paste an abstract instead";
    submitButton.textContent = on ? "Find related" : "Search";
  }

  function ensureOption(select, value) {
    // A shared URL may name a category or mode before the server's list has come (or one it lacks).
    if (value && ![...select.options].some((o) => o.value === value)) select.appendChild(el("option", "", value));
  }

  function filtersToForm(state) {
    yearMin.value = state.year_min;
    yearMax.value = state.year_max;
    authorInput.value = state.author;
    ensureOption(categorySelect, state.category);
    categorySelect.value = state.category;
    ensureOption(modeSelect, state.mode);
    modeSelect.value = state.mode || DEFAULT_MODE;
  }

  function stateToForm(state) {
    filtersToForm(state);
    if (state.view === "paste") {
      setPasteMode(true);
      pasteText.value = state.text;
    } else {
      setPasteMode(false);
      qInput.value = state.view === "search" ? state.q : "";  // a similar view is no question: the box is empty
    }
  }

  function filtersFromForm() {
    return { year_min: yearMin.value.trim(), year_max: yearMax.value.trim(), author: authorInput.value.trim(),
             category: categorySelect.value, mode: modeSelect.value || DEFAULT_MODE };
  }

  function stateFromForm() {
    return { view: pasteMode ? "paste" : "search", q: qInput.value.trim(), ids: [], text: pasteText.value.trim(),
             ...filtersFromForm() };
  }

  // ---------- checks done before any request ----------

  function yearProblem(state) {
    for (const [name, input, value] of [["From", yearMin, state.year_min], ["To", yearMax, state.year_max]]) {
      if ((input.validity && input.validity.badInput) || (value && !/^\d{1,4}$/.test(value))) {
        return `${name} year must be a whole number, such as 2020.`;
      }
    }
    if (state.year_min && state.year_max && Number(state.year_min) > Number(state.year_max)) {
      return `The "from" year (${state.year_min}) is after the "to" year (${state.year_max}).`;
    }
    return null;
  }

  function problemWith(state) {
    if (state.view === "search" && !state.q) return "Type a question to search, for example “papers on LLM judges”.";
    if (state.view === "paste" && !state.text) return "Paste an abstract to find related papers.";
    if (state.view === "similar" && !state.ids.length) return "No paper was given to find similar papers for.";
    return yearProblem(state);
  }

  function yearsPhrase(state) {
    let phrase = "";
    if (state.year_min && state.year_max) phrase = ` from ${state.year_min} to ${state.year_max}`;
    else if (state.year_min) phrase = ` from ${state.year_min} on`;
    else if (state.year_max) phrase = ` up to ${state.year_max}`;
    if (state.author) phrase += ` by ${state.author}`;
    if (state.category) phrase += ` in ${state.category}`;
    return phrase;
  }

  // ---------- talking to the API ----------

  function detailOf(data) {
    if (!data) return "";
    const detail = data.detail;
    if (typeof detail === "string") return detail;
    if (Array.isArray(detail)) {
      return detail.map((d) => (d && (d.msg || d.message)) || JSON.stringify(d)).join("; ");
    }
    return "";
  }

  async function api(url, options) {
    let response;
    try {
      response = await fetch(url, options);
    } catch (err) {
      if (err && err.name === "AbortError") throw err;
      throw new Error("Could not reach the server. Is it still running?");
    }
    let data = null;
    try {
      data = await response.json();
    } catch (_) {
      data = null;
    }
    if (!response.ok) {
      throw new Error(detailOf(data) || `The server answered ${response.status} ${response.statusText}.`);
    }
    if (!data) throw new Error("The server sent an answer this page cannot read.");
    return data;
  }

  function paperPath(id) {
    return "/papers/" + encodeURIComponent(id);
  }

  function filterValues(state) {
    const values = {};
    if (state.year_min) values.year_min = Number(state.year_min);
    if (state.year_max) values.year_max = Number(state.year_max);
    if (state.author) values.author = state.author;
    if (state.category) values.category = state.category;
    if (state.mode && state.mode !== DEFAULT_MODE) values.mode = state.mode;
    return values;
  }

  // Return [url, fetch options] for a page of a view; `format` other than json asks for a file.
  function requestOf(state, offset, size, format) {
    const values = { ...filterValues(state), k: size, offset: offset, format: format };
    if (state.view === "search") {
      const params = new URLSearchParams({ q: state.q });
      for (const [key, value] of Object.entries(values)) params.set(key, String(value));
      return ["/search?" + params.toString(), { headers: {} }];
    }
    const body = state.view === "paste" ? { text: state.text, ...values } : { ids: state.ids, ...values };
    return ["/similar", { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) }];
  }

  function requestFor(state, offset, signal) {
    const [url, options] = requestOf(state, offset, PAGE_SIZE, "json");
    options.headers.Accept = "application/json";
    return api(url, { ...options, signal: signal });
  }

  async function download(format) {
    if (!current) return;
    const [url, options] = requestOf(current.state, 0, Math.min(current.shown, MAX_EXPORT), format);
    let response;
    try {
      response = await fetch(url, options);
    } catch (_) {
      showMessage("Could not reach the server. Is it still running?", true);
      return;
    }
    if (!response.ok) {
      let data = null;
      try { data = await response.json(); } catch (_) { data = null; }
      showMessage(detailOf(data) || `The server answered ${response.status} ${response.statusText}.`, true);
      return;
    }
    const blob = await response.blob();
    const link = el("a");
    link.href = URL.createObjectURL(blob);
    link.download = "abstract-search" + { bibtex: ".bib", ris: ".ris", csv: ".csv", jsonl: ".jsonl" }[format];
    document.body.appendChild(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(link.href), 10000);
  }

  // ---------- rendering ----------

  function authorsText(authors) {
    const names = Array.isArray(authors) ? authors.map(String) : [];
    if (!names.length) return "Unknown authors";
    const shown = names.slice(0, AUTHORS_SHOWN).join(", ");
    return names.length > AUTHORS_SHOWN ? shown + " et al." : shown;
  }

  // Fill `target` with the snippet, wrapping each [start, end) span in <mark>.
  // Spans count Unicode code points (as the server does), so index an array of code points, not UTF-16 units.
  function fillSnippet(target, snippet, spans) {
    const chars = Array.from(String(snippet || ""));
    const clean = (Array.isArray(spans) ? spans : [])
      .filter((s) => Array.isArray(s) && s.length === 2 && Number.isInteger(s[0]) && Number.isInteger(s[1]))
      .map(([s, e]) => [Math.max(0, s), Math.min(chars.length, e)])
      .filter(([s, e]) => s < e)
      .sort((a, b) => a[0] - b[0] || a[1] - b[1]);
    let pos = 0;
    for (let [start, end] of clean) {
      if (start < pos) start = pos;          // overlapping spans: keep the text once
      if (start >= end) continue;
      if (start > pos) target.appendChild(document.createTextNode(chars.slice(pos, start).join("")));
      const mark = document.createElement("mark");
      mark.textContent = chars.slice(start, end).join("");
      target.appendChild(mark);
      pos = end;
    }
    if (pos < chars.length) target.appendChild(document.createTextNode(chars.slice(pos).join("")));
  }

  function toggleAbstract(button, item, id) {
    const existing = item.querySelector(".abstract");
    if (existing) {
      const open = existing.hidden;
      existing.hidden = !open;
      button.setAttribute("aria-expanded", open ? "true" : "false");
      button.textContent = open ? "Hide abstract" : "Show abstract";
      return;
    }
    button.disabled = true;
    api(paperPath(id), { headers: { Accept: "application/json" } })
      .then((paper) => {
        const box = el("p", "abstract", paper.abstract || "This paper has no abstract.");
        box.id = button.getAttribute("aria-controls");
        item.insertBefore(box, item.querySelector(".actions"));
        button.setAttribute("aria-expanded", "true");
        button.textContent = "Hide abstract";
      })
      .catch((err) => showMessage(err.message, true))
      .finally(() => { button.disabled = false; });
  }

  let itemCounter = 0;

  function isWebLink(address) {
    if (!address) return false;
    try {
      return ["http:", "https:"].includes(new URL(String(address)).protocol);
    } catch (_) {
      return false;
    }
  }

  const LEVEL_WORDS = { strong: "strong match", partial: "partial match", weak: "weak match" };

  function updateSelection() {
    selection.hidden = picked.size === 0;
    selectedCount.textContent = `${picked.size} selected`;
  }

  function renderHit(hit) {
    const item = el("li", "result");
    const id = String(hit.id);
    item.dataset.id = id;

    const heading = el("h2", "title");
    const pick = el("input", "pick");
    pick.type = "checkbox";
    pick.checked = picked.has(id);
    pick.setAttribute("aria-label", `Select “${hit.title || id}” for more like these`);
    pick.addEventListener("change", () => {
      if (pick.checked) picked.set(id, String(hit.title || id));
      else picked.delete(id);
      updateSelection();
    });
    heading.appendChild(pick);
    if (isWebLink(hit.url)) {  // only web links: never a javascript: or data: address
      const link = el("a", "paper-link", hit.title || "(untitled)");
      link.href = hit.url;
      link.target = "_blank";
      link.rel = "noopener noreferrer";
      heading.appendChild(link);
    } else {
      heading.appendChild(el("span", "", hit.title || "(untitled)"));
    }
    item.appendChild(heading);

    const meta = el("div", "meta");
    const level = LEVEL_WORDS[hit.match] ? hit.match : "weak";
    const badge = el("span", "match match-" + level, LEVEL_WORDS[level]);
    badge.title = `cosine ${Number(hit.cosine).toFixed(2)}: how close the paper's meaning is to the query`;
    meta.appendChild(badge);
    meta.appendChild(el("span", "authors", authorsText(hit.authors)));
    meta.appendChild(el("span", "year", hit.year === null || hit.year === undefined ? "year unknown" : hit.year));
    const categories = Array.isArray(hit.categories) ? hit.categories.map(String) : [];
    if (categories.length) meta.appendChild(el("span", "categories", categories.join(" ")));
    const score = el("span", "score", Number(hit.score).toFixed(3));
    score.title = "ranking score of this mode (comparable within one answer only)";
    meta.appendChild(score);
    item.appendChild(meta);

    const snippet = el("p", "snippet");
    fillSnippet(snippet, hit.snippet, hit.highlights);
    item.appendChild(snippet);

    const actions = el("div", "actions");
    const similar = el("a", "similar", "Similar papers");
    const target = () => ({ view: "similar", q: "", ids: [id], text: "", ...filtersFromForm() });
    similar.href = urlFor(target());
    similar.setAttribute("aria-label", `Papers similar to ${hit.title || "this paper"}`);
    similar.addEventListener("click", (event) => {
      if (event.ctrlKey || event.metaKey || event.shiftKey || event.button !== 0) return; // let new tabs open
      event.preventDefault();
      run(target(), true);
    });
    actions.appendChild(similar);

    const abstractButton = el("button", "abstract-toggle", "Show abstract");
    abstractButton.type = "button";
    abstractButton.setAttribute("aria-expanded", "false");
    abstractButton.setAttribute("aria-controls", "abstract-" + (++itemCounter));
    abstractButton.addEventListener("click", () => toggleAbstract(abstractButton, item, id));
    actions.appendChild(abstractButton);

    item.appendChild(actions);
    return item;
  }

  function describe(state, data) {
    if (state.view === "similar") return `papers like “${data.query}”`;
    if (state.view === "paste") return "papers related to the pasted abstract";
    return `“${data.query || state.q}”`;
  }

  function render(state, data, append) {
    const hits = Array.isArray(data.results) ? data.results : [];
    if (!append) results.replaceChildren();
    const fragment = document.createDocumentFragment();
    hits.forEach((hit) => fragment.appendChild(renderHit(hit)));
    results.appendChild(fragment);

    const shown = results.children.length;
    current = { state: state, shown: shown, total: Number(data.total) || 0 };
    if (!append) {
      caution.textContent = data.caution ? `No strong match in the index: these are the closest papers.` : "";
      caution.hidden = !data.caution;
    }
    if (!shown) {
      const what = state.view === "search" ? `“${data.query || state.q}”` : describe(state, data);
      const why = data.note ? ` (${String(data.note)})` : "";  // the server says which filter matched nothing
      showMessage(`No papers match ${what}${yearsPhrase(state)}${why}. Try other words or wider filters.`, false);
      showSummary("");
    } else {
      clearMessage();
      const label = state.view === "search" ? `results for ${describe(state, data)}` : describe(state, data);
      const took = typeof data.took_ms === "number" ? ` · ${Math.round(data.took_ms)} ms` : "";
      showSummary(`${shown} ${label}${yearsPhrase(state)} · ${current.total} papers pass the filters${took}`);
    }
    toolbar.hidden = !shown;
    more.hidden = !data.more;  // the server says when a next page is worth it: within the offset limit, still matching
  }

  // ---------- running a view ----------

  function titleFor(state) {
    if (state.view === "search") return `${state.q} · abstract-search`;
    if (state.view === "similar") return "Similar papers · abstract-search";
    return "Related papers · abstract-search";
  }

  async function run(state, push) {
    const problem = problemWith(state);
    if (problem) {
      if (controller) controller.abort();
      clearResults();
      showMessage(problem, true);
      return;
    }
    if (push) {
      const url = urlFor(state);
      if (url !== window.location.pathname + window.location.search) window.history.pushState({}, "", url);
      else window.history.replaceState({}, "", url);
    }
    if (state.view === "similar") stateToForm(state);
    document.title = titleFor(state);
    await load(state, 0, false);
  }

  async function load(state, offset, append) {
    if (controller) controller.abort();
    controller = new AbortController();
    const mine = controller;
    document.body.classList.add("loading");
    document.body.setAttribute("aria-busy", "true");
    try {
      const data = await requestFor(state, offset, mine.signal);
      if (mine !== controller) return;
      render(state, data, append);
    } catch (err) {
      if (mine !== controller || (err && err.name === "AbortError")) return;
      if (!append) clearResults();
      showMessage(err.message || String(err), true);
    } finally {
      if (mine === controller) {
        document.body.classList.remove("loading");
        document.body.removeAttribute("aria-busy");
      }
    }
  }

  function showFromUrl() {
    const state = stateFromUrl();
    stateToForm(state);
    const hasView = (state.view === "search" && state.q) || state.view === "similar" ||
                    (state.view === "paste" && state.text);
    if (hasView) {
      run(state, false);
    } else {
      if (controller) controller.abort();
      clearResults();
      clearMessage();
      document.title = "abstract-search";
    }
  }

  // The index's own categories and the modes this server runs, for the filter menus.
  async function loadChoices() {
    try {
      const stats = await api("/stats", { headers: { Accept: "application/json" } });
      const chosenCategory = categorySelect.value;
      const chosenMode = modeSelect.value;
      for (const entry of Array.isArray(stats.categories) ? stats.categories : []) {
        const name = String(entry.category);
        if (![...categorySelect.options].some((o) => o.value === name)) {
          const option = el("option", "", `${name} (${Number(entry.papers)})`);
          option.value = name;
          categorySelect.appendChild(option);
        }
      }
      if (Array.isArray(stats.modes)) {
        modeSelect.replaceChildren(...stats.modes.map((m) => { const o = el("option", "", m); o.value = m; return o; }));
        ensureOption(modeSelect, chosenMode);
      }
      categorySelect.value = chosenCategory;
      modeSelect.value = chosenMode || DEFAULT_MODE;
    } catch (_) {
      // the menus keep their defaults: the search itself still works
    }
  }

  // ---------- wiring ----------

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    run(stateFromForm(), true);
  });

  pasteToggle.addEventListener("click", () => {
    setPasteMode(!pasteMode);
    clearMessage();
    (pasteMode ? pasteText : qInput).focus();
  });

  pasteText.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
      event.preventDefault();
      form.requestSubmit ? form.requestSubmit() : run(stateFromForm(), true);
    }
  });

  more.addEventListener("click", () => {
    if (current) load(current.state, current.shown, true);
  });

  for (const button of document.querySelectorAll(".export-as")) {
    button.addEventListener("click", () => download(button.dataset.format));
  }

  $("more-like").addEventListener("click", () => {
    const ids = [...picked.keys()];
    picked.clear();
    updateSelection();
    run({ view: "similar", q: "", ids: ids, text: "", ...filtersFromForm() }, true);
  });

  $("clear-selection").addEventListener("click", () => {
    picked.clear();
    updateSelection();
    for (const box of results.querySelectorAll(".pick")) box.checked = false;
  });

  window.addEventListener("popstate", showFromUrl);

  loadChoices();
  showFromUrl();
})();
