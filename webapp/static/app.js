/* m4d-search: progressive enhancement of the search page.
 *
 * Without this file the page is plain forms and links. With it:
 * - ticking a filter, following a page or filter link, or searching fetches the same page
 *   from the server and swaps its regions ([data-region]) in place, with history entries;
 * - the search box offers completions from /api/suggest (ARIA combobox with a listbox);
 * - on a narrow screen the filters start folded.
 * Everything shown comes from the server's HTML (already escaped) or is set as text.
 */
(function () {
  "use strict";

  document.documentElement.classList.add("js");

  var form = document.getElementById("search-form");
  var input = document.getElementById("q");
  if (!form || !input) return;

  var narrow = window.matchMedia("(max-width: 760px)");
  var pending = null;

  // Swapping regions

  function searchPath() {
    return new URL(form.action, location.href).pathname;
  }

  function isSearchLink(link) {
    if (!link || link.target || link.hasAttribute("download")) return false;
    var url = new URL(link.href, location.href);
    return url.origin === location.origin && url.pathname === searchPath();
  }

  // The form's fields in the order the server writes its links (links.KEPT, served on the
  // form), so URLs look alike.
  var ORDER = (form && form.getAttribute("data-params") || "q").split(" ");

  function formUrl() {
    var pairs = [];
    new FormData(form).forEach(function (value, name) {
      if (String(value).trim() !== "") pairs.push([name, value]);
    });
    pairs.sort(function (a, b) { return rank(a[0]) - rank(b[0]); });
    var query = new URLSearchParams(pairs).toString();
    return searchPath() + (query ? "?" + query : "");
  }

  function rank(name) {
    var i = ORDER.indexOf(name);
    return i < 0 ? ORDER.length : i;
  }

  function foldFilters(root) {
    var details = root.querySelector("details.filters");
    if (details && narrow.matches) details.open = false;
  }

  function swap(url, options) {
    options = options || {};
    var main = document.getElementById("main");
    if (!main || !main.hasAttribute("data-region")) {  // an error page: nothing to swap into
      location.assign(url);
      return Promise.resolve();
    }
    if (pending) pending.abort();
    pending = new AbortController();
    var focusedId = document.activeElement && document.activeElement.id;
    var filters = document.querySelector("details.filters");
    var filtersOpen = filters ? filters.open : true;
    if (main) main.setAttribute("aria-busy", "true");
    return fetch(url, { signal: pending.signal, headers: { Accept: "text/html" } })
      .then(function (response) {
        var type = response.headers.get("Content-Type") || "";
        if (!response.ok || type.indexOf("text/html") !== 0) throw new Error("full load");
        return response.text();
      })
      .then(function (html) {
        var doc = new DOMParser().parseFromString(html, "text/html");
        document.querySelectorAll("[data-region][id]").forEach(function (old) {
          var fresh = doc.getElementById(old.id);
          if (fresh) old.replaceWith(document.importNode(fresh, true));
        });
        document.title = doc.title;
        announceResults();
        var freshInput = doc.getElementById("q");
        if (freshInput && options.syncQuery) input.value = freshInput.value;
        var details = document.querySelector("details.filters");
        if (details) details.open = narrow.matches ? filtersOpen : true;
        if (options.push) history.pushState({ m4d: true }, "", url);
        var again = focusedId && document.getElementById(focusedId);
        if (options.focusResults || (focusedId && !again)) {
          var results = document.getElementById("results");
          if (results) {
            results.focus({ preventScroll: true });
            results.scrollIntoView({ block: "start" });
          }
        } else if (again && again !== document.activeElement) {
          again.focus({ preventScroll: true });
        }
      })
      .catch(function (error) {
        if (error.name !== "AbortError") location.assign(url);
      })
      .finally(function () {
        var current = document.getElementById("main");
        if (current) current.removeAttribute("aria-busy");
      });
  }

  // Tell screen readers what the swap brought: the result count, or the no-results heading.
  function announceResults() {
    var live = document.getElementById("live");
    var summary = document.querySelector("#results .summary, #results .notice h2");
    if (live) live.textContent = summary ? summary.textContent.replace(/\s+/g, " ").trim() : "";
  }

  document.addEventListener("change", function (event) {
    var box = event.target;
    if (box.type === "checkbox" && box.form === form) swap(formUrl(), { push: true });
  });

  document.addEventListener("click", function (event) {
    if (event.defaultPrevented || event.button !== 0) return;
    if (event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
    var link = event.target.closest("#main a[href]");
    if (!isSearchLink(link)) return;
    event.preventDefault();
    swap(link.href, { push: true, syncQuery: true, focusResults: !!link.closest(".pager") });
  });

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    closeSuggestions();
    swap(formUrl(), { push: true });
  });

  window.addEventListener("popstate", function () {
    swap(location.href, { syncQuery: true });
  });

  foldFilters(document);

  // Autocomplete: an ARIA 1.2 combobox over a listbox of completions

  var list = document.getElementById("q-suggestions");
  var status = document.getElementById("q-status");
  var suggestUrl = input.getAttribute("data-suggest");
  var timer = null;
  var active = -1;
  var asked = "";
  var suggestFetch = null;

  input.setAttribute("role", "combobox");
  input.setAttribute("aria-autocomplete", "list");
  input.setAttribute("aria-controls", list.id);
  input.setAttribute("aria-expanded", "false");
  input.setAttribute("autocomplete", "off");

  function options() {
    return list.querySelectorAll("[role=option]");
  }

  function closeSuggestions() {
    list.hidden = true;
    list.replaceChildren();
    active = -1;
    input.setAttribute("aria-expanded", "false");
    input.removeAttribute("aria-activedescendant");
  }

  function announce(count) {
    var text = count === 1 ? input.getAttribute("data-one-suggestion")
      : input.getAttribute("data-suggestions").replace("{n}", String(count));
    status.textContent = count ? text : "";
  }

  function show(typed, completions) {
    list.replaceChildren();
    active = -1;
    input.removeAttribute("aria-activedescendant");
    completions.forEach(function (text, i) {
      var item = document.createElement("li");
      item.id = "q-option-" + i;
      item.setAttribute("role", "option");
      item.setAttribute("aria-selected", "false");
      item.dataset.value = text;
      // The typed part plain, the completion in bold (both as text, never HTML).
      var shared = text.toLowerCase().indexOf(typed.toLowerCase()) === 0 ? typed.length : 0;
      item.append(text.slice(0, shared));
      var rest = document.createElement("b");
      rest.textContent = text.slice(shared);
      item.append(rest);
      list.append(item);
    });
    var open = completions.length > 0;
    list.hidden = !open;
    input.setAttribute("aria-expanded", String(open));
    announce(completions.length);
  }

  function fetchSuggestions() {
    var typed = input.value;
    if (typed === asked) return;
    asked = typed;
    if (!typed.trim() || /\s$/.test(typed)) {
      closeSuggestions();
      return;
    }
    if (suggestFetch) suggestFetch.abort();
    suggestFetch = new AbortController();
    fetch(suggestUrl + "?q=" + encodeURIComponent(typed), { signal: suggestFetch.signal })
      .then(function (response) { return response.ok ? response.json() : [typed, []]; })
      .then(function (data) {
        if (input.value !== typed || document.activeElement !== input) return;
        var completions = (Array.isArray(data) && Array.isArray(data[1]) ? data[1] : [])
          .filter(function (text) { return text !== typed; });
        show(typed, completions);
      })
      .catch(function () { /* no suggestions is fine */ });
  }

  function highlight(index) {
    var items = options();
    if (!items.length) return;
    active = (index + items.length) % items.length;
    items.forEach(function (item, i) { item.setAttribute("aria-selected", String(i === active)); });
    input.setAttribute("aria-activedescendant", items[active].id);
    items[active].scrollIntoView({ block: "nearest" });
  }

  function choose(item) {
    input.value = item.dataset.value;
    asked = input.value;
    closeSuggestions();
    form.requestSubmit();
  }

  input.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(fetchSuggestions, 120);
  });

  input.addEventListener("keydown", function (event) {
    var open = !list.hidden;
    if (event.key === "ArrowDown") {
      event.preventDefault();
      if (open) highlight(active + 1);
      else { asked = ""; fetchSuggestions(); }
    } else if (event.key === "ArrowUp" && open) {
      event.preventDefault();
      highlight(active - 1);
    } else if (event.key === "Enter" && open && active >= 0) {
      event.preventDefault();
      choose(options()[active]);
    } else if (event.key === "Escape" && open) {
      event.preventDefault();
      closeSuggestions();
    }
  });

  input.addEventListener("blur", function () {
    setTimeout(closeSuggestions, 0);
  });

  // mousedown, not click: the box keeps its focus until the choice is made.
  list.addEventListener("mousedown", function (event) {
    var item = event.target.closest("[role=option]");
    if (!item) return;
    event.preventDefault();
    choose(item);
  });
})();
