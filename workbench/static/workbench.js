// The workbench's few behaviours: forms and keys become JSON API calls; the page redraws what changed.
"use strict";
const $ = (sel, root = document) => root.querySelector(sel);
const $$ = (sel, root = document) => [...root.querySelectorAll(sel)];
const LABELS = ["cooperative", "confrontational", "conditional"];

function showMessage(text, ok = false) {
  const box = $("#message");
  box.textContent = text;
  box.classList.toggle("ok", ok);
  box.hidden = !text;
  if (text) box.scrollIntoView({ block: "nearest" });
}

function flash(text, ok = true) { sessionStorage.setItem("flash", JSON.stringify([text, ok])); }

function analyst(required = true) {
  const field = $("#analyst");
  const name = field.value.trim();
  if (!name && required) {
    showMessage("Type your name in the Analyst field (top right) first: every review records who made it.");
    field.focus();
    throw new Error("no analyst");
  }
  return name;
}

async function api(method, url, body) {
  const response = await fetch(url, { method, headers: { "content-type": "application/json" },
                                       body: body === undefined ? undefined : JSON.stringify(body) });
  const data = await response.json().catch(() => ({}));
  if (!response.ok) {
    const err = data.error || {};
    throw new Error(err.message || `${method} ${url} failed with status ${response.status}`);
  }
  return data;
}

async function attempt(work) {
  try { return await work(); } catch (e) { if (e.message !== "no analyst") showMessage(e.message); return undefined; }
}

function formBody(form) {
  const body = {};
  for (const el of form.elements) {
    if (!el.name || el.type === "submit" || el.type === "button") continue;
    if (el.type === "checkbox") body[el.name] = el.checked;
    else if (el.type === "number") body[el.name] = el.value === "" ? null : Number(el.value);
    else if (el.dataset.list) body[el.name] = el.value.split(el.dataset.list).map((v) => v.trim()).filter(Boolean);
    else body[el.name] = el.value;
  }
  return body;
}

function setupForms() {
  for (const form of $$("form[data-api]")) {
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      attempt(async () => {
        const [method, url] = form.dataset.api.split(" ");
        const body = formBody(form);
        if (form.dataset.then !== "url") body.annotator = analyst();
        const result = await api(method, url, body);
        if (form.dataset.then === "url") location.href = result.url;
        else if (form.dataset.then === "poll") pollJob();
        else { flash(articlesMessage(result) || "Saved."); location.reload(); }
      });
    });
  }
}

function articlesMessage(result) {
  if (!result.added) return "";
  const parts = [`Added ${result.added.length} article(s)` +
                 (result.added.length ? ": " + result.added.map((a) => `${a.doc_id} (${a.statements} statements)`).join(", ") : "") + "."];
  if (result.problems.length) parts.push("Not added:\n" + result.problems.join("\n"));
  return parts.join("\n");
}

function setupUpload() {
  const form = $("#upload");
  if (!form) return;
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    attempt(async () => {
      const chosen = [...form.elements.files.files];
      if (!chosen.length) throw new Error("Choose one or more .txt, .jsonl or .csv files first.");
      const files = await Promise.all(chosen.map(async (f) => ({ name: f.name, content: await f.text() })));
      const result = await api("POST", `/v1/summits/${form.dataset.slug}/articles`, { files });
      flash(articlesMessage(result), result.problems.length === 0);
      location.reload();
    });
  });
}

function setupAnalyst() {
  const field = $("#analyst");
  if (!field.value && localStorage.getItem("analyst")) field.value = localStorage.getItem("analyst");
  const remember = () => {
    const name = field.value.trim();
    localStorage.setItem("analyst", name);
    document.cookie = `stance_analyst=${encodeURIComponent(name)}; path=/; max-age=31536000; samesite=strict`;
  };
  const perAnalyst = $("[data-per-analyst]");  // a page drawn for one analyst: redraw it for the new one
  if (field.value && !document.cookie.includes("stance_analyst=")) { remember(); if (perAnalyst) location.reload(); }
  field.addEventListener("change", () => { remember(); if (perAnalyst) location.reload(); });
  field.addEventListener("keydown", (e) => { if (e.key === "Enter") field.blur(); });
}

async function nextInQueue(slug) {
  const data = await api("GET", `/v1/summits/${slug}/queue?annotator=${encodeURIComponent(analyst())}&limit=1`);
  if (!data.items.length) {
    const mine = data.annotator_progress, all = data.progress;
    showMessage(`Nothing left to review for ${mine.annotator}: ${mine.reviewed} of ${mine.total} reviewed by you ` +
                `(${all.reviewed} of ${all.total} by anyone).`, true);
    return;
  }
  const url = new URL(data.items[0].url, location.href);
  const sameArticle = url.pathname === location.pathname;
  location.href = url.href;
  if (sameArticle) location.reload();
}

// -- the review page ---------------------------------------------------------------------------
function scrollWithin(box, el, centre) {
  // Scroll only the panel (not the window), so the header and the other panel stay where they are.
  if (box.scrollHeight <= box.clientHeight) { el.scrollIntoView({ block: "nearest" }); return; }
  const top = el.getBoundingClientRect().top - box.getBoundingClientRect().top + box.scrollTop;
  if (centre) box.scrollTo({ top: top - box.clientHeight / 3, behavior: "smooth" });
  else if (top < box.scrollTop + 40) box.scrollTop = top - 40;
  else if (top + el.offsetHeight > box.scrollTop + box.clientHeight) box.scrollTop = top + el.offsetHeight - box.clientHeight;
}

function setupReview() {
  const root = $("#review");
  if (!root) return;
  const { slug, doc } = root.dataset;
  const rows = $$("#statements tbody tr[data-id]");
  const textBox = $("#text");
  let current = -1;

  const marksOf = (id) => $$("mark", textBox).filter((m) => m.dataset.ids.split(" ").includes(String(id)));
  function select(i, scrollText = true, scroll = true) {
    if (!rows.length) return;
    current = Math.max(0, Math.min(rows.length - 1, i));
    rows.forEach((r, j) => r.setAttribute("aria-selected", String(j === current)));
    $$("mark.current", textBox).forEach((m) => m.classList.remove("current"));
    const row = rows[current];
    const marks = marksOf(row.dataset.id);
    marks.forEach((m) => m.classList.add("current"));
    row.focus({ preventScroll: true });
    if (scroll) scrollWithin($(".side"), row, false);
    if (scroll && scrollText && marks.length) scrollWithin(textBox, marks[0], true);
    // The address remembers the statement (undo and reload come back to it); not an element id, so loading
    // it never makes the browser scroll the window to an anchor.
    history.replaceState(null, "", `#statement-${row.dataset.id}`);
  }
  function redrawMarks() {
    const state = Object.fromEntries(rows.map((r) => [r.dataset.id, r.dataset.state]));
    for (const m of $$("mark", textBox)) m.dataset.state = state[m.dataset.ids.split(" ")[0]];
  }
  function update(row, view) {
    row.dataset.state = view.state;
    row.dataset.suggestion = view.suggestion || "";
    const cell = $('[data-role="label"]', row);
    cell.textContent = "";
    if (view.decision) cell.textContent = view.label_text;
    else { const em = document.createElement("em"); em.textContent = view.suggestion ? `${view.label_text}?` : (view.hidden ? "hidden" : "\u2014"); cell.append(em); }
    for (const input of $$("input.party", row)) input.value = input.dataset.saved = view[input.dataset.field];
    redrawMarks();
  }
  async function review(row, change) {
    const view = await api("POST", `/v1/summits/${slug}/statements/${row.dataset.id}/review`, { annotator: analyst(), ...change });
    update(row, view);
    return view;
  }
  function decide(decision) {
    const row = rows[current];
    if (!row || !decision) return;
    const at = current;
    select(current + 1);  // move on at once, so fast typing labels one statement per key
    attempt(async () => {
      try { await review(row, { decision }); showMessage(""); } catch (e) { select(at); throw e; }
    });
  }
  async function undo() {
    const { undone } = await api("POST", `/v1/summits/${slug}/undo`, { annotator: analyst() });
    flash(`Undone: your last action on statement ${undone}.`);
    location.hash = `statement-${undone}`;
    location.reload();
  }
  function selectionOffsets() {
    const sel = getSelection();
    if (!sel.rangeCount || sel.isCollapsed) return null;
    const range = sel.getRangeAt(0);
    if (!textBox.contains(range.startContainer) || !textBox.contains(range.endContainer)) return null;
    const before = document.createRange();
    before.setStart(textBox, 0);
    before.setEnd(range.startContainer, range.startOffset);
    const start = before.toString().length;
    let end = start + range.toString().length;
    const text = textBox.textContent;
    let s = start;
    while (s < end && /\s/.test(text[s])) s++;
    while (end > s && /\s/.test(text[end - 1])) end--;
    return s < end ? { start: s, end, quote: text.slice(s, end) } : null;
  }
  const dialog = $("#add-dialog");
  const addForm = $("#add-form");
  function openAdd() {
    analyst();
    const picked = selectionOffsets();
    if (!picked) { showMessage("Select the statement's words in the article text first, then press a."); return; }
    addForm.elements.start.value = picked.start;
    addForm.elements.end.value = picked.end;
    $("#add-quote").textContent = picked.quote;
    dialog.showModal();
    addForm.elements.speaker.focus();
  }
  addForm.addEventListener("submit", (event) => {
    event.preventDefault();
    attempt(async () => {
      const body = formBody(addForm);
      body.start = Number(body.start); body.end = Number(body.end);
      const view = await api("POST", `/v1/summits/${slug}/articles/${encodeURIComponent(doc)}/statements`, { annotator: analyst(), ...body });
      dialog.close();
      flash(`Added statement ${view.id} (${view.decision}).`);
      location.hash = `statement-${view.id}`;
      location.reload();
    });
  });
  $("#add-cancel").addEventListener("click", () => dialog.close());

  rows.forEach((row, i) => {
    row.addEventListener("click", (e) => { if (!e.target.matches("input")) select(i); });
    for (const input of $$("input.party", row)) {
      input.dataset.saved = input.value;
      input.addEventListener("focus", () => { if (current !== i) select(i, false); });
      input.addEventListener("change", () => attempt(async () => {
        try {
          await review(row, { [input.dataset.field]: input.value });
          const unset = input.dataset.field === "speaker" ? "unknown" : "third party";
          showMessage(`Saved ${input.dataset.field.replace("_", " ")}: ${input.dataset.saved || unset}.`, true);
        } catch (e) { input.value = input.dataset.saved; throw e; }
      }));
      input.addEventListener("keydown", (e) => {
        if (e.key === "Escape") { input.value = input.dataset.saved; row.focus(); }
        if (e.key === "Enter") { e.preventDefault(); input.blur(); row.focus(); }
      });
    }
  });
  for (const m of $$("mark", textBox)) {
    m.addEventListener("click", () => {
      if (!getSelection().isCollapsed) return;
      const i = rows.findIndex((r) => r.dataset.id === m.dataset.ids.split(" ")[0]);
      if (i >= 0) select(i, false);
    });
  }
  for (const b of $$("button[data-decision]", root)) b.addEventListener("click", () => decide(b.dataset.decision));
  $('button[data-action="undo"]').addEventListener("click", () => attempt(undo));
  $('button[data-action="add"]').addEventListener("mousedown", (e) => e.preventDefault());  // keep the selection
  $('button[data-action="add"]').addEventListener("click", () => attempt(async () => openAdd()));
  $('button[data-action="next"]').addEventListener("click", () => attempt(() => nextInQueue(slug)));

  document.addEventListener("keydown", (e) => {
    if (e.ctrlKey || e.metaKey || e.altKey || dialog.open || e.target.matches("input, textarea, select")) return;
    const keys = {
      j: () => select(current + 1), ArrowDown: () => select(current + 1),
      k: () => select(current - 1), ArrowUp: () => select(current - 1),
      1: () => decide(LABELS[0]), 2: () => decide(LABELS[1]), 3: () => decide(LABELS[2]), 0: () => decide("not_statement"),
      Enter: () => decide(rows[current] && rows[current].dataset.suggestion),
      u: () => attempt(undo), a: () => attempt(async () => openAdd()), n: () => attempt(() => nextInQueue(slug)),
      s: () => rows[current] && $('[data-field="speaker"]', rows[current]).focus(),
      p: () => rows[current] && $('[data-field="speaker_party"]', rows[current]).focus(),
      t: () => rows[current] && $('[data-field="target_party"]', rows[current]).focus(),
    };
    if (keys[e.key]) { e.preventDefault(); keys[e.key](); }
  });
  const fromHash = rows.findIndex((r) => `#statement-${r.dataset.id}` === location.hash);
  select(Math.max(fromHash, 0), true, fromHash >= 0);  // a fresh page opens at its top
}

// -- agreement, queue, models ------------------------------------------------------------------
function setupAdjudication() {
  for (const b of $$("button.adopt")) {
    b.addEventListener("click", () => attempt(async () => {
      const slug = location.pathname.split("/")[2];
      await api("POST", `/v1/summits/${slug}/statements/${b.dataset.id}/adjudicate`, {
        annotator: analyst(), decision: b.dataset.decision, speaker: b.dataset.speaker, speaker_party: b.dataset.speakerParty,
        target_party: b.dataset.targetParty });
      flash(`Statement ${b.dataset.id} adjudicated: ${b.dataset.decision.replace("_", " ")}.`);
      location.reload();
    }));
  }
}

function setupModels() {
  document.addEventListener("click", (e) => {
    const b = e.target.closest("button.choose-version");
    if (!b) return;
    const form = $("#promote-form");
    form.elements.version.value = b.dataset.version;
    form.elements.reason.focus();
    form.scrollIntoView({ block: "nearest" });
  });
  if ($('#job .job[data-state="running"]')) pollJob();
}

function pollJob() {
  const slug = $("#retrain").dataset.slug;
  const tick = async () => {
    const html = await fetch(`/summits/${slug}/model/job`).then((r) => r.text());
    $("#job").innerHTML = html;
    if ($('#job .job[data-state="running"]')) setTimeout(tick, 1000);
    else { flash("Retrain finished: see the decision below."); location.reload(); }
  };
  attempt(tick);
}

document.addEventListener("DOMContentLoaded", () => {
  const saved = sessionStorage.getItem("flash");
  if (saved) { sessionStorage.removeItem("flash"); showMessage(...JSON.parse(saved)); }
  setupAnalyst();
  setupForms();
  setupUpload();
  setupReview();
  setupAdjudication();
  if ($("#retrain")) setupModels();
  const next = $("#review-next");
  if (next) {
    next.addEventListener("click", () => attempt(() => nextInQueue(next.dataset.slug)));
    document.addEventListener("keydown", (e) => { if (e.key === "n" && !e.target.matches("input, textarea, select")) attempt(() => nextInQueue(next.dataset.slug)); });
  }
});
