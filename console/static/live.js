/* The ticket queue follows changes made elsewhere (the chat, another browser): every few
   seconds it fetches its rows again (GET /tickets/live, same filters) and swaps them in
   when they differ. Vendored, no build step; the page works without it. */
(function () {
  "use strict";
  var box = document.getElementById("live");
  if (!box || !window.fetch) { return; }
  var source = box.getAttribute("data-src");
  var busy = false;
  var shown = box.innerHTML;  // compared with what was fetched, not re-read from the page
  function refresh() {
    if (busy || document.hidden) { return; }
    busy = true;
    fetch(source, { credentials: "same-origin", headers: { "Accept": "text/html" } })
      .then(function (reply) { return reply.ok && !reply.redirected ? reply.text() : null; })
      .then(function (html) {
        if (html !== null && html !== shown) { box.innerHTML = shown = html; }
      })
      .catch(function () { /* offline for a moment: the next round tries again */ })
      .then(function () { busy = false; });
  }
  window.setInterval(refresh, 4000);
}());
