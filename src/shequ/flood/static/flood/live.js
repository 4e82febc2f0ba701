/* The flood watch's live map: points coloured by level, asked again every data-refresh
   seconds from data-url; region boundaries drawn as areas. No tile URL: the features alone
   on a plain background (works offline). */
(function () {
  "use strict";

  var COLORS = { none: "#1b7f3b", blue: "#1b6ec2", yellow: "#e0b000", orange: "#e8700a", red: "#c8102e" };

  function style(feature) {
    var p = feature.properties || {};
    if (p.kind === "point") {
      return { radius: p.level === "none" ? 7 : 10, weight: 2, color: "#fff",
               fillColor: COLORS[p.level] || COLORS.none, fillOpacity: 0.95 };
    }
    if (p.response && p.response !== "none") {
      // A region under an emergency response: its outline in the response's colour.
      return { color: RESPONSE[p.response] || "#c8102e", weight: 3, dashArray: "8 5", fillOpacity: 0.08 };
    }
    return { color: "#6b7785", weight: 1.5, fillOpacity: 0.05 };
  }

  var RESPONSE = { IV: "#1b6ec2", III: "#b38600", II: "#e8700a", I: "#c8102e" };

  function each(feature, layer) {
    var p = feature.properties || {};
    if (!p.label) return;
    layer.bindTooltip(p.response_label ? p.label + " · " + p.response_label : p.label, { direction: "top", offset: [0, -8], className: "map-label" });
    if (p.url) layer.on("click", function () { window.location.href = p.url; });
  }

  function levels(data) {
    return data.features.filter(function (f) { return f.properties.kind === "point"; })
      .map(function (f) { return f.properties.code + ":" + f.properties.level; }).join(",");
  }

  // The list under the map: each point's level badge, as the map has it now.
  function relabel(data) {
    data.features.forEach(function (f) {
      var p = f.properties;
      if (p.kind !== "point") return;
      var cell = document.querySelector('[data-level-cell="' + p.code + '"]');
      if (!cell) return;
      var badge = document.createElement("span");
      badge.className = p.level === "none" ? "muted" : "flood-level flood-level-" + p.level;
      badge.setAttribute("data-testid", "level");
      badge.textContent = p.level_label;
      cell.replaceChildren(badge);
    });
  }

  // No tile server (offline, or none configured): the app's own boundaries, roads, railway
  // and creek, in a pane under the points so they stay clickable.
  var BASE = {
    boundary: { color: "#8a94a0", weight: 1, dashArray: "3 4", fillColor: "#ffffff", fillOpacity: 0.55 },
    road: { color: "#b9ad97", weight: 5, opacity: 1 },
    railway: { color: "#4b5563", weight: 3, dashArray: "10 6" },
    water: { color: "#5b9bd5", weight: 4, opacity: 0.9 },
    hill: { color: "#9bb68a", weight: 1, fillColor: "#cfe0c3", fillOpacity: 0.8 }
  };

  function drawBasemap(el, map) {
    var url = el.getAttribute("data-basemap");
    if (!url) return;
    el.classList.add("flood-map-offline");
    map.createPane("basemap").style.zIndex = 350;
    fetch(url, { credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (data) {
        if (!data) return;
        L.geoJSON(data, {
          pane: "basemap",
          interactive: false,
          style: function (f) { return BASE[(f.properties || {}).kind] || BASE.boundary; }
        }).addTo(map);
        el.setAttribute("data-basemap-ready", String(data.features.length));
      })
      .catch(function () { /* the points still show on the plain background */ });
  }

  function draw(el) {
    var source = document.getElementById(el.getAttribute("data-source"));
    if (!source || typeof L === "undefined") return;
    var data = JSON.parse(source.textContent);
    var tiles = el.getAttribute("data-tiles");
    var map = L.map(el, { scrollWheelZoom: false, attributionControl: Boolean(tiles), zoomSnap: 0.25 });
    if (tiles) L.tileLayer(tiles, { maxZoom: 19, attribution: el.getAttribute("data-attribution") || "" }).addTo(map);
    else drawBasemap(el, map);
    var options = { pointToLayer: function (f, ll) { return L.circleMarker(ll, style(f)); }, style: style, onEachFeature: each };
    var layer = L.geoJSON(data, options).addTo(map);
    var bounds = layer.getBounds();
    if (bounds.isValid()) map.fitBounds(bounds, { padding: [24, 24], maxZoom: 16 });
    else map.setView([30, 120], 12);
    el.setAttribute("data-levels", levels(data));
    el.setAttribute("data-map-ready", String(data.features.length));

    var every = 1000 * Number(el.getAttribute("data-refresh") || 5);
    function refresh() {
      fetch(el.getAttribute("data-url"), { credentials: "same-origin" })
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (fresh) {
          if (!fresh) return;
          map.removeLayer(layer);
          layer = L.geoJSON(fresh, options).addTo(map);
          el.setAttribute("data-levels", levels(fresh));
          relabel(fresh);
        })
        .catch(function () { /* offline for a moment: try again at the next tick */ })
        .then(function () { window.setTimeout(refresh, every); });
    }
    window.setTimeout(refresh, every);
  }

  function start() {
    var maps = document.querySelectorAll("[data-flood-map]");
    for (var i = 0; i < maps.length; i++) draw(maps[i]);
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
