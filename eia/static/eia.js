import { initAll } from "./govuk-frontend/govuk-frontend.min.js";

// GOV.UK Frontend sets aria-expanded on radios and checkboxes that reveal a question. ARIA does not
// allow it on those roles (govuk-frontend issue #979) and axe reports it, so we remove it each time it
// is set; the revealed question still follows its option in reading order.
const conditionalInputs = "input.govuk-radios__input[aria-controls], input.govuk-checkboxes__input[aria-controls]";
const dropExpanded = (input) => input.removeAttribute("aria-expanded");
new MutationObserver((changes) => {
  for (const change of changes) {
    if (change.target.matches(conditionalInputs) && change.target.hasAttribute("aria-expanded")) {
      dropExpanded(change.target);
    }
  }
}).observe(document.body, { attributes: true, attributeFilter: ["aria-expanded"], subtree: true });

// Every form's buttons ignore a second click within a moment (GOV.UK Frontend's preventDoubleClick), so a
// double click posts once. The server also treats a repeated decision as the first (eia.services.progress).
document.querySelectorAll("form button.govuk-button, form input[type=submit].govuk-button").forEach((button) => {
  button.setAttribute("data-module", "govuk-button");
  button.setAttribute("data-prevent-double-click", "true");
});

initAll();
document.querySelectorAll(conditionalInputs).forEach(dropExpanded);

// A question revealed by several options of a radio group sits after the group (eia/web/form_builder.py):
// show it while one of those options is chosen. Without JavaScript it is always shown.
document.querySelectorAll("[data-reveal-parent]").forEach((block) => {
  const radios = document.querySelectorAll(`input[type="radio"][name="${block.dataset.revealParent}"]`);
  const values = block.dataset.revealValues.split(" ");
  const sync = () => {
    block.hidden = !Array.from(radios).some((radio) => radio.checked && values.includes(radio.value));
  };
  radios.forEach((radio) => radio.addEventListener("change", sync));
  window.addEventListener("pageshow", sync);
  sync();
});
