// autocode review: the card, the keys and the calls to the server. Plain JS, no build step.
// Transcript text is only ever inserted with textContent, never as HTML.
"use strict";

(function () {
  const $ = (id) => document.getElementById(id);
  const state = { view: null, busy: false, searchIndex: 0, searchHits: [] };
  // Timings for benchmarks/review_speed.py: keydown -> the frame after the next card is in the DOM.
  const timings = (window.__autocodeTimings = []);
  window.__autocodeRenders = 0;

  function el(tag, text, className) {
    const node = document.createElement(tag);
    if (text !== undefined && text !== null) node.textContent = String(text);
    if (className) node.className = className;
    return node;
  }

  function clear(node) {
    while (node.firstChild) node.removeChild(node.firstChild);
  }

  function uuid() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    const bytes = crypto.getRandomValues(new Uint8Array(16));
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    const hex = Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
  }

  async function request(method, url, body) {
    // The same client id is sent on every retry, so the server stores the decision once.
    let lastError = null;
    for (let attempt = 0; attempt < 4; attempt++) {
      try {
        const response = await fetch(url, {
          method,
          headers: body ? { "Content-Type": "application/json" } : {},
          body: body ? JSON.stringify(body) : undefined,
          credentials: "same-origin",
          cache: "no-store",
        });
        const data = await response.json().catch(() => ({ error: `HTTP ${response.status}` }));
        if (!response.ok) return { error: data.error || `HTTP ${response.status}`, status: response.status };
        return data;
      } catch (error) {
        lastError = error;
        await new Promise((resolve) => setTimeout(resolve, 250 * (attempt + 1)));
      }
    }
    return { error: `the server cannot be reached (${lastError}); your last answer may not be saved`, status: 0 };
  }

  function showMessage(text) {
    const node = $("message");
    node.textContent = text || "";
    node.hidden = !text;
  }

  function percent(p) {
    return `${Math.round(p * 100)}%`;
  }

  function render(view) {
    state.view = view;
    const card = view.card;
    $("card-body").hidden = !card;
    $("done").hidden = !!card;
    document.body.dataset.unit = card ? `${card.answer.transcript_id}#${card.answer.unit_index}` : "";
    if (card) renderCard(card, view.codes);
    renderProgress(view.progress);
    window.__autocodeRenders += 1;
    document.body.dataset.renders = String(window.__autocodeRenders);
  }

  function renderCard(card, codes) {
    const a = card.answer;
    const audit = !!card.audit;
    $("audit-banner").hidden = !audit;
    document.body.dataset.audit = audit ? "1" : "";
    for (const id of ["suggestion-box", "evidence-box", "candidate-box"]) $(id).hidden = audit;
    $("btn-accept").disabled = audit;
    $("transcript").textContent = card.transcript;
    $("offsets").textContent = `${a.start}–${a.end}`;
    $("model-version").textContent = a.model_version;
    const context = $("context");
    clear(context);
    const lines = card.context.slice();
    lines.push({ role: "unit", speaker: card.speaker, start: a.start, text: card.text });
    lines.sort((x, y) => x.start - y.start);
    for (const line of lines) {
      const row = el("div", null, `line ${line.role}`);
      row.appendChild(el("span", line.speaker || "(no speaker)", "speaker"));
      if (line.role === "question") row.appendChild(el("span", "question", "tag"));
      row.appendChild(el("span", line.text, "text"));
      if (line.role === "unit") row.id = "unit-text";
      context.appendChild(row);
    }
    const suggested = $("suggested");
    clear(suggested);
    if (!card.suggested.length) suggested.appendChild(el("li", "no code suggested", "none"));
    for (const s of card.suggested) {
      const item = el("li");
      item.appendChild(el("span", s.id, "code-id"));
      item.appendChild(el("span", ` ${s.name} `));
      item.appendChild(el("span", percent(s.probability), "prob"));
      suggested.appendChild(item);
    }
    const probability = new Map(card.scores.map((s) => [s.id, s.probability]));
    const list = $("codes");
    clear(list);
    codes.forEach((code, i) => {
      const item = el("li");
      const button = el("button", null, "code");
      button.type = "button";
      button.dataset.code = code.id;
      button.title = code.definition || code.name;
      button.appendChild(el("kbd", i < 9 ? String(i + 1) : "/"));
      button.appendChild(el("span", ` ${code.id} ${code.name} `));
      if (!audit) button.appendChild(el("span", percent(probability.get(code.id) || 0), "prob"));
      button.addEventListener("click", () => decide("recode", { code: code.id }));
      item.appendChild(button);
      list.appendChild(item);
    });
    const evidence = $("evidence");
    clear(evidence);
    for (const e of card.evidence) {
      const item = el("li");
      item.appendChild(el("q", e.text));
      const where = [e.themes.join(", "), e.source || e.excerpt_id, e.participant].filter(Boolean).join(" · ");
      item.appendChild(el("span", ` ${where} (similarity ${e.similarity.toFixed(2)})`, "source"));
      evidence.appendChild(item);
    }
    const candidate = $("candidate");
    if (card.candidate) {
      const c = card.candidate;
      const theme = c.theme ? `, maps to ${c.theme}` : "";
      candidate.textContent = `${c.id} "${c.label}" (${c.size} units${theme}): ${c.keywords.join(", ")}`;
    } else {
      candidate.textContent = card.candidate_note;
    }
    if (card.earlier && card.earlier.action === "flag") {
      showMessage(`Flagged earlier${card.earlier.memo ? ": " + card.earlier.memo : ""}`);
    }
  }

  function renderCorpus(c) {
    if (!c) return;
    $("c-line").textContent = c.line;
    $("c-line").className = c.can_stop ? "corpus-line stop" : "corpus-line";
    const body = $("c-codes").tBodies[0];
    clear(body);
    for (const row of c.codes) {
      const tr = el("tr");
      tr.appendChild(el("td", `${row.code} ${row.name}`));
      tr.appendChild(el("td", row.kappa === null ? "–" : row.kappa.toFixed(2)));
      tr.appendChild(el("td", row.interval ? `${row.interval[0].toFixed(2)}–${row.interval[1].toFixed(2)}` : "–"));
      body.appendChild(tr);
    }
  }

  async function finishCorpus() {
    if (state.busy) return;
    state.busy = true;
    const result = await request("POST", "/api/finish", {});
    state.busy = false;
    if (result.error) {
      showMessage(result.error);
      return;
    }
    $("c-finished").textContent =
      `Stored ${result.codings} model codings on ${result.units} units as ${result.coder}; ` +
      "export the project to hand on the finished corpus.";
  }

  function renderProgress(p) {
    if (!p) return;
    renderCorpus(p.corpus);
    $("p-decisions").textContent =
      `${p.decisions} (${p.audited} audit cards, ${p.flagged} flagged, ${p.skipped} skipped)`;
    $("p-left").textContent = String(p.units_left);
    const agreement = p.agreement;
    $("p-agreement").textContent =
      agreement.rate === null ? "–" : `${percent(agreement.rate)} (${agreement.agreed} of ${agreement.answered})`;
    const model = p.model;
    let status = model.retraining ? " · retraining…" : ` · retrains in ${model.next_retrain_in}`;
    if (model.error) status += ` · last retraining failed: ${model.error}`;
    $("p-model").textContent = model.version + status;
    const body = $("p-kappa").tBodies[0];
    clear(body);
    for (const row of p.kappa) {
      const tr = el("tr");
      tr.appendChild(el("td", `${row.code} ${row.name}`));
      tr.appendChild(el("td", row.kappa === null ? "–" : row.kappa.toFixed(2)));
      tr.appendChild(el("td", `${row.n_positive} of ${row.n}`));
      body.appendChild(tr);
    }
    $("p-hint").textContent = p.hint;
  }

  async function decide(action, extra, startedAt) {
    const view = state.view;
    if (state.busy || !view || !view.card) return;
    state.busy = true;
    const started = startedAt === undefined ? performance.now() : startedAt;
    const body = Object.assign({ client_id: uuid(), action, answer: view.card.answer }, extra || {});
    const result = await request("POST", "/api/decide", body);
    finish(result, started, action);
  }

  async function undo(startedAt) {
    if (state.busy) return;
    state.busy = true;
    const started = startedAt === undefined ? performance.now() : startedAt;
    const result = await request("POST", "/api/undo", { client_id: uuid() });
    finish(result, started, "undo");
    if (!result.error && !result.decision) showMessage("Nothing left to undo.");
  }

  function finish(result, started, action) {
    state.busy = false;
    if (result.error) {
      showMessage(result.error);
      return;
    }
    showMessage("");
    render(result);
    const retraining = !!(result.progress && result.progress.model.retraining);
    requestAnimationFrame(() => {
      timings.push({ action, ms: performance.now() - started, retraining });
      document.body.dataset.timings = String(timings.length);
    });
  }

  async function load() {
    const params = new URLSearchParams(window.location.search);
    const unit = params.get("unit_index");
    const query = unit !== null
      ? `?transcript_id=${encodeURIComponent(params.get("transcript_id") || "")}&unit_index=${encodeURIComponent(unit)}`
      : "";
    const result = await request("GET", `/api/card${query}`);
    if (result.error) {
      showMessage(result.error);
      return;
    }
    render(result);
  }

  // -- dialogs ----------------------------------------------------------------------------
  function openDialog(id, focusId) {
    for (const d of document.querySelectorAll(".dialog")) d.hidden = true;
    $(id).hidden = false;
    $(focusId).focus();
  }

  function closeDialogs() {
    for (const d of document.querySelectorAll(".dialog")) d.hidden = true;
  }

  function openSearch() {
    if (!state.view || !state.view.card) return;
    $("search-input").value = "";
    state.searchIndex = 0;
    updateSearch();
    openDialog("search-dialog", "search-input");
  }

  function updateSearch() {
    const query = $("search-input").value.trim().toLowerCase();
    const codes = (state.view && state.view.codes) || [];
    state.searchHits = codes.filter(
      (c) => !query || c.id.toLowerCase().includes(query) || c.name.toLowerCase().includes(query)
    );
    state.searchIndex = Math.min(state.searchIndex, Math.max(0, state.searchHits.length - 1));
    const list = $("search-results");
    clear(list);
    state.searchHits.forEach((code, i) => {
      const item = el("li", `${code.id} ${code.name}`, i === state.searchIndex ? "chosen" : "");
      item.addEventListener("click", () => {
        closeDialogs();
        decide("recode", { code: code.id });
      });
      list.appendChild(item);
    });
  }

  $("search-input").addEventListener("input", () => {
    state.searchIndex = 0;
    updateSearch();
  });
  $("search-input").addEventListener("keydown", (event) => {
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      const step = event.key === "ArrowDown" ? 1 : -1;
      const n = state.searchHits.length;
      if (n) state.searchIndex = (state.searchIndex + step + n) % n;
      updateSearch();
      event.preventDefault();
    } else if (event.key === "Enter") {
      const code = state.searchHits[state.searchIndex];
      if (code) {
        closeDialogs();
        decide("recode", { code: code.id }, event.timeStamp);
      }
      event.preventDefault();
    }
  });
  $("flag-memo").addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey) {
      event.preventDefault();
      const memo = $("flag-memo").value;
      closeDialogs();
      decide("flag", { memo }, event.timeStamp);
    }
  });
  function submitNewCode(event) {
    const name = $("newcode-name").value.trim();
    if (!name) return;
    const definition = $("newcode-definition").value;
    closeDialogs();
    decide("recode", { new_code: { name, definition } }, event.timeStamp);
  }
  $("newcode-name").addEventListener("keydown", (event) => {
    if (event.key === "Enter") {
      event.preventDefault();
      submitNewCode(event);
    }
  });
  $("newcode-definition").addEventListener("keydown", (event) => {
    if (event.key === "Enter" && event.ctrlKey) {
      event.preventDefault();
      submitNewCode(event);
    }
  });

  // -- keys and buttons -------------------------------------------------------------------
  function isAudit() {
    return !!(state.view && state.view.card && state.view.card.audit);
  }

  function auditHint() {
    showMessage("Audit card: there is no suggestion to accept or reject; choose the code(s) or n.");
  }

  const actions = {
    accept: (t) => (isAudit() ? auditHint() : decide("accept", {}, t)),
    reject: (t) => (isAudit() ? auditHint() : decide("reject", {}, t)),
    none: (t) => decide("none", {}, t),
    skip: (t) => decide("skip", {}, t),
    undo: (t) => undo(t),
    search: () => openSearch(),
    flag: () => {
      if (!state.view || !state.view.card) return;
      $("flag-memo").value = "";
      openDialog("flag-dialog", "flag-memo");
    },
    newcode: () => {
      if (!state.view || !state.view.card) return;
      $("newcode-name").value = "";
      $("newcode-definition").value = "";
      openDialog("newcode-dialog", "newcode-name");
    },
  };
  const keys = {
    a: "accept", Enter: "accept", r: "reject", n: "none", s: "skip", u: "undo",
    Backspace: "undo", "/": "search", f: "flag", "+": "newcode",
  };

  document.addEventListener("keydown", (event) => {
    if (event.key === "Escape") {
      closeDialogs();
      return;
    }
    const target = event.target;
    if (target && (target.tagName === "INPUT" || target.tagName === "TEXTAREA")) return;
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    if (/^[1-9]$/.test(event.key)) {
      const code = state.view && state.view.codes[Number(event.key) - 1];
      if (code) decide("recode", { code: code.id }, event.timeStamp);
      event.preventDefault();
      return;
    }
    const action = keys[event.key];
    if (action) {
      event.preventDefault();
      actions[action](event.timeStamp);
    }
  });
  $("btn-finish").addEventListener("click", () => finishCorpus());
  for (const button of document.querySelectorAll("button[data-action]")) {
    button.addEventListener("click", (event) => actions[button.dataset.action](event.timeStamp));
  }

  load();
})();
