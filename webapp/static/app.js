/* m4d-search: progressive enhancement of the search page.
 *
 * Without this file the page is plain forms and links. With it:
 * - typing in the box shows the results for what is typed (debounced, stale requests
 *   aborted), the address following with history.replaceState; searching (Enter), ticking a
 *   filter, following a page, order or filter link fetch the same page from the server and
 *   swap its regions ([data-region]) in place, each with a history entry;
 * - after each update focus lands somewhere sensible (never on <body>) and the live region
 *   tells screen readers what changed;
 * - in-page links ("Skip to results", "Filters") move focus without fetching anything;
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

  var TYPING_DELAY = 200;      // ms after the last keystroke before the results are fetched
  var SUGGEST_DELAY = 120;     // ms before completions are asked for
  var TYPING_ANNOUNCE = 1000;  // ms of calm before the live region reads a typed search's count

  var narrow = window.matchMedia("(max-width: 760px)");
  var pending = null;          // the AbortController of the page being fetched
  var generation = 0;          // bumped by every fetch: only the newest one may change the page
  var loadedUrl = withoutHash(location.href);  // what the page shows
  var typingFrom = null;       // the address before typing began (replaced while typing)
  var shownQuery = input.defaultValue;  // the query of the page shown (the box's, as served)
  var typeTimer = null;
  var announceTimer = null;

  function withoutHash(url) {
    var u = new URL(url, location.href);
    u.hash = "";
    return u.href;
  }

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
  var ORDER = (form.getAttribute("data-params") || "q").split(" ");

  function formUrl() {
    var pairs = [];
    new FormData(form).forEach(function (value, name) {
      if (String(value).trim() === "") return;
      // "Search instead for …" holds for that query only: an edited query is corrected again.
      if (name === "exact" && input.value !== shownQuery) return;
      pairs.push([name, value]);
    });
    pairs.sort(function (a, b) { return rank(a[0]) - rank(b[0]); });
    var query = new URLSearchParams(pairs).toString();
    return new URL(searchPath() + (query ? "?" + query : ""), location.href).href;
  }

  function rank(name) {
    var i = ORDER.indexOf(name);
    return i < 0 ? ORDER.length : i;
  }

  function foldFilters(root) {
    var details = root.querySelector("details.filters");
    if (details && narrow.matches) details.open = false;
  }

  // The element that says what the page now shows: the result count, or the heading of
  // "no results" or of a refused search.
  function focusTarget() {
    return document.querySelector("#main [data-focus]") || document.getElementById("results");
  }

  function moveFocus(element) {
    if (!element) element = focusTarget();
    if (!element) return;
    if (!element.matches("a[href], button, input, select, textarea, [tabindex]")) element.setAttribute("tabindex", "-1");
    element.focus({ preventScroll: true });
    var box = element.getBoundingClientRect();
    if (box.top < 0 || box.bottom > window.innerHeight) element.scrollIntoView({ block: "start" });
  }

  function record(url, how) {
    if (how === "type") {
      if (typingFrom === null) typingFrom = location.href;
      history.replaceState({ m4d: true }, "", url);
    } else if (how === "push") {
      // Typing replaced the entry it started from: put it back, so Back returns to it.
      if (typingFrom !== null && withoutHash(typingFrom) !== withoutHash(url)) {
        history.replaceState({ m4d: true }, "", typingFrom);
        history.pushState({ m4d: true }, "", url);
      } else if (typingFrom !== null) {
        history.replaceState({ m4d: true }, "", url);
      } else {
        history.pushState({ m4d: true }, "", url);
      }
      typingFrom = null;
    }
  }

  /* Fetch url and swap the page's regions.
   * options.history: "push" (a new entry), "type" (replace the entry while typing) or none;
   * options.focus: a function returning the element to focus once swapped (none: focus
   *   stays where it is, or goes to the result count when its element is gone);
   * options.typing: a search as you type (focus and the box are left alone);
   * options.syncQuery: set the box to the new page's query (history, links to a query). */
  function swap(url, options) {
    options = options || {};
    var main = document.getElementById("main");
    if (!main || !main.hasAttribute("data-region")) {  // an error page: nothing to swap into
      if (!options.typing) location.assign(url);
      return Promise.resolve();
    }
    if (pending) pending.abort();
    var controller = new AbortController();
    pending = controller;
    var mine = ++generation;
    var focusedId = document.activeElement && document.activeElement.id;
    var filters = document.querySelector("details.filters");
    var filtersOpen = filters ? filters.open : true;
    main.setAttribute("aria-busy", "true");
    return fetch(url, { signal: controller.signal, headers: { Accept: "text/html" } })
      .then(function (response) {
        var type = response.headers.get("Content-Type") || "";
        // A refused search (400) is the search page with its message: it swaps in too.
        if ((!response.ok && response.status !== 400) || type.indexOf("text/html") !== 0) throw new Error("full load");
        return response.text();
      })
      .then(function (html) {
        if (mine !== generation) return;  // a newer search has started
        var doc = new DOMParser().parseFromString(html, "text/html");
        document.querySelectorAll("[data-region][id]").forEach(function (old) {
          var fresh = doc.getElementById(old.id);
          if (fresh) old.replaceWith(document.importNode(fresh, true));
        });
        document.title = doc.title;
        loadedUrl = withoutHash(url);
        record(url, options.history);
        var freshInput = doc.getElementById("q");
        if (freshInput) shownQuery = freshInput.value;
        if (freshInput && options.syncQuery) input.value = freshInput.value;
        var details = document.querySelector("details.filters");
        if (details) details.open = narrow.matches ? filtersOpen : true;
        announceResults(options.typing ? TYPING_ANNOUNCE : 0);
        if (options.typing) return;
        if (options.focus) {
          moveFocus(options.focus());
          return;
        }
        var again = focusedId && document.getElementById(focusedId);
        if (focusedId && !again) moveFocus(null);
        else if (again && again !== document.activeElement) again.focus({ preventScroll: true });
      })
      .catch(function (error) {
        if (error.name === "AbortError" || mine !== generation) return;
        if (!options.typing) location.assign(url);
      })
      .finally(function () {
        if (mine !== generation) return;
        pending = null;
        var current = document.getElementById("main");
        if (current) current.removeAttribute("aria-busy");
      });
  }

  // Tell screen readers what the swap brought: the result count, or the heading of the
  // notice (no results, a refused search), and a correction when there is one.
  function announceResults(delay) {
    clearTimeout(announceTimer);
    announceTimer = setTimeout(function () {
      var live = document.getElementById("live");
      if (!live) return;
      var parts = [];
      var summary = document.querySelector("#main [data-focus]");
      if (summary) parts.push(summary.textContent);
      var correction = document.querySelector("#main .correction .showing, #main .did-you-mean");
      if (correction) parts.push(correction.textContent);
      live.textContent = parts.join(" ").replace(/\s+/g, " ").trim();
    }, delay);
  }

  // Where focus goes after following a link of the page, chosen before the swap.
  function focusAfter(link) {
    if (link.closest(".pager")) {
      return function () { return document.getElementById("results"); };
    }
    if (link.matches(".chip:not(.chip-clear)")) {  // the chip now in its place, or the count
      var index = Array.prototype.indexOf.call(document.querySelectorAll(".chips .chip:not(.chip-clear)"), link);
      return function () {
        var chips = document.querySelectorAll(".chips .chip:not(.chip-clear)");
        return chips.length ? chips[Math.min(index, chips.length - 1)] : null;
      };
    }
    if (link.closest(".sort")) {
      return function () { return document.querySelector(".sort [aria-current]"); };
    }
    var facet = link.matches(".facet-clear") && link.closest("fieldset[id]");
    if (facet) {  // the facet's first box, its filter cleared
      var id = facet.id;
      return function () { return document.querySelector("#" + id + " input"); };
    }
    return function () { return null; };  // the result count (or the notice's heading)
  }

  // In-page links ("Skip to results", "Filters"): focus their target, fetch nothing.
  function followFragment(url) {
    var target = document.getElementById(decodeURIComponent(url.hash.slice(1)));
    if (!target) return false;
    var details = target.querySelector("details.filters");
    if (details) details.open = true;
    moveFocus(target);
    target.scrollIntoView({ block: "start" });
    return true;
  }

  document.addEventListener("change", function (event) {
    var box = event.target;
    if (box.type === "checkbox" && box.form === form) swap(formUrl(), { history: "push" });
  });

  document.addEventListener("click", function (event) {
    if (event.defaultPrevented || event.button !== 0) return;
    if (event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
    var link = event.target.closest("a[href]");
    if (!link || link.target) return;
    var url = new URL(link.href, location.href);
    if (url.hash && withoutHash(url.href) === loadedUrl) {
      if (followFragment(url)) event.preventDefault();
      return;
    }
    if (!link.closest("#main") || !isSearchLink(link)) return;
    event.preventDefault();
    swap(link.href, { history: "push", syncQuery: true, focus: focusAfter(link) });
  });

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    clearTimeout(typeTimer);
    stopSuggestions();
    swap(formUrl(), { history: "push" });
  });

  window.addEventListener("popstate", function () {
    typingFrom = null;
    if (withoutHash(location.href) === loadedUrl) return;  // only the fragment changed
    stopSuggestions();
    swap(location.href, { syncQuery: true });
  });

  foldFilters(document);

  // Search as you type

  // The engine completes the last word from its third letter (query.MIN_PREFIX_CHARS, served
  // on the box): a shorter word of Latin letters would only flash "no results" while typing.
  var MIN_PREFIX = parseInt(input.getAttribute("data-min-prefix"), 10) || 0;
  var SHORT_WORD = /(^|\s)\p{Script=Latin}+$/u;

  function typedSearch() {
    var typed = input.value;
    var last = SHORT_WORD.exec(typed);
    if (last && last[0].trim().length < MIN_PREFIX) return;
    var url = formUrl();
    if (url === loadedUrl) return;
    swap(url, { history: "type", typing: true });
  }

  input.addEventListener("input", function () {
    clearTimeout(typeTimer);
    typeTimer = setTimeout(typedSearch, TYPING_DELAY);
  });

  // Autocomplete: an ARIA 1.2 combobox over a listbox of completions

  var list = document.getElementById("q-suggestions");
  var status = document.getElementById("q-status");
  var suggestUrl = input.getAttribute("data-suggest");
  var timer = null;
  var active = -1;
  var asked = "";
  var suggestFetch = null;
  var suggestRound = 0;  // bumped by a search: an answer asked for before it is dropped

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

  // A search was made: no completion asked for before it may open the list over its results.
  function stopSuggestions() {
    clearTimeout(timer);
    suggestRound++;
    if (suggestFetch) suggestFetch.abort();
    suggestFetch = null;
    asked = input.value;
    closeSuggestions();
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
    var controller = new AbortController();
    suggestFetch = controller;
    var round = suggestRound;
    fetch(suggestUrl + "?q=" + encodeURIComponent(typed), { signal: controller.signal })
      .then(function (response) { return response.ok ? response.json() : [typed, []]; })
      .then(function (data) {
        // Too late: the box changed, lost focus, or a search was made since it was asked.
        if (round !== suggestRound || input.value !== typed || document.activeElement !== input) return;
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
    timer = setTimeout(fetchSuggestions, SUGGEST_DELAY);
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
