// The live gallery (render.py preview): polls /version once a second, reloads when it changes, and shows the
// server's status line (rendering..., an error) meanwhile.
(function () {
  var seen = null, status = document.getElementById("status");
  function poll() {
    fetch("/version", { cache: "no-store" }).then(function (r) { return r.json(); }).then(function (d) {
      if (seen === null) seen = d.version;
      else if (d.version !== seen) { location.reload(); return; }
      status.textContent = d.status || "";
      status.className = d.state || "";
      setTimeout(poll, 1000);
    }).catch(function () { status.textContent = "preview server stopped"; status.className = "error"; });
  }
  poll();
})();
