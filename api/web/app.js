// Entry point of the relevance-explorer page: tabs, the list of runs, and the three views.
// A URL like /?run=r1&class=shapes-a/0 opens that class directly.

import { getJson } from "./api.js";
import { initClassView, viewContext } from "./classview.js";
import { initCompareView } from "./compare.js";
import { initConsole } from "./console.js";
import { initExplanation } from "./explain.js";
import { drawn } from "./graph.js";
import { busy, clearError } from "./ui.js";
import { initWorkingSet } from "./workingset.js";

function initTabs() {
  const tabs = [...document.querySelectorAll("[role=tab]")];
  for (const tab of tabs) {
    tab.addEventListener("click", () => {
      clearError();
      for (const other of tabs) {
        const chosen = other === tab;
        other.setAttribute("aria-selected", String(chosen));
        document.getElementById(other.dataset.view).hidden = !chosen;
      }
    });
  }
}

async function start() {
  window.relex = { drawn };
  initTabs();
  initConsole();
  const runs = (await busy("loading runs", () => getJson("/api/runs"))) ?? [];
  const choices = runs.map((run) => ({ id: run.id, label: `${run.id} (${run.model} on ${run.dataset})` }));
  initClassView(choices);
  initExplanation(viewContext);
  initWorkingSet(viewContext);
  initCompareView(choices);
  const wanted = new URLSearchParams(window.location.search);
  if (wanted.get("run")) {
    document.getElementById("run").value = wanted.get("run");
    document.getElementById("run").dispatchEvent(new Event("change"));
  }
  if (wanted.get("class")) {
    document.getElementById("class").value = wanted.get("class");
    document.getElementById("class-form").requestSubmit();
  }
  document.body.dataset.ready = "true";
}

start();
