// Line charts (uPlot) over the server's bucketed points, zooming by asking again for the
// visible range at full resolution; and the run log, polled until the run has an exit code.
"use strict";

(function () {
  const HEIGHT = 260;
  const COLOURS = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#17becf"];

  function number(value) {
    return typeof value === "number" && Number.isFinite(value) ? value : null;
  }

  async function fetchSeries(url, buckets, first, last) {
    const query = new URLSearchParams({ buckets: String(buckets) });
    if (first !== undefined) query.set("first", String(Math.max(0, Math.floor(first))));
    if (last !== undefined) query.set("last", String(Math.max(0, Math.ceil(last))));
    const answer = await fetch(`${url}?${query}`, { credentials: "same-origin" });
    if (!answer.ok) throw new Error(`${answer.status} for ${url}`);
    return answer.json();
  }

  // Several series on the steps of all of them (a series has no value where it has no point).
  function align(parts, logScale) {
    const steps = Array.from(new Set(parts.flatMap((p) => p.idx))).sort((a, b) => a - b);
    const labels = new Map();
    const columns = parts.map((part) => {
      const at = new Map();
      part.idx.forEach((step, i) => {
        let y = number(part.y[i]);
        if (logScale && y !== null && y <= 0) y = null;
        at.set(step, y);
        if (part.x) labels.set(step, part.x[i]);
      });
      return steps.map((step) => (at.has(step) ? at.get(step) : null));
    });
    return { data: [steps, ...columns], labels };
  }

  function setUp(chart) {
    const card = chart.closest("section") || chart.parentElement;
    const sources = chart.dataset.lineUrl
      ? [{ url: chart.dataset.lineUrl, label: chart.dataset.name }]
      : Array.from(chart.querySelectorAll(".series")).map((s) => ({ url: s.dataset.lineUrl, label: s.dataset.label }));
    const logBox = card.querySelector(".log-scale");
    let plot = null;
    let labels = new Map();
    let wanted = null;

    const width = () => Math.max(200, chart.clientWidth || 600);

    async function load(first, last) {
      const parts = await Promise.all(sources.map((s) => fetchSeries(s.url, width(), first, last)));
      const aligned = align(parts, logBox && logBox.checked);
      labels = aligned.labels;
      chart.dataset.points = String(aligned.data[0].length);
      chart.dataset.size = String(Math.max(...parts.map((p) => p.size)));
      const finite = aligned.data.slice(1).flat().filter((v) => v !== null);
      chart.dataset.max = finite.length ? String(finite.reduce((a, b) => (b > a ? b : a))) : "";
      return aligned.data;
    }

    function options() {
      return {
        width: width(),
        height: HEIGHT,
        scales: { x: { time: false }, y: { distr: logBox && logBox.checked ? 3 : 1 } },
        cursor: { drag: { x: true, y: false } },
        series: [
          { label: "step", value: (u, v) => (v === null || v === undefined ? "-" : labels.has(v) ? `${v} (${labels.get(v)})` : String(v)) },
          ...sources.map((s, i) => ({ label: s.label, stroke: COLOURS[i % COLOURS.length], width: 1.5, spanGaps: false })),
        ],
        hooks: {
          setSelect: [
            (u) => {
              if (u.select.width < 2) return;
              const min = u.posToVal(u.select.left, "x");
              const max = u.posToVal(u.select.left + u.select.width, "x");
              u.setSelect({ left: 0, top: 0, width: 0, height: 0 }, false);
              zoom(min, max);
            },
          ],
        },
      };
    }

    async function zoom(min, max) {
      wanted = [min, max];
      const data = await load(min, max);
      if (wanted && wanted[0] === min && wanted[1] === max) plot.setData(data);
    }

    async function draw(first, last) {
      const data = await load(first, last);
      if (plot) plot.destroy();
      plot = new uPlot(options(), data, chart);
      chart.dataset.ready = "true";
      chart.dataset.drawnAt = String(Math.round(performance.now()));
    }

    if (logBox) logBox.addEventListener("change", () => draw(...(wanted || [])));
    const reset = card.querySelector(".reset-zoom");
    if (reset) reset.addEventListener("click", () => { wanted = null; draw(); });
    draw().catch((error) => { chart.textContent = `could not load the points: ${error.message}`; });
  }

  function followLog(log) {
    const exitCode = document.getElementById("exit-code");
    let after = -1;
    let lastStep = null;
    async function poll() {
      const answer = await fetch(`${log.dataset.logsUrl}?after=${after}`, { credentials: "same-origin" });
      if (!answer.ok) return;
      const page = await answer.json();
      for (const [n, step, text] of page.lines) {
        if (step !== lastStep) {
          const head = document.createElement("span");
          head.className = "step";
          head.textContent = `── ${step || "(no step)"}\n`;
          log.append(head);
          lastStep = step;
        }
        log.append(`${text}\n`);
        after = n;
      }
      if (page.lines.length) log.scrollTop = log.scrollHeight;
      if (page.exit_code !== null) {
        exitCode.textContent = `exit code ${page.exit_code}`;
        if (page.lines.length === 0) return;  // all read, and the run has ended
      }
      window.setTimeout(poll, page.lines.length ? 250 : 2000);
    }
    poll();
  }

  document.querySelectorAll(".chart").forEach(setUp);
  const log = document.getElementById("log");
  if (log) followLog(log);
})();
