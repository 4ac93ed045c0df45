// The reports page: each eval report's tables (one per kind of query encoder, each saying what its rows are; a
// Mix'n'Match row also against the trained level that costs the most without costing more) as /api/reports serves
// them, and the report's own HTML page with the plots.
"use strict";

const COLUMNS = ["name", "kind", "widths", "gflop", "top1_1nn", "map10", "head_top1"];

function cell(row, column) {
  const v = row[column];
  if (v == null) return "";
  if (Array.isArray(v)) return v.join("-");
  if (typeof v === "number") return column === "gflop" ? v.toFixed(4) : (column.startsWith("top1") || column.startsWith("map") || column.startsWith("head")) ? (100 * v).toFixed(2) + "%" : String(v);
  return String(v);
}

function versus(v) {
  return v == null ? "none" : `${v.level}: ${v.top1NnPoints >= 0 ? "+" : ""}${v.top1NnPoints.toFixed(2)}`;
}

async function show() {
  const main = document.getElementById("reports");
  const { reports } = await (await fetch("/api/reports")).json();
  main.replaceChildren();
  if (!reports.length) {
    main.innerHTML = "<p>No eval reports yet. Make one with <code>bin/mmr eval</code> into the reports folder (default <code>reports/</code>).</p>";
    return;
  }
  for (const report of reports) {
    const section = document.createElement("section");
    section.className = "report";
    const h = document.createElement("h2");
    h.textContent = report.title ? `${report.name}: ${report.title}` : report.name;
    section.appendChild(h);
    for (const t of report.tables) {
      const heading = document.createElement("h3");
      heading.textContent = t.kind;
      const explanation = document.createElement("p");
      explanation.className = "explanation";
      explanation.textContent = t.explanation;
      const table = document.createElement("table");
      const head = table.createTHead().insertRow();
      const headings = t.cheaperLevel ? [...COLUMNS, "1-NN top-1 against the cheaper level"] : COLUMNS;
      headings.forEach((c) => { const th = document.createElement("th"); th.textContent = c; head.appendChild(th); });
      const body = table.createTBody();
      t.rows.forEach((row, i) => {
        const tr = body.insertRow();
        COLUMNS.forEach((c) => { const td = tr.insertCell(); td.textContent = cell(row, c); if (c === "name" || c === "kind" || c === "widths") td.className = "text"; });
        if (t.cheaperLevel) tr.insertCell().textContent = versus(t.cheaperLevel[i]);
      });
      section.append(heading, explanation, table);
    }
    if (report.htmlUrl) {
      const link = document.createElement("p");
      link.innerHTML = `<a href="${encodeURI(report.htmlUrl)}">The full report with its plots</a>`;
      const frame = document.createElement("iframe");
      frame.src = report.htmlUrl;
      frame.title = "report " + report.name;
      frame.style.cssText = "width:100%;height:720px;border:1px solid #d9dee3;background:#fff";
      section.append(link, frame);
    }
    main.appendChild(section);
  }
}

show();
