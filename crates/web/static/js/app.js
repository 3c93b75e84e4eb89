// Insignia dashboard behaviour. Everything here is an enhancement: every page works without it.
(function () {
  "use strict";

  function csrfToken() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.content : "";
  }

  // htmx requests carry the CSRF token as a header.
  document.addEventListener("htmx:configRequest", function (event) {
    event.detail.headers["X-CSRF-Token"] = csrfToken();
  });

  // Colour pickers mirror the hex text fields they sit beside, both ways.
  function syncPickers(root) {
    root.querySelectorAll('input[type="color"][data-sync]').forEach(function (picker) {
      var text = document.getElementById(picker.dataset.sync);
      if (!text || picker.dataset.bound) return;
      picker.dataset.bound = "1";
      var fromText = function () {
        if (/^#[0-9a-fA-F]{6}$/.test(text.value.trim())) picker.value = text.value.trim().toLowerCase();
      };
      fromText();
      text.addEventListener("input", fromText);
      picker.addEventListener("input", function () {
        text.value = picker.value.toUpperCase();
        text.dispatchEvent(new Event("input", { bubbles: true }));
      });
    });
  }

  // "Use black/white text" in the contrast warning.
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-set-text-color]");
    if (!button) return;
    var field = document.getElementById("text_color");
    if (!field) return;
    field.value = button.dataset.setTextColor;
    field.dispatchEvent(new Event("input", { bubbles: true }));
    field.dispatchEvent(new Event("change", { bubbles: true }));
    field.focus();
  });

  // Typing a web address picks the "web address" icon option.
  document.addEventListener("input", function (event) {
    if (event.target.id === "icon_url") {
      var choice = document.getElementById("icon-url-choice");
      if (choice) choice.checked = true;
    }
  });

  // Drag and drop ordering: saved as soon as a badge is dropped.
  function bindSortable(root) {
    var list = root.querySelector ? root.querySelector("#badge-list") : null;
    if (!list && root.id === "badge-list") list = root;
    if (!list || list.dataset.sortable || typeof Sortable === "undefined") return;
    list.dataset.sortable = "1";
    Sortable.create(list, {
      handle: ".drag-handle",
      animation: 150,
      forceFallback: true,
      ghostClass: "dragging",
      onEnd: function (event) {
        if (event.oldIndex === event.newIndex) return;
        var ids = Array.prototype.map.call(list.querySelectorAll(".badge-row"), function (row) {
          return row.dataset.id;
        });
        htmx.ajax("POST", "/dashboard/badges/order", {
          source: list,
          target: "#badge-list",
          swap: "outerHTML",
          values: { badge_id: ids, order_version: list.dataset.orderVersion }
        });
      }
    });
  }

  // Member picker: ticked members go to a tray that survives new searches, so members found
  // by different searches can be given the badge at once.
  function trayInput(id) {
    return document.querySelector('#picker-selected input[name="member_id"][value="' + CSS.escape(id) + '"]');
  }

  function syncTray() {
    var tray = document.getElementById("picker-selected");
    if (!tray) return;
    tray.hidden = !tray.querySelector("li");
    document.querySelectorAll('#picker-results input[type="checkbox"]').forEach(function (box) {
      box.checked = !!trayInput(box.value);
    });
  }

  document.addEventListener("change", function (event) {
    var box = event.target;
    if (!box.matches || !box.matches('#picker-results input[type="checkbox"]')) return;
    var list = document.querySelector("#picker-selected .chips");
    if (!list) return;
    var existing = trayInput(box.value);
    if (box.checked && !existing) {
      var item = document.createElement("li");
      item.className = "chip";
      var input = document.createElement("input");
      input.type = "hidden";
      input.name = "member_id";
      input.value = box.value;
      var label = document.createElement("span");
      label.textContent = box.dataset.label || box.value;
      var remove = document.createElement("button");
      remove.type = "button";
      remove.className = "chip-remove";
      remove.setAttribute("aria-label", "Untick " + (box.dataset.label || ""));
      remove.textContent = "×";
      remove.addEventListener("click", function () {
        item.remove();
        syncTray();
      });
      item.append(input, label, remove);
      list.appendChild(item);
    } else if (!box.checked && existing) {
      existing.closest("li").remove();
    }
    syncTray();
  });

  // The result checkboxes are only a view of the tray once JavaScript runs: the tray's
  // hidden inputs are what the form sends.
  document.addEventListener("htmx:afterSwap", function (event) {
    if (event.detail.target && event.detail.target.id === "picker-results") syncTray();
  });
  document.addEventListener("submit", function (event) {
    if (event.target.id !== "assign-form") return;
    event.target.querySelectorAll('#picker-results input[type="checkbox"]').forEach(function (box) {
      box.disabled = true;
    });
  });

  // The elevation badge counts down; when it runs out the page says so.
  function tickElevation() {
    var state = document.getElementById("elevation-state");
    if (!state || !state.dataset.seconds) return;
    var left = parseInt(state.dataset.seconds, 10);
    var shown = state.querySelector(".elevation-time");
    var started = Date.now();
    var timer = setInterval(function () {
      var remaining = left - Math.floor((Date.now() - started) / 1000);
      if (remaining <= 0) {
        clearInterval(timer);
        state.textContent = "Elevation ended";
        return;
      }
      if (shown) shown.textContent = remaining >= 60 ? Math.ceil(remaining / 60) + " min" : remaining + " s";
    }, 1000);
  }

  // On a phone the header folds into a "Menu" button (without JavaScript it stays open).
  function bindMenu() {
    var toggle = document.querySelector(".menu-toggle");
    var menu = document.getElementById("topbar-menu");
    if (!toggle || !menu) return;
    toggle.hidden = false;
    menu.classList.add("folds");
    toggle.addEventListener("click", function () {
      var open = toggle.getAttribute("aria-expanded") !== "true";
      toggle.setAttribute("aria-expanded", open ? "true" : "false");
      menu.classList.toggle("open", open);
    });
  }

  // "Tick all on this page": a header box that ticks every row's box of the same name.
  function bindTickAll(root) {
    root.querySelectorAll("input[data-tick-all]").forEach(function (all) {
      if (all.dataset.bound) return;
      all.dataset.bound = "1";
      all.hidden = false;
      var boxes = function () {
        return all.form.querySelectorAll('input[type="checkbox"][name="' + all.dataset.tickAll + '"]');
      };
      all.addEventListener("change", function () {
        boxes().forEach(function (box) { box.checked = all.checked; });
      });
      all.form.addEventListener("change", function (event) {
        if (event.target === all) return;
        var list = Array.prototype.slice.call(boxes());
        var ticked = list.filter(function (box) { return box.checked; }).length;
        all.checked = ticked === list.length;
        all.indeterminate = ticked > 0 && ticked < list.length;
      });
    });
  }

  // Times are written in UTC by the server; the reader sees them in their own time zone,
  // recent ones as "3 days ago", with the exact time on hover.
  var relative = typeof Intl !== "undefined" && Intl.RelativeTimeFormat
    ? new Intl.RelativeTimeFormat(undefined, { numeric: "auto" }) : null;
  var exact = typeof Intl !== "undefined"
    ? new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" }) : null;
  function localTimes(root) {
    if (!exact) return;
    var now = Date.now();
    root.querySelectorAll("time[datetime]").forEach(function (el) {
      if (el.dataset.local) return;
      var at = new Date(el.getAttribute("datetime"));
      if (isNaN(at.getTime())) return;
      el.dataset.local = "1";
      var full = exact.format(at);
      el.title = full;
      var seconds = Math.round((at.getTime() - now) / 1000);
      var ago = Math.abs(seconds);
      var units = [[60, "second", 1], [3600, "minute", 60], [86400, "hour", 3600], [86400 * 7, "day", 86400]];
      var text = full;
      if (relative) {
        for (var i = 0; i < units.length; i++) {
          if (ago < units[i][0]) {
            text = ago < 45 ? relative.format(0, "second") : relative.format(Math.round(seconds / units[i][2]), units[i][1]);
            break;
          }
        }
      }
      el.textContent = text;
    });
  }

  // Long work (a bulk list, an import): once the form is sent its buttons are disabled, so it
  // cannot be sent twice, and the page says the server is working until the answer comes.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.dataset || !form.dataset.busy || event.defaultPrevented) return;
    // Disabled after the browser has read the form: a disabled button would not be sent.
    setTimeout(function () {
      form.querySelectorAll("button[type=submit], button:not([type])").forEach(function (b) {
        b.disabled = true;
      });
    }, 0);
    if (form.querySelector(".busy")) return;
    var note = document.createElement("p");
    note.className = "busy";
    note.setAttribute("role", "status");
    var bar = document.createElement("progress");
    bar.setAttribute("aria-label", "Working");
    note.append(bar, " ", form.dataset.busy);
    form.appendChild(note);
  });

  // Coming back to a page kept in the back/forward cache: the form is usable again.
  window.addEventListener("pageshow", function (event) {
    if (!event.persisted) return;
    document.querySelectorAll("form[data-busy]").forEach(function (form) {
      form.querySelectorAll(".busy").forEach(function (n) { n.remove(); });
      form.querySelectorAll("button").forEach(function (b) { b.disabled = false; });
    });
  });

  // A refused form: focus goes to the summary at the top, which links to each field.
  function focusErrorSummary() {
    var summary = document.getElementById("error-summary");
    if (summary) summary.focus();
  }

  // Two options that cannot both be on: ticking one turns the other off and disables it
  // (the server refuses the pair either way).
  function syncExclusive() {
    document.querySelectorAll("input[type=checkbox][data-excludes]").forEach(function (box) {
      var other = document.getElementById(box.dataset.excludes);
      if (other) other.disabled = box.checked;
    });
  }
  document.addEventListener("change", function (event) {
    if (event.target.matches && event.target.matches("input[data-excludes]")) syncExclusive();
  });

  // The preview shows a chosen SVG file before it is uploaded (as a data: image, which runs
  // nothing), and says so when an icon address does not load.
  var chosenIcon = null;
  function showChosenIcon() {
    if (!chosenIcon) return;
    // The uploaded file replaces any other icon, so a warning about an address is moot.
    document.querySelectorAll("#preview .icon-warning").forEach(function (w) { w.remove(); });
    document.querySelectorAll("#preview .badge").forEach(function (badge) {
      var old = badge.querySelector(".badge-icon");
      var img = document.createElement("img");
      img.className = "badge-icon";
      img.alt = "";
      img.src = chosenIcon;
      if (old) old.replaceWith(img); else badge.insertBefore(img, badge.firstChild);
    });
  }
  // A chosen file replaces the icon picked in the grid (the server says so too): the grid's
  // choice is cleared and the file is shown as the one chosen; clearing the file brings the
  // earlier choice back.
  var pickedBeforeUpload = null;
  function showUploadAsChosen(file, src) {
    var note = document.getElementById("chosen-upload");
    var radios = document.querySelectorAll("#icon-field input[type=radio][name=icon]");
    if (!file) {
      if (note) note.remove();
      if (pickedBeforeUpload) pickedBeforeUpload.checked = true;
      pickedBeforeUpload = null;
      return;
    }
    radios.forEach(function (r) { if (r.checked) { pickedBeforeUpload = r; r.checked = false; } });
    if (!note) {
      note = document.createElement("p");
      note.id = "chosen-upload";
      note.className = "chosen-upload";
      note.setAttribute("role", "status");
      var input = document.getElementById("icon_file");
      input.parentNode.insertBefore(note, input.nextSibling);
    }
    var img = document.createElement("img");
    img.className = "upload-thumb";
    img.alt = "";
    img.src = src;
    note.replaceChildren(img, " Chosen: " + file.name + ". It replaces the icon picked above.");
  }
  document.addEventListener("change", function (event) {
    if (event.target.matches && event.target.matches("#icon-field input[type=radio][name=icon]")) {
      // Picking a tile again means that tile, not the file.
      var fileInput = document.getElementById("icon_file");
      if (fileInput && fileInput.value) {
        fileInput.value = "";
        chosenIcon = null;
        pickedBeforeUpload = null;
        var note = document.getElementById("chosen-upload");
        if (note) note.remove();
      }
      return;
    }
    if (event.target.id !== "icon_file") return;
    var file = event.target.files && event.target.files[0];
    chosenIcon = null;
    if (!file) {
      showUploadAsChosen(null);
      return;
    }
    var reader = new FileReader();
    reader.onload = function () {
      chosenIcon = reader.result;
      showChosenIcon();
      showUploadAsChosen(file, reader.result);
    };
    reader.readAsDataURL(file);
  });
  document.addEventListener("htmx:afterSwap", function (event) {
    if (event.detail.target && event.detail.target.id === "preview") showChosenIcon();
  });
  document.addEventListener("error", function (event) {
    var img = event.target;
    if (!img.matches || !img.matches("#preview img.badge-icon") || img.src.indexOf("data:") === 0 || chosenIcon) return;
    var preview = document.getElementById("preview");
    if (!preview || preview.querySelector(".icon-warning")) return;
    var warning = document.createElement("p");
    warning.className = "field-error icon-warning";
    warning.textContent = "The icon at this address did not load, so members would see none. Check the address.";
    preview.appendChild(warning);
  }, true);

  // Arriving at an answer's own part (a bulk report: `#bulk-report-heading`): the address
  // scrolls it into view, and the focus goes there too, so the keyboard and a screen reader
  // start at the answer instead of the top of the page.
  function focusArrival() {
    var id = decodeURIComponent(location.hash.slice(1));
    var target = id && document.getElementById(id);
    if (target && target.getAttribute("tabindex") === "-1") target.focus();
  }

  function init(root) {
    syncPickers(root);
    bindSortable(root);
    bindTickAll(root);
    localTimes(root);
  }

  document.addEventListener("DOMContentLoaded", function () {
    bindMenu();
    syncExclusive();
    focusErrorSummary();
    focusArrival();
    init(document);
    tickElevation();
  });
  document.addEventListener("htmx:afterSettle", function (event) {
    init(document);
    refocusOwnBadges(event);
  });

  // On /me, Pin, Hide, Add and Remove swap the whole list (`#own-badges`), and the button used
  // goes with the old markup. The focus goes to its counterpart in the new list instead of the
  // page's start: the same button of the same badge, else that badge's first control (Unpin
  // after Pin, Show after Hide, the new row after Add), else the list's heading.
  var ownUsed = null;
  document.addEventListener("htmx:beforeRequest", function (event) {
    var active = document.activeElement;
    var form = event.detail.elt;
    if (!form || !form.closest || !form.closest("#own-badges")) return;
    var badge = form.querySelector("input[name=badge_id]");
    ownUsed = {
      badge: badge ? badge.value : null,
      action: active && active.form === form ? active.value : null,
    };
  });
  function refocusOwnBadges(event) {
    var target = event.detail && event.detail.target;
    if (!ownUsed || !target || target.id !== "own-badges") return;
    var list = document.getElementById("own-badges");
    var used = ownUsed;
    ownUsed = null;
    if (!list) return;
    var forms = Array.from(list.querySelectorAll("form")).filter(function (f) {
      var badge = f.querySelector("input[name=badge_id]");
      return badge && badge.value === used.badge;
    });
    var buttons = [];
    forms.forEach(function (f) { buttons = buttons.concat(Array.from(f.querySelectorAll("button"))); });
    var same = buttons.filter(function (b) { return b.value === used.action; })[0];
    var next = same || buttons[0];
    if (!next) {
      next = list.querySelector("h2");
      if (next) next.setAttribute("tabindex", "-1");
    }
    if (next) next.focus();
  }

  // A change htmx sent that the server refused (a spent budget, a bad form): htmx swaps
  // nothing then, so the error page's message goes into the flash area instead.
  document.addEventListener("htmx:responseError", function (event) {
    var area = document.getElementById("flash-area");
    var xhr = event.detail.xhr;
    if (!area || !xhr) return;
    var page = new DOMParser().parseFromString(xhr.responseText || "", "text/html");
    var message = page.querySelector(".error-message");
    var note = document.createElement("div");
    note.className = "flash flash-error";
    note.setAttribute("role", "alert");
    note.textContent = message ? message.textContent : "That did not work. Please reload the page and try again.";
    area.replaceChildren(note);
  });
})();
