/* The big screen (大屏): the street's map drawn offline with Leaflet from the embedded GeoJSON
   (boundaries, communities, open flood alerts, and the basemap's roads, railway and creek), and
   the key figures and live alerts asked again from data-url every data-refresh seconds. */
(function () {
  "use strict";

  var LEVELS = { blue: "#3b8cff", yellow: "#f5c518", orange: "#ff8a1f", red: "#ff3b3b", green: "#2ecc71" };
  var BASE = {
    road: { color: "#3c5a80", weight: 4 },
    railway: { color: "#8aa0b8", weight: 2, dashArray: "8 5" },
    water: { color: "#2f7fd0", weight: 4 },
    hill: { color: "#2f6b4f", weight: 1, fillColor: "#1f4d3a", fillOpacity: 0.6 },
    boundary: { color: "#4d6d91", weight: 1, dashArray: "3 4", fillOpacity: 0 }
  };

  function style(f) {
    var p = f.properties || {};
    if (f.geometry && f.geometry.type === "Point") return pointStyle(p);
    if (p.kind === "area") return { color: "#4fc3f7", weight: 2, fillColor: "#4fc3f7", fillOpacity: 0.12 };
    return BASE[p.kind] || BASE.boundary;
  }

  // Leaflet applies ``style`` to circle markers too: points keep their own.
  function pointStyle(p) {
    if (p.kind === "alert") return { radius: 11, weight: 2, color: "#fff", fillColor: LEVELS[p.level] || LEVELS.red, fillOpacity: 1 };
    return { radius: 9, weight: 2, color: "#e6f1ff", fillColor: "#4fc3f7", fillOpacity: 0.95 };
  }

  function marker(f, ll) {
    return L.circleMarker(ll, pointStyle(f.properties || {}));
  }

  function label(f, layer) {
    var p = f.properties || {};
    if (p.label && p.kind !== "road" && p.kind !== "railway" && p.kind !== "water" && p.kind !== "hill")
      layer.bindTooltip(p.label, { permanent: p.kind !== "alert", direction: "top", className: "screen-label-tip" });
  }

  function json(id) {
    var el = document.getElementById(id);
    return el ? JSON.parse(el.textContent) : null;
  }

  function drawMap(el) {
    if (typeof L === "undefined") return;
    var data = json(el.getAttribute("data-source"));
    var base = json(el.getAttribute("data-basemap-source"));
    var tiles = el.getAttribute("data-tiles");
    var map = L.map(el, { zoomControl: false, attributionControl: false, zoomSnap: 0.25 });
    if (tiles) L.tileLayer(tiles, { maxZoom: 19 }).addTo(map);
    else if (base) L.geoJSON(base, { style: style, interactive: false }).addTo(map);
    var layer = L.geoJSON(data, { style: style, pointToLayer: marker, onEachFeature: label }).addTo(map);
    var bounds = layer.getBounds();
    if (base && !tiles) {
      var all = L.geoJSON(base).getBounds();
      if (all.isValid()) bounds = bounds.isValid() ? bounds.extend(all) : all;
    }
    if (bounds.isValid()) map.fitBounds(bounds, { padding: [40, 40], maxZoom: 16 });
    else map.setView([30.26, 120.15], 13);
    el.setAttribute("data-map-ready", String(data ? data.features.length : 0));
  }

  function setFigure(box, f) {
    box.querySelector("[data-value]").textContent = f.display;
    box.querySelector(".screen-value").classList.toggle("screen-long", f.display.length > 5);
    var unit = box.querySelector("[data-unit]");
    if (unit) unit.textContent = f.value === null ? "" : f.unit;
    var why = box.querySelector("[data-why]");
    if (why) why.textContent = f.why;
    box.className = box.className.replace(/screen-(good|bad|none)/, "screen-" + f.status);
  }

  function render(data, list) {
    data.figures.forEach(function (f) {
      var box = document.querySelector('.screen-figure[data-key="' + f.key + '"]');
      if (box) setFigure(box, f);
    });
    data.communities.forEach(function (c) {
      c.figures.forEach(function (f) {
        var cell = document.querySelector('[data-community="' + c.code + '"] [data-key="' + f.key + '"] [data-value]');
        if (cell) cell.textContent = f.display;
      });
    });
    var items = data.alerts.map(function (a) {
      var li = document.createElement("li");
      li.className = "screen-alert screen-level-" + a.level;
      var b = document.createElement("b");
      b.textContent = a.label;
      li.appendChild(b);
      li.appendChild(document.createTextNode(" " + a.region + " " + a.what + " "));
      var t = document.createElement("time");
      t.textContent = new Date(a.at).toLocaleString(document.documentElement.lang, { month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit" });
      li.appendChild(t);
      return li;
    });
    if (!items.length) {
      var empty = document.createElement("li");
      empty.className = "screen-empty";
      empty.textContent = list.getAttribute("data-empty");
      items.push(empty);
    }
    list.replaceChildren.apply(list, items);
    var updated = document.querySelector("[data-updated]");
    if (updated) updated.textContent = new Date(data.generated_at).toLocaleString(document.documentElement.lang, { hour12: false });
  }

  function start() {
    var body = document.querySelector("[data-screen]");
    if (!body) return;
    var map = document.querySelector("[data-screen-map]");
    if (map) drawMap(map);
    var list = document.querySelector("[data-alerts]");
    var every = 1000 * Number(body.getAttribute("data-refresh") || 30);
    var polls = 0;
    function refresh() {
      fetch(body.getAttribute("data-url"), { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (data) {
          if (!data) return;
          render(data, list);
          polls += 1;
          body.setAttribute("data-polls", String(polls));
        })
        .catch(function () { /* the network is back at the next tick */ })
        .then(function () { window.setTimeout(refresh, every); });
    }
    refresh();
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
