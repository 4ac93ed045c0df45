// The search page: query by upload, drop, paste or a clicked result; the chosen query encoder; results and timings.
"use strict";

const $ = (id) => document.getElementById(id);
let lastQuery = null; // {blob, caption}

async function loadSubmodels() {
  const response = await fetch("/api/models");
  const { submodels } = await response.json();
  const box = $("submodels");
  submodels.forEach((s, i) => {
    const label = document.createElement("label");
    label.className = "submodel";
    const quality = s.quality.length ? ` · 1-NN top-1 ${(100 * s.quality[0].top1_1nn).toFixed(1)}%` : "";
    label.innerHTML = `<input type="radio" name="submodel" value="${s.name}" ${i === 0 ? "checked" : ""}> `
      + `<span class="name"></span> <span class="cost">${s.gflop.toFixed(4)} GFLOP · encode ${fmtMs(s.latencyMs)} ms`
      + ` <abbr title="median of the last single-image encodes on this server">(median)</abbr>${quality}</span>`;
    const width = s.name === "level1" ? "full width" : `width D/${s.name.replace("level", "")}`;
    label.querySelector(".name").textContent = `${s.name}: ${width} (${s.widths.join("-")})`;
    box.appendChild(label);
  });
}

function fmtMs(ms) {
  return ms == null ? "?" : ms.toFixed(ms < 10 ? 2 : 1);
}

function searchUrl() {
  const params = new URLSearchParams({ k: $("k").value });
  const choice = document.querySelector('input[name="submodel"]:checked').value;
  if (choice === "budget") {
    params.set("budget_ms", $("budget").value);
  } else {
    params.set("level", choice.replace("level", ""));
  }
  return "/api/search?" + filterParams(params);
}

function filterParams(params) {
  if ($("exact").checked) params.set("exact", "true");
  const label = $("label").value.trim();
  if (label) params.set("label", label);
  return params;
}

async function search(blob, caption) {
  lastQuery = { blob, caption };
  $("compare-button").disabled = false;
  $("compare").hidden = true;
  const preview = $("query-image");
  if (preview.src.startsWith("blob:")) URL.revokeObjectURL(preview.src);
  preview.src = URL.createObjectURL(blob);
  preview.hidden = false;
  $("query-caption").textContent = "Query: " + caption;
  const form = new FormData();
  form.append("image", blob, "query");
  $("error").hidden = true;
  const response = await fetch(searchUrl(), { method: "POST", body: form });
  const body = await response.json();
  if (!response.ok) {
    $("error").textContent = `${body.status} ${body.code}: ${body.message}`;
    $("error").hidden = false;
    return;
  }
  showTimings(body);
  showHits(body.hits);
}

function showTimings(r) {
  const t = r.timings;
  const budget = r.budgetMs == null ? "" : ` · budget ${r.budgetMs} ms ${r.budgetMet ? "met" : "not met (narrowest used)"}`;
  $("timings").textContent = `submodel ${r.submodel.name} (${r.submodel.gflop.toFixed(4)} GFLOP)`
    + ` · encode ${fmtMs(t.encodeMs)} ms${r.cached ? " (cached)" : ""} · search ${fmtMs(t.searchMs)} ms`
    + ` · total ${fmtMs(t.totalMs)} ms${r.exact ? " · exact" : ""}${budget}`;
  $("timings").dataset.submodel = r.submodel.name;
}

// The width comparison: the current query encoded by every trained level, each level's hits beside the full width's.
async function compareWidths() {
  if (!lastQuery) return;
  const form = new FormData();
  form.append("image", lastQuery.blob, "query");
  const params = filterParams(new URLSearchParams({ k: Math.min(12, Number($("k").value)) }));
  const response = await fetch("/api/compare?" + params, { method: "POST", body: form });
  const body = await response.json();
  if (!response.ok) {
    $("error").textContent = `${body.status} ${body.code}: ${body.message}`;
    $("error").hidden = false;
    return;
  }
  const reference = new Set(body.columns[0].hits.map((h) => h.id));
  const box = $("compare");
  box.replaceChildren();
  for (const column of body.columns) {
    const div = document.createElement("div");
    div.className = "column";
    div.dataset.submodel = column.submodel.name;
    const title = document.createElement("h2");
    title.textContent = `${column.submodel.name} (${column.submodel.widths.join("-")})`;
    const facts = document.createElement("p");
    facts.className = "facts";
    facts.textContent = `${column.submodel.gflop.toFixed(4)} GFLOP · encode ${fmtMs(column.encodeMs)} ms${column.cached ? " (cached)" : ""}`
      + ` · overlap@${body.k} with ${body.reference}: ${(100 * column.overlap).toFixed(0)}%`;
    const hits = document.createElement("div");
    hits.className = "hits";
    for (const hit of column.hits) {
      const card = hitCard(hit);
      if (!reference.has(hit.id)) card.classList.add("new");
      hits.appendChild(card);
    }
    div.append(title, facts, hits);
    box.appendChild(div);
  }
  box.hidden = false;
}

function hitCard(hit) {
  const card = document.createElement("figure");
  card.className = "hit";
  card.tabIndex = 0;
  card.dataset.id = hit.id;
  card.title = hit.id;
  const img = document.createElement("img");
  img.src = hit.thumbnailUrl;
  img.alt = hit.label || hit.id;
  const label = document.createElement("div");
  label.className = "label";
  label.textContent = hit.label || "—";
  const score = document.createElement("div");
  score.className = "score";
  score.textContent = hit.score.toFixed(4);
  card.append(img, label, score);
  const searchWithHit = async () => {
    const response = await fetch(hit.thumbnailUrl.replace(/\?.*$/, ""));
    search(await response.blob(), hit.id);
  };
  card.addEventListener("click", searchWithHit);
  card.addEventListener("keydown", (e) => { if (e.key === "Enter") searchWithHit(); });
  return card;
}

function showHits(hits) {
  const grid = $("results");
  grid.replaceChildren();
  for (const hit of hits) {
    grid.appendChild(hitCard(hit));
  }
}

function rerun() {
  if (lastQuery) search(lastQuery.blob, lastQuery.caption);
}

$("file").addEventListener("change", (e) => {
  const file = e.target.files[0];
  if (file) search(file, file.name);
});
const drop = $("drop");
drop.addEventListener("dragover", (e) => { e.preventDefault(); drop.classList.add("over"); });
drop.addEventListener("dragleave", () => drop.classList.remove("over"));
drop.addEventListener("drop", (e) => {
  e.preventDefault();
  drop.classList.remove("over");
  const file = e.dataTransfer.files[0];
  if (file) search(file, file.name);
});
document.addEventListener("paste", (e) => {
  const item = [...e.clipboardData.items].find((i) => i.type.startsWith("image/"));
  if (item) search(item.getAsFile(), "pasted image");
});
$("widths").addEventListener("change", rerun);
for (const id of ["k", "exact", "label"]) $(id).addEventListener("change", rerun);
$("compare-button").addEventListener("click", compareWidths);

loadSubmodels();
