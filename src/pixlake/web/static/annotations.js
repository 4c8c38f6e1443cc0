// Annotations drawn over pictures: a toggle per label, the fill's opacity, badge colours,
// and, on a picture's page, keys to review it (A accept, R reject) and to move (arrows).
"use strict";

(function () {
  const root = document.documentElement;
  const legend = document.getElementById("legend");

  for (const badge of document.querySelectorAll(".badge[data-colour]")) {
    badge.style.borderColor = badge.dataset.colour;
    badge.style.color = badge.dataset.colour;
  }

  if (legend) {
    const hidden = new Set();
    const apply = () => {
      for (const shape of document.querySelectorAll(".shape[data-l]")) {
        shape.classList.toggle("hidden", hidden.has(shape.dataset.l));
      }
    };
    for (const box of legend.querySelectorAll("input[data-toggle]")) {
      box.addEventListener("change", () => {
        if (box.checked) hidden.delete(box.dataset.toggle);
        else hidden.add(box.dataset.toggle);
        apply();
      });
    }
    const opacity = document.getElementById("opacity");
    const setOpacity = () => root.style.setProperty("--fill-opacity", String(opacity.value / 100));
    opacity.addEventListener("input", setOpacity);
    setOpacity();
  }

  const review = document.getElementById("review");
  document.addEventListener("keydown", (event) => {
    if (event.altKey || event.ctrlKey || event.metaKey) return;
    if (event.target instanceof HTMLElement && event.target.closest("input, select, textarea")) {
      if (event.target.type !== "checkbox" && event.target.type !== "range") return;
    }
    if (event.key === "ArrowRight" || event.key === "ArrowLeft") {
      const link = document.getElementById(event.key === "ArrowRight" ? "next" : "previous");
      if (link) {
        event.preventDefault();
        link.click();
      }
      return;
    }
    if (!review) return;
    const button = review.querySelector(`button[data-key="${event.key.toLowerCase()}"]`);
    if (button) {
      event.preventDefault();
      review.requestSubmit(button);
    }
  });
})();
