// The datalake grid: ticking pictures (shift-click ticks a range), the count of what is
// selected, and a confirmation before a deletion.
"use strict";

(function () {
  const form = document.getElementById("selection");
  const grid = document.getElementById("grid");
  if (!form) return;
  const boxes = grid ? Array.from(grid.querySelectorAll('input[name="ids"]')) : [];
  const allMatching = document.getElementById("all-matching");
  const counter = form.querySelector('[data-testid="selected"]');
  let last = null;

  function refresh() {
    const ticked = boxes.filter((box) => box.checked).length;
    counter.textContent = allMatching.checked ? "all matching selected" : `${ticked} selected`;
    for (const box of boxes) {
      box.disabled = allMatching.checked;
      box.closest("li").classList.toggle("picked", box.checked || allMatching.checked);
    }
  }

  boxes.forEach((box, index) => {
    box.addEventListener("click", (event) => {
      if (event.shiftKey && last !== null && last !== index) {
        const [from, to] = last < index ? [last, index] : [index, last];
        for (let i = from; i <= to; i += 1) boxes[i].checked = box.checked;
      }
      last = index;
      refresh();
    });
  });
  allMatching.addEventListener("change", refresh);

  form.addEventListener("submit", (event) => {
    const button = event.submitter;
    const nothing = !allMatching.checked && !boxes.some((box) => box.checked);
    if (nothing) {
      event.preventDefault();
      counter.textContent = "select pictures first (or all matching)";
      return;
    }
    if (button && button.dataset.confirm && !window.confirm(button.dataset.confirm)) {
      event.preventDefault();
    }
  });
  refresh();
})();
