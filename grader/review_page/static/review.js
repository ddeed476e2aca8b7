/* The review page's keyboard shortcuts (the help dialog, `?`, lists them) and the marks box
   that follows the ticked rubric points. No inline script anywhere: the page's
   Content-Security-Policy runs only this file and htmx. */
(function () {
  "use strict";

  function decisionForm() {
    return document.querySelector("#panel form.decision");
  }

  /* A box the TA types into: shortcuts stay off there. */
  function isTyping(el) {
    if (!el || !el.tagName) return false;
    if (el.tagName === "TEXTAREA" || el.tagName === "SELECT" || el.isContentEditable) return true;
    return el.tagName === "INPUT" && ["checkbox", "radio", "button", "submit"].indexOf(el.type) < 0;
  }

  /* The marks box follows the ticked points (the TA may still type any marks after). */
  function followPoints(form) {
    let total = 0;
    form.querySelectorAll('input[name="points"]:checked').forEach(function (box) {
      total += parseFloat(box.dataset.marks);
    });
    total = Math.min(total, parseFloat(form.dataset.max));
    form.elements.marks.value = String(Math.round(total * 1e6) / 1e6);
  }

  function moveGroup(delta) {
    const links = Array.from(document.querySelectorAll("#group-list a.group-link"));
    if (!links.length) return;
    const at = links.findIndex(function (a) { return a.classList.contains("current"); });
    const next = links[Math.min(Math.max(at + delta, 0), links.length - 1)];
    if (next && next !== links[at]) next.click();
  }

  function togglePoint(n) {
    const form = decisionForm();
    if (!form) return;
    const boxes = form.querySelectorAll('input[name="points"]');
    if (n > boxes.length) return;
    boxes[n - 1].checked = !boxes[n - 1].checked;
    followPoints(form);
  }

  function confirmDecision() {
    const form = decisionForm();
    if (form) form.requestSubmit(); // runs the browser's checks of the marks box first
  }

  function showAnswers() {
    const details = document.querySelector("#panel details.members");
    if (!details) return;
    details.open = true;
    const first = details.querySelector("li.answer");
    if (first) first.focus();
  }

  function splitFocused() {
    const item = document.activeElement && document.activeElement.closest
      ? document.activeElement.closest("li.answer") : null;
    if (item) item.querySelector("button.split").click();
    else showAnswers(); // nothing focused yet: show the answers, the next `s` splits
  }

  function focusField(name) {
    const form = decisionForm();
    if (form && form.elements[name]) form.elements[name].focus();
  }

  function toggleHelp() {
    const help = document.getElementById("help");
    if (!help) return;
    if (help.open) help.close();
    else help.showModal();
  }

  const keys = {
    j: function () { moveGroup(1); },
    ArrowDown: function () { moveGroup(1); },
    k: function () { moveGroup(-1); },
    ArrowUp: function () { moveGroup(-1); },
    Enter: confirmDecision,
    s: splitFocused,
    a: showAnswers,
    c: function () { focusField("comment"); },
    m: function () { focusField("marks"); },
    "?": toggleHelp,
  };

  document.addEventListener("keydown", function (e) {
    if (e.defaultPrevented || e.isComposing || e.altKey || e.metaKey) return;
    const target = e.target;
    const help = document.getElementById("help");
    if (help && help.open) {
      if (e.key === "?") { e.preventDefault(); help.close(); }
      return; // Esc closes the dialog by itself
    }
    if (isTyping(target)) {
      if (e.key === "Escape") target.blur();
      else if (e.key === "Enter" && (target.name === "marks" || e.ctrlKey)) {
        e.preventDefault();
        confirmDecision();
      }
      return;
    }
    if (e.ctrlKey) return;
    if (e.key === "Enter" && target.closest && target.closest("button, a, summary")) return;
    if (/^[1-9]$/.test(e.key)) {
      e.preventDefault();
      togglePoint(Number(e.key));
      return;
    }
    const action = keys[e.key];
    if (action) {
      e.preventDefault();
      action();
    }
  });

  document.addEventListener("change", function (e) {
    if (e.target.matches && e.target.matches('form.decision input[name="points"]')) {
      followPoints(e.target.form);
    }
  });

  document.addEventListener("click", function (e) {
    if (e.target.closest && e.target.closest("[data-help]")) toggleHelp();
  });
})();
