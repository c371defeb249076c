// Entry point of the relevance-explorer page: tabs, the list of runs, and the three views.
// The URL holds the view (urlstate.js): /?run=r1&class=shapes-a/0 opens that class directly.

import { getJson } from "./api.js";
import { initClassView, viewContext } from "./classview.js";
import { initCompareView } from "./compare.js";
import { initConsole } from "./console.js";
import { initExplanation } from "./explain.js";
import { drawn } from "./graph.js";
import { busy, clearError } from "./ui.js";
import * as urlstate from "./urlstate.js";
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
      urlstate.saveSoon();
    });
  }
  const name = (tab) => tab.id.replace(/^tab-/, "");
  urlstate.register(
    "tab",
    () => {
      const chosen = tabs.find((tab) => tab.getAttribute("aria-selected") === "true");
      return chosen && chosen !== tabs[0] ? name(chosen) : "";
    },
    (value) => {
      const chosen = tabs.find((tab) => name(tab) === value);
      if (chosen) chosen.click();
    },
  );
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
  await urlstate.restore();
  document.body.dataset.ready = "true";
}

start();
