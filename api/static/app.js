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
  const message = $("message");
  const summary = $("summary");
  const results = $("results");
  const more = $("more");

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
    showSummary("");
  }

  // ---------- state <-> URL <-> form ----------

  // A state is {mode: "search"|"similar"|"paste", q, similar, text, year_min, year_max}; years are strings ("" = none).
  function stateFromUrl() {
    const params = new URLSearchParams(window.location.search);
    const saved = window.history.state || {};
    const state = {
      mode: "search",
      q: params.get("q") || "",
      similar: params.get("similar") || "",
      text: "",
      year_min: (params.get("year_min") || "").trim(),
      year_max: (params.get("year_max") || "").trim(),
    };
    if (state.similar) state.mode = "similar";
    else if (params.get("paste")) {
      state.mode = "paste";
      state.text = typeof saved.text === "string" ? saved.text : "";
    }
    return state;
  }

  function urlFor(state) {
    const params = new URLSearchParams();
    if (state.mode === "similar") params.set("similar", state.similar);
    else if (state.mode === "paste") params.set("paste", "1");
    else params.set("q", state.q);
    if (state.year_min) params.set("year_min", state.year_min);
    if (state.year_max) params.set("year_max", state.year_max);
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

  function stateToForm(state) {
    yearMin.value = state.year_min;
    yearMax.value = state.year_max;
    if (state.mode === "paste") {
      setPasteMode(true);
      pasteText.value = state.text;
    } else {
      setPasteMode(false);
      if (state.mode === "search") qInput.value = state.q;
    }
  }

  function stateFromForm() {
    return {
      mode: pasteMode ? "paste" : "search",
      q: qInput.value.trim(),
      similar: "",
      text: pasteText.value.trim(),
      year_min: yearMin.value.trim(),
      year_max: yearMax.value.trim(),
    };
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
    if (state.mode === "search" && !state.q) return "Type a question to search, for example “papers on LLM judges”.";
    if (state.mode === "paste" && !state.text) return "Paste an abstract to find related papers.";
    if (state.mode === "similar" && !state.similar) return "No paper was given to find similar papers for.";
    return yearProblem(state);
  }

  function yearsPhrase(state) {
    if (state.year_min && state.year_max) return ` from ${state.year_min} to ${state.year_max}`;
    if (state.year_min) return ` from ${state.year_min} on`;
    if (state.year_max) return ` up to ${state.year_max}`;
    return "";
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

  function requestFor(state, offset, signal) {
    const years = {};
    if (state.year_min) years.year_min = Number(state.year_min);
    if (state.year_max) years.year_max = Number(state.year_max);
    if (state.mode === "paste") {
      return api("/similar", {
        method: "POST",
        headers: { "Content-Type": "application/json", Accept: "application/json" },
        body: JSON.stringify({ text: state.text, k: PAGE_SIZE, offset: offset, ...years }),
        signal: signal,
      });
    }
    const params = new URLSearchParams();
    if (state.mode === "search") params.set("q", state.q);
    params.set("k", String(PAGE_SIZE));
    params.set("offset", String(offset));
    for (const [key, value] of Object.entries(years)) params.set(key, String(value));
    const path = state.mode === "similar" ? paperPath(state.similar) + "/similar" : "/search";
    return api(path + "?" + params.toString(), { headers: { Accept: "application/json" }, signal: signal });
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

  function renderHit(hit) {
    const item = el("li", "result");
    item.dataset.id = String(hit.id);

    const heading = el("h2", "title");
    if (isWebLink(hit.url)) {  // only web links: never a javascript: or data: address
      const link = el("a", "paper-link", hit.title || "(untitled)");
      link.href = hit.url;
      link.target = "_blank";
      link.rel = "noopener noreferrer";
      heading.appendChild(link);
    } else {
      heading.textContent = hit.title || "(untitled)";
    }
    item.appendChild(heading);

    const meta = el("div", "meta");
    meta.appendChild(el("span", "authors", authorsText(hit.authors)));
    meta.appendChild(el("span", "year", hit.year === null || hit.year === undefined ? "year unknown" : hit.year));
    const score = el("span", "score", Number(hit.score).toFixed(3));
    score.title = "similarity score";
    meta.appendChild(score);
    item.appendChild(meta);

    const snippet = el("p", "snippet");
    fillSnippet(snippet, hit.snippet, hit.highlights);
    item.appendChild(snippet);

    const actions = el("div", "actions");
    const similar = el("a", "similar", "Similar papers");
    const target = () => ({ mode: "similar", q: "", similar: String(hit.id), text: "",
                            year_min: yearMin.value.trim(), year_max: yearMax.value.trim() });
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
    abstractButton.addEventListener("click", () => toggleAbstract(abstractButton, item, String(hit.id)));
    actions.appendChild(abstractButton);

    item.appendChild(actions);
    return item;
  }

  function describe(state, data) {
    if (state.mode === "similar") return `papers similar to “${data.query}”`;
    if (state.mode === "paste") return "papers related to the pasted abstract";
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
    if (!shown) {
      const what = state.mode === "search" ? `“${data.query || state.q}”` : describe(state, data);
      const why = data.note ? ` (${String(data.note)})` : "";  // the server says which filter matched nothing
      showMessage(`No papers match ${what}${yearsPhrase(state)}${why}. Try other words or a wider year range.`, false);
      showSummary("");
    } else {
      clearMessage();
      const label = state.mode === "search" ? `results for ${describe(state, data)}` : describe(state, data);
      const took = typeof data.took_ms === "number" ? ` · ${Math.round(data.took_ms)} ms` : "";
      showSummary(`${shown} ${label}${yearsPhrase(state)}${took}`);
    }
    more.hidden = !(hits.length === PAGE_SIZE && shown < current.total);
  }

  // ---------- running a view ----------

  function titleFor(state) {
    if (state.mode === "search") return `${state.q} · abstract-search`;
    if (state.mode === "similar") return "Similar papers · abstract-search";
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
      const saved = state.mode === "paste" ? { text: state.text } : {};
      if (url !== window.location.pathname + window.location.search || state.mode === "paste") {
        window.history.pushState(saved, "", url);
      } else {
        window.history.replaceState(saved, "", url);
      }
    }
    if (state.mode === "similar") {
      yearMin.value = state.year_min;
      yearMax.value = state.year_max;
    }
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
    const hasView = (state.mode === "search" && state.q) || state.mode === "similar" ||
                    (state.mode === "paste" && state.text);
    if (hasView) {
      run(state, false);
    } else {
      if (controller) controller.abort();
      clearResults();
      clearMessage();
      document.title = "abstract-search";
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

  window.addEventListener("popstate", showFromUrl);

  showFromUrl();
})();
