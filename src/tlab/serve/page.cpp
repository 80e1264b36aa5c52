#include "tlab/serve/page.h"

namespace tlab::serve {

namespace {

constexpr const char* kPage = R"HTML(<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>TransferLab serve</title>
<style>
  :root { --bg: #f4f5f8; --card: #fff; --ink: #1c2230; --muted: #6b7385; --line: #e2e5ec;
          --accent: #3d5afe; --accent-soft: #e8ecff; --good: #1b9e5a; --bad: #d93a3a; }
  * { box-sizing: border-box; }
  body { margin: 0; font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif;
         background: var(--bg); color: var(--ink); }
  header { display: flex; align-items: center; gap: 14px; padding: 18px 28px; background: var(--card);
           border-bottom: 1px solid var(--line); }
  header h1 { font-size: 18px; margin: 0; font-weight: 650; letter-spacing: .2px; }
  header h1 span { color: var(--accent); }
  #model { color: var(--muted); font-size: 14px; }
  #status { margin-left: auto; font-size: 13px; padding: 3px 10px; border-radius: 999px;
            background: #fff4e0; color: #9a6200; }
  #status.ready { background: #e3f6ec; color: var(--good); }
  main { max-width: 980px; margin: 28px auto; padding: 0 20px; display: grid;
         grid-template-columns: 380px 1fr; gap: 22px; }
  .card { background: var(--card); border: 1px solid var(--line); border-radius: 14px; padding: 20px;
          box-shadow: 0 1px 2px rgba(20, 30, 60, .04); }
  #drop { display: flex; flex-direction: column; align-items: center; justify-content: center; gap: 10px;
          min-height: 300px; border: 2px dashed #c5cbe0; border-radius: 12px; text-align: center;
          color: var(--muted); cursor: pointer; transition: background .15s, border-color .15s;
          overflow: hidden; position: relative; }
  #drop.over { background: var(--accent-soft); border-color: var(--accent); }
  #drop img { max-width: 100%; max-height: 320px; border-radius: 8px; display: none; }
  #drop.has-image img { display: block; }
  #drop.has-image .hint { display: none; }
  .hint strong { color: var(--ink); display: block; font-size: 16px; margin-bottom: 4px; }
  .button { display: inline-block; margin-top: 8px; padding: 8px 16px; border-radius: 8px; background: var(--accent);
            color: #fff; font-weight: 600; font-size: 14px; }
  #file { position: absolute; width: 1px; height: 1px; opacity: 0; }
  .controls { display: flex; align-items: center; gap: 10px; margin-top: 14px; color: var(--muted); font-size: 14px; }
  select { font: inherit; padding: 4px 8px; border-radius: 6px; border: 1px solid var(--line); background: #fff; }
  h2 { font-size: 15px; margin: 0 0 14px; font-weight: 650; }
  #results .row { display: grid; grid-template-columns: 1fr 64px; gap: 4px 12px; margin-bottom: 14px; }
  #results .label { font-weight: 550; text-transform: none; }
  #results .row:first-child .label { color: var(--accent); }
  #results .prob { text-align: right; font-variant-numeric: tabular-nums; color: var(--muted); }
  #results .bar { grid-column: 1 / 3; height: 8px; border-radius: 99px; background: #eef0f5; overflow: hidden; }
  #results .bar div { height: 100%; border-radius: 99px; background: linear-gradient(90deg, #6a80ff, var(--accent));
                      transition: width .4s ease; }
  #results .row:not(:first-child) .bar div { background: #aab6ff; }
  #results .empty { color: var(--muted); }
  #latency { margin-top: 8px; padding-top: 14px; border-top: 1px solid var(--line); color: var(--muted);
             font-size: 13px; font-variant-numeric: tabular-nums; }
  #latency b { color: var(--ink); font-weight: 600; }
  #error { display: none; margin-top: 12px; padding: 10px 12px; border-radius: 8px; background: #fdecec;
           color: var(--bad); font-size: 14px; }
  footer { max-width: 980px; margin: 0 auto 30px; padding: 0 20px; color: var(--muted); font-size: 13px; }
  code { background: #e9ebf2; padding: 1px 5px; border-radius: 4px; font-size: 12.5px; }
  @media (max-width: 760px) { main { grid-template-columns: 1fr; } }
</style>
</head>
<body>
<header>
  <h1>Transfer<span>Lab</span> serve</h1>
  <div id="model">connecting&hellip;</div>
  <div id="status">warming up</div>
</header>
<main>
  <section class="card">
    <label id="drop" for="file">
      <img id="preview" alt="the photo sent">
      <div class="hint"><strong>Drop a photo here</strong>or<br><span class="button">Choose a file</span></div>
      <input id="file" type="file" accept="image/*">
    </label>
    <div class="controls">Show the top
      <select id="topk"><option>3</option><option selected>5</option><option>10</option></select> classes</div>
  </section>
  <section class="card">
    <h2>Predictions</h2>
    <div id="results" data-state="empty"><div class="empty">No photo yet.</div></div>
    <div id="latency"></div>
    <div id="error"></div>
  </section>
</main>
<footer>API: <code id="curl">curl --data-binary @photo.jpg SERVER/v1/predict?topk=5</code> &middot;
  KServe v2 at <code>/v2/models/NAME</code> &middot; metrics at <a href="/metrics">/metrics</a></footer>
<script>
"use strict";
const $ = (id) => document.getElementById(id);
let lastFile = null;

function showError(message) {
  $("error").textContent = message;
  $("error").style.display = message ? "block" : "none";
}

async function watchReady() {
  try {
    const ready = await fetch("/v2/health/ready");
    if (ready.ok) {
      const meta = await (await fetch("/v2")).json();
      const name = meta.models[0];
      const model = await (await fetch("/v2/models/" + encodeURIComponent(name))).json();
      const shape = model.inputs[0].shape;
      $("model").textContent = name + " \u00b7 " + model.classes.length + " classes \u00b7 " +
                               shape[2] + "\u00d7" + shape[3] + " input";
      $("status").textContent = "ready";
      $("status").className = "ready";
      return;
    }
    $("status").textContent = "warming up";
  } catch (e) {
    $("status").textContent = "offline";
  }
  setTimeout(watchReady, 1000);
}

function render(predictions, timing, roundTrip) {
  const results = $("results");
  results.innerHTML = "";
  for (const p of predictions) {
    const row = document.createElement("div");
    row.className = "row";
    const label = document.createElement("div");
    label.className = "label";
    label.textContent = p.label;
    const prob = document.createElement("div");
    prob.className = "prob";
    prob.textContent = (100 * p.probability).toFixed(1) + "%";
    const bar = document.createElement("div");
    bar.className = "bar";
    const fill = document.createElement("div");
    fill.style.width = "0%";
    bar.appendChild(fill);
    row.append(label, prob, bar);
    results.appendChild(row);
    requestAnimationFrame(() => { fill.style.width = Math.max(0.5, 100 * p.probability) + "%"; });
  }
  const f = (x) => x.toFixed(1);
  $("latency").innerHTML = "server <b>" + f(timing.total) + " ms</b> (decode " + f(timing.decode) +
      " &middot; queue " + f(timing.queue) + " &middot; inference " + f(timing.inference) +
      ") &middot; round trip <b>" + f(roundTrip) + " ms</b>";
  results.dataset.state = "done";
}

async function predict(file) {
  lastFile = file;
  showError("");
  $("results").dataset.state = "busy";
  $("preview").src = URL.createObjectURL(file);
  $("drop").classList.add("has-image");
  const started = performance.now();
  try {
    const response = await fetch("/v1/predict?topk=" + $("topk").value,
        {method: "POST", body: file, headers: {"Content-Type": file.type || "application/octet-stream"}});
    const body = await response.json();
    if (!response.ok) throw new Error(body.error || ("HTTP " + response.status));
    render(body.predictions[0], body.timing_ms, performance.now() - started);
  } catch (e) {
    $("results").dataset.state = "error";
    showError(e.message);
  }
}

$("file").addEventListener("change", (e) => { if (e.target.files[0]) predict(e.target.files[0]); });
$("topk").addEventListener("change", () => { if (lastFile) predict(lastFile); });
const drop = $("drop");
["dragenter", "dragover"].forEach((t) => drop.addEventListener(t, (e) => {
  e.preventDefault();
  drop.classList.add("over");
}));
["dragleave", "drop"].forEach((t) => drop.addEventListener(t, (e) => {
  e.preventDefault();
  drop.classList.remove("over");
}));
drop.addEventListener("drop", (e) => { if (e.dataTransfer.files[0]) predict(e.dataTransfer.files[0]); });
$("curl").textContent = "curl --data-binary @photo.jpg " + location.origin + "/v1/predict?topk=5";
watchReady();
</script>
</body>
</html>
)HTML";

}  // namespace

const std::string& page_html() {
  static const std::string page(kPage);
  return page;
}

}  // namespace tlab::serve
