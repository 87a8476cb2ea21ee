/* Accord charts: draws every Vega-Lite spec the page carries, with the vendored vega-embed.
 *
 * The `{% chart %}` template tag writes a container and, beside it,
 *   <script type="application/json" data-chart="ID">{...spec...}</script>
 * This script renders each spec into the element with id ID, as SVG. Expressions run through
 * vega-interpreter (`ast: true`, bundled in vega-embed 7), so nothing is evaluated with
 * eval/new Function and a Content-Security-Policy without 'unsafe-eval' holds. A mark with an
 * `href` (the records behind a number) opens it in the same tab. After htmx swaps part of the
 * page, the charts in the new content are drawn and those that left the page are released.
 * Plain ES2017, no build step.
 */
(function () {
  "use strict";

  var SELECTOR = 'script[type="application/json"][data-chart]';
  var drawn = new Map(); // container id -> {container, source, view}
  // The vendored libraries (~840 KB) are fetched only by pages that carry a chart: their
  // addresses come with this script (data-libraries), loaded in order, from this site.
  var self = document.currentScript;
  var libraries = null;

  function loadLibraries() {
    if (libraries) {
      return libraries;
    }
    var urls = ((self && self.getAttribute("data-libraries")) || "").split(" ").filter(Boolean);
    libraries = urls.reduce(function (previous, url) {
      return previous.then(function () {
        return new Promise(function (resolve, reject) {
          var tag = document.createElement("script");
          tag.src = url;
          tag.onload = resolve;
          tag.onerror = function () {
            reject(new Error("could not load " + url));
          };
          document.head.appendChild(tag);
        });
      });
    }, Promise.resolve());
    return libraries;
  }

  function release(id) {
    var entry = drawn.get(id);
    if (entry && entry.view) {
      entry.view.finalize();
    }
    drawn.delete(id);
  }

  function releaseDetached() {
    drawn.forEach(function (entry, id) {
      if (!document.body.contains(entry.container)) {
        release(id);
      }
    });
  }

  function options() {
    var opts = {
      actions: false,
      renderer: "svg",
      // Their styles are in charts.css, not injected <style> elements (CSP without inline styles).
      defaultStyle: false,
      tooltip: { disableDefaultStyle: true },
      ast: true,
      // Links from marks open where the reader is (Vega's default is a new window).
      loader: window.vega.loader({ target: "_self" }),
    };
    if (window.vega.expressionInterpreter) {
      opts.expr = window.vega.expressionInterpreter;
    }
    return opts;
  }

  function draw(source) {
    var id = source.getAttribute("data-chart");
    var container = id ? document.getElementById(id) : null;
    if (!container) {
      return;
    }
    var entry = drawn.get(id);
    if (entry && entry.container === container && entry.source === source) {
      return; // already drawn from this very spec
    }
    release(id);
    var spec;
    try {
      spec = JSON.parse(source.textContent);
    } catch (error) {
      container.textContent = "This chart could not be read.";
      console.error("Accord chart " + id + ": invalid spec", error);
      return;
    }
    entry = { container: container, source: source, view: null };
    drawn.set(id, entry);
    window
      .vegaEmbed(container, spec, options())
      .then(function (result) {
        if (drawn.get(id) === entry) {
          entry.view = result.view;
        } else {
          result.view.finalize(); // replaced while it was being drawn
        }
      })
      .catch(function (error) {
        container.textContent = "This chart could not be drawn.";
        console.error("Accord chart " + id + ":", error);
      });
  }

  function drawAll(root) {
    var scope = root && root.querySelectorAll ? root : document;
    var sources = scope.querySelectorAll(SELECTOR);
    if (!sources.length) {
      releaseDetached();
      return;
    }
    loadLibraries()
      .then(function () {
        releaseDetached();
        for (var i = 0; i < sources.length; i += 1) {
          draw(sources[i]);
        }
      })
      .catch(function (error) {
        console.error("Accord charts:", error);
      });
  }

  function start() {
    drawAll(document);
    document.body.addEventListener("htmx:afterSwap", function () {
      // The swapped target may hold only a chart's container or only its spec: look everywhere.
      drawAll(document);
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
