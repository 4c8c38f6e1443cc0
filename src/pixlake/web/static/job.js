// A job's page: its state asked for every second until the job has ended.
"use strict";

(function () {
  const card = document.getElementById("job");
  if (!card) return;
  const show = (id, on) => { document.getElementById(id).hidden = !on; };
  async function poll() {
    const answer = await fetch(card.dataset.stateUrl, { credentials: "same-origin" });
    if (!answer.ok) return;
    const state = await answer.json();
    const bar = document.getElementById("progress");
    bar.max = Math.max(state.total, 1);
    bar.value = state.done;
    document.getElementById("count").textContent = `${state.done} of ${state.total}`;
    document.getElementById("message").textContent = state.message;
    const status = card.querySelector('[data-testid="status"]');
    status.textContent = state.status;
    status.className = `status ${state.status}`;
    document.getElementById("error").textContent = state.error || "";
    show("error", Boolean(state.error));
    show("download", state.download);
    if (state.status === "queued" || state.status === "running") window.setTimeout(poll, 1000);
  }
  poll();
})();
